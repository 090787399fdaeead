/**
 * The shells' event loop (io/session_loop.ts) against a scripted session on a virtual clock:
 * actions in order even when an action raises an event, faults contained, one timer.
 */

import assert from "node:assert/strict";
import { VirtualClock } from "../../io/clock.ts";
import { type LoopSession, SessionLoop, type SessionLoopOptions } from "../../io/session_loop.ts";

/** A session whose actions and wake-ups the test sets, and which records what it was told. */
class ScriptedSession implements LoopSession<string> {
  readonly log: string[] = [];
  queued: string[] = [];
  wake = Infinity;
  faultThrows = false;

  takeActions(): string[] {
    const a = this.queued;
    this.queued = [];
    return a;
  }
  wakeAt(): number {
    return this.wake;
  }
  tick(now: number): void {
    this.log.push(`tick@${now}`);
  }
  fault(_now: number, error: unknown): void {
    this.log.push(`fault:${(error as Error).message}`);
    if (this.faultThrows) throw new Error("again");
  }
}

function loop(
  session: ScriptedSession,
  clock: VirtualClock,
  perform: (a: string, l: SessionLoop<string>) => void,
  extra: Partial<SessionLoopOptions<string>> = {},
) {
  const record = { performed: [] as string[], logged: [] as string[], gaveUp: [] as string[] };
  let finished = false;
  const l: SessionLoop<string> = new SessionLoop({
    session,
    clock,
    perform: (a) => {
      record.performed.push(a);
      perform(a, l);
    },
    finished: () => finished,
    faultLog: (e) => record.logged.push((e as Error).message),
    giveUp: (e, again) => {
      record.gaveUp.push(`${(e as Error).message}/${(again as Error).message}`);
      finished = true;
    },
    ...extra,
  });
  return { l, record, finish: () => (finished = true) };
}

Deno.test("an event raised while actions are carried out waits for the rest of them", () => {
  const clock = new VirtualClock();
  const s = new ScriptedSession();
  const { l, record } = loop(s, clock, (a, l) => {
    if (a === "send") l.dispatch(() => s.queued.push("after-send"));
  });
  l.dispatch(() => s.queued.push("send", "draw", "bell"));
  assert.deepEqual(record.performed, ["send", "draw", "bell", "after-send"]);
});

Deno.test("an exception in an event or an action is logged and given to the session", () => {
  const clock = new VirtualClock();
  const s = new ScriptedSession();
  const { l, record } = loop(s, clock, (a) => {
    if (a === "bad") throw new Error("action broke");
  });
  l.dispatch(() => {
    throw new Error("event broke");
  });
  l.dispatch(() => s.queued.push("bad", "good"));
  assert.deepEqual(record.logged, ["event broke", "action broke"]);
  assert.deepEqual(s.log, ["fault:event broke", "fault:action broke"]);
  assert.deepEqual(record.performed, ["bad", "good"], "the actions after a failed one still run");
  assert.deepEqual(record.gaveUp, []);
});

Deno.test("a session that cannot take a fault makes the program give up, and no more events run", () => {
  const clock = new VirtualClock();
  const s = new ScriptedSession();
  s.faultThrows = true;
  const { l, record } = loop(s, clock, () => {});
  l.dispatch(() => {
    throw new Error("first");
  });
  assert.deepEqual(record.gaveUp, ["first/again"]);
  l.dispatch(() => s.queued.push("late"));
  assert.deepEqual(record.performed, [], "a finished program carries out nothing");
});

Deno.test("the timer follows the session's wake-up, set again only when it changes", async () => {
  const clock = new VirtualClock(0);
  const s = new ScriptedSession();
  const ticks: number[] = [];
  const { l, finish } = loop(s, clock, () => {}, { beforeTick: (now) => ticks.push(now) });
  let set = 0;
  const setTimer = clock.setTimer.bind(clock);
  clock.setTimer = (ms, fn) => (set++, setTimer(ms, fn));
  s.wake = 50;
  l.dispatch(() => {});
  l.dispatch(() => {});
  assert.deepEqual([clock.pending, set], [1, 1], "one timer for one wake-up time, set once");
  s.wake = 30;
  l.dispatch(() => {});
  assert.deepEqual(clock.pending, 1, "a changed wake-up replaces the timer");
  s.wake = Infinity; // after the tick, nothing more to wake for
  await clock.advance(100);
  assert.deepEqual(ticks, [30]);
  assert.deepEqual(s.log, ["tick@30"]);
  assert.deepEqual(clock.pending, 0);
  s.wake = 200;
  l.dispatch(() => {});
  assert.deepEqual(clock.pending, 1);
  finish();
  l.stop();
  assert.deepEqual(clock.pending, 0, "stop clears the timer");
});

Deno.test("afterActions runs once per round, after its actions and before the timer", () => {
  const clock = new VirtualClock(0);
  const s = new ScriptedSession();
  const order: string[] = [];
  const { l } = loop(s, clock, (a) => order.push(a), {
    afterActions: () => order.push(`after(pending=${clock.pending})`),
  });
  s.wake = 10;
  l.dispatch(() => s.queued.push("a", "b"));
  assert.deepEqual(order, ["a", "b", "after(pending=0)"]);
  assert.deepEqual(clock.pending, 1);
});

/**
 * io/main_wait.ts: the main thread's own poll loop. Real pipes and signals; each test runs one
 * loop and stops it. Nothing here measures speed: the bounds on how soon something happens are
 * far under the loop's idle turn (30 s), which is what would deliver it if the loop were wrong.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { IDLE_TURN_MS, MainWait, nextTurn, TURNS, waitFds, waitPoll } from "../../io/main_wait.ts";
import { close, pipe, pollfds, POLLIN, readSome, reventsOf, writeSome } from "../../io/libc.ts";
import { monotonicNow } from "../../io/clock.ts";

const one = new Uint8Array([1]);

/** A struct pollfd array of `fds`, all waiting for POLLIN. */
function readable(...fds: number[]): Uint8Array<ArrayBuffer> {
  return pollfds(fds.map((fd) => ({ fd, events: POLLIN })));
}

/** Runs `fn` with a started loop, then stops it and waits for it to end. */
async function withLoop(fn: (wait: MainWait) => Promise<void>): Promise<void> {
  const wait = new MainWait();
  wait.start();
  try {
    await fn(wait);
  } finally {
    wait.stop();
    await wait.ended;
  }
}

/** A promise that rejects after `ms` of real time, for a bound in a race. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

Deno.test("a wait resolves when its fd is ready, with revents filled in, and not before", async () => {
  const a = pipe();
  const b = pipe();
  try {
    await withLoop(async (wait) => {
      const buf = readable(a.read, b.read);
      let resolved = false;
      const waiting = waitPoll(buf, 2, -1).then((n) => (resolved = true, n));
      // Nothing to read for a while: still waiting (timers fire meanwhile).
      await new Promise((r) => wait.clock.setTimer(50, () => r(undefined)));
      assert.equal(resolved, false);
      wait.clock.setTimer(10, () => writeSome(b.write, one));
      assert.equal(await within(waiting, 1000, "the wait"), 1);
      assert.equal(reventsOf(buf, 0), 0);
      assert.equal(reventsOf(buf, 1) & POLLIN, POLLIN);
    });
  } finally {
    for (const fd of [a.read, a.write, b.read, b.write]) close(fd);
  }
});

Deno.test("a wait with a timeout resolves 0 once it passes; timers fire in time order", async () => {
  const p = pipe();
  try {
    await withLoop(async (wait) => {
      const start = monotonicNow();
      const fired: number[] = [];
      for (const ms of [30, 10, 20]) wait.clock.setTimer(ms, () => fired.push(ms));
      const cleared = wait.clock.setTimer(15, () => fired.push(15));
      wait.clock.clearTimer(cleared);
      assert.equal(await within(waitPoll(readable(p.read), 1, 60), 1000, "the timeout"), 0);
      assert.ok(monotonicNow() - start >= 60);
      assert.deepEqual(fired, [10, 20, 30]);
    });
  } finally {
    close(p.read);
    close(p.write);
  }
});

Deno.test("what a ready wait resumes runs before the loop blocks again", async () => {
  // The consumer of the first pipe, a few awaits deep, wakes a second wait by writing to its
  // pipe. If the loop polled again before the consumer ran, the second wait would hang until
  // the idle turn, seconds later.
  const first = pipe();
  const second = pipe();
  try {
    await withLoop(async (wait) => {
      const consumer = (async () => {
        await waitFds([{ fd: first.read, events: POLLIN }]);
        for (let i = 0; i < 8; i++) await Promise.resolve();
        writeSome(second.write, one);
      })();
      const woken = waitFds([{ fd: second.read, events: POLLIN }]);
      wait.clock.setTimer(10, () => writeSome(first.write, one));
      await within(Promise.all([consumer, woken]), 2000, "the second wait");
    });
  } finally {
    for (const fd of [first.read, first.write, second.read, second.write]) close(fd);
  }
});

Deno.test("nextTurn, in a loop with a long wait pending, comes back at once", async () => {
  const p = pipe();
  try {
    await withLoop(async () => {
      const pending = waitPoll(readable(p.read), 1, -1);
      const start = monotonicNow();
      for (let i = 0; i < 100; i++) await nextTurn();
      assert.ok(monotonicNow() - start < IDLE_TURN_MS / 2, "100 turns took an idle turn's time");
      writeSome(p.write, one);
      assert.equal(await within(pending, 1000, "the wait"), 1);
    });
  } finally {
    close(p.read);
    close(p.write);
  }
});

/** poll's system call number on this machine (x86-64: poll; arm64 has only ppoll). */
const POLL_SYSCALL = Deno.build.arch === "x86_64" ? 7 : 73;

/** Waits until `pid`'s main thread sleeps in poll(2) (the loop has nothing to do). */
async function blockedInPoll(pid: number): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    const call = Number(Deno.readTextFileSync(`/proc/${pid}/syscall`).split(" ")[0]);
    if (call === POLL_SYSCALL) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`process ${pid} never waited in poll`);
}

/**
 * Runs tests/io/_main_wait_signals.ts (with `args`) for `fn`, which gets the child and a way
 * to wait for each line it prints; the child is gone when this returns. Under `deno test` our
 * JavaScript is not on the main thread, so signal tests run the loop in a program of its own,
 * as the daemon and the client do.
 */
async function withSignalProgram(
  args: string[],
  fn: (child: Deno.ChildProcess, next: (line: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const program = new URL("./_main_wait_signals.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", program, ...args],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const next = async (line: string) => {
    while (!text.includes(`${line}\n`)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the program ended before it said ${line}`);
      text += value;
    }
    text = text.slice(text.indexOf(`${line}\n`) + line.length + 1);
  };
  try {
    await within(next("ready"), 10_000, "the program's start");
    await fn(child, next);
    assert.equal((await child.status).code, 0);
  } finally {
    lines.releaseLock();
    try {
      child.kill();
    } catch {
      // it has exited
    }
    await child.stdout.cancel().catch(() => {});
    await child.status;
  }
}

Deno.test("idle, the event loop turns at a wake that comes anyway, or at one of its own", async () => {
  // What only the event loop runs (here a setTimeout) waits for the idle turn: the first wake
  // after idleMs, or a wake of the loop's own after idleWakeMs. Not one for every wake.
  const loop = new MainWait({ ...TURNS, idleMs: 400, idleWakeMs: 1500 });
  loop.start();
  const eventLoopTimer = async () => {
    const start = monotonicNow();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return monotonicNow() - start;
  };
  try {
    await new Promise((resolve) => loop.clock.setTimer(20, () => resolve(undefined)));
    // Nothing else wakes the loop: the turn comes with its own wake, some 1.5 s after the last.
    const alone = await within(eventLoopTimer(), 5000, "the idle wake's turn");
    assert.ok(alone >= 1000, `a setTimeout ran after ${alone} ms: an early turn`);
    // Loop timers wake it every 50 ms: the turn comes at the first of them after 400 ms.
    let ticking = true;
    const tick = () => ticking && loop.clock.setTimer(50, tick);
    tick();
    const woken = await within(eventLoopTimer(), 5000, "the idle turn");
    ticking = false;
    assert.ok(woken >= 300 && woken < 1000, `a setTimeout ran after ${woken} ms`);
  } finally {
    loop.stop();
    await loop.ended;
  }
});

Deno.test("a signal reaches Deno's listener while the loop blocks in poll", async () => {
  // kill(2) interrupts the main thread's poll, and the loop lets the event loop run Deno's
  // listener.
  await withSignalProgram([], async (child, next) => {
    for (let round = 1; round <= 3; round++) {
      await blockedInPoll(child.pid);
      child.kill("SIGUSR2");
      await within(next("heard"), IDLE_TURN_MS / 2, `signal ${round}'s listener`);
    }
  });
});

Deno.test("a signal that lands while the loop's JavaScript runs is heard within a second", async () => {
  // No poll to interrupt: the loop sees the runtime's signal thread run (io/signal_thread.ts)
  // before it blocks again. Without that, such a signal waits for the idle turn (5 s).
  await withSignalProgram(["busy"], async (child, next) => {
    await new Promise((resolve) => setTimeout(resolve, 100)); // its busy timer has begun
    for (let round = 1; round <= 3; round++) {
      child.kill("SIGUSR2");
      await within(next("heard"), 1000, `signal ${round}'s listener`);
      await new Promise((resolve) => setTimeout(resolve, 70 * round));
    }
  });
});

Deno.test("stop hands pending waits to worker threads and timers to the event loop", async () => {
  const p = pipe();
  try {
    const wait = new MainWait();
    wait.start();
    const buf = readable(p.read);
    const pending = waitPoll(buf, 1, -1);
    const timed = waitPoll(readable(p.read), 1, 40);
    const fired = new Promise<number>((resolve) => wait.clock.setTimer(30, () => resolve(1)));
    await nextTurn();
    wait.stop();
    await wait.ended;
    // The loop is gone; what was waiting still completes.
    assert.equal(await within(timed, 1000, "the timed wait"), 0);
    assert.equal(await within(fired, 1000, "the timer"), 1);
    writeSome(p.write, one);
    assert.equal(await within(pending, 1000, "the wait"), 1);
    assert.equal(reventsOf(buf, 0) & POLLIN, POLLIN);
    // A timer set after the stop runs from the event loop, and can be cleared there.
    let late = 0;
    const cleared = wait.clock.setTimer(5, () => late++);
    wait.clock.clearTimer(cleared);
    await new Promise((resolve) => wait.clock.setTimer(20, () => resolve(undefined)));
    assert.equal(late, 0);
    // Without a loop, waits poll on a worker thread.
    const buf2 = readable(p.read);
    assert.equal(await waitPoll(buf2, 1, -1), 1);
  } finally {
    close(p.read);
    close(p.write);
  }
});

Deno.test("one loop at a time, and each runs once", async () => {
  const wait = new MainWait();
  wait.start();
  try {
    assert.throws(() => new MainWait().start(), /already running/);
  } finally {
    wait.stop();
    await wait.ended;
  }
  assert.throws(() => wait.start(), /already run/);
});

/** Runs `fn` with errors reported to the global scope caught; what was reported. */
async function reportedErrors(fn: () => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    errors.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    await fn();
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  return errors;
}

Deno.test("an exception in a timer is reported, and the loop runs on", async () => {
  const errors = await reportedErrors(() =>
    withLoop(async (wait) => {
      wait.clock.setTimer(5, () => {
        throw new Error("boom");
      });
      await new Promise((r) => wait.clock.setTimer(20, () => r(undefined)));
    })
  );
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /boom/);
});

Deno.test("a fault in the loop is reported, and waits go on the event loop's way", async () => {
  const p = pipe();
  try {
    let failed: Promise<number> | undefined;
    let good: Promise<number> | undefined;
    const errors = await reportedErrors(async () => {
      const wait = new MainWait();
      wait.start();
      good = waitPoll(readable(p.read), 1, -1);
      const bad = readable(p.read);
      failed = waitPoll(bad, 1, -1);
      bad.buffer.transfer(); // detached under the loop: its next poll throws
      await within(wait.ended, 1000, "the loop's end");
    });
    assert.equal(errors.length, 1);
    assert.equal(await failed, -1);
    writeSome(p.write, one);
    assert.equal(await within(good!, 1000, "the good wait"), 1);
    assert.equal(await within(waitPoll(readable(p.read), 1, -1), 1000, "a new wait"), 1);
  } finally {
    close(p.read);
    close(p.write);
  }
});

Deno.test("a wait needs a struct pollfd for each fd it names", () => {
  const wait = new MainWait();
  assert.throws(() => wait.poll(new Uint8Array(8), 2, -1), RangeError);
});

Deno.test("property: writes to pipes in any order and timing wake exactly their waits", async () => {
  await fc.assert(
    fc.asyncProperty(
      // Writes per pipe, then the order of all writes and the pause before each (ms).
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 })), { maxLength: 24 }),
      async (writes, schedule) => {
        const pipes = writes.map(() => pipe());
        try {
          await withLoop(async (wait) => {
            const got = pipes.map(() => 0);
            // Each pipe has a reader that counts its bytes as it is woken, until it has all.
            const readers = pipes.map(async (p, i) => {
              const buf = new Uint8Array(16);
              while (got[i] < writes[i]) {
                await waitFds([{ fd: p.read, events: POLLIN }]);
                const n = readSome(p.read, buf);
                if (n > 0) got[i] += n;
              }
            });
            const order = writes.flatMap((count, i) => Array<number>(count).fill(i));
            let at = 0;
            for (let k = 0; order.length > 0; k++) {
              const [pick, pause] = schedule[k % Math.max(1, schedule.length)] ?? [0, 0];
              const [i] = order.splice(pick % order.length, 1);
              at += pause;
              wait.clock.setTimer(at, () => writeSome(pipes[i].write, one));
            }
            await within(Promise.all(readers), 3000, "the reads");
            assert.deepEqual(got, writes);
          });
        } finally {
          for (const p of pipes) {
            close(p.read);
            close(p.write);
          }
        }
      },
    ),
    { numRuns: 40, endOnFailure: true },
  );
});

/**
 * Waiting on the JavaScript thread itself, as mosh does: one poll(2) for every fd the program
 * waits on, with the next timer as its timeout, so that an idle session wakes once per event.
 *
 * Why: an idle session's life is a heartbeat every few seconds, and in Deno's event loop each
 * costs more than the work it does. A timer wakes the main thread twice (the timer wheel's
 * coarse level, then the deadline), a poll on a worker thread wakes that thread and then the
 * main thread, and each event-loop turn runs the runtime's machinery. Two bare Deno processes
 * sending each other a datagram every 3 s spend 1.4-1.6 ms of CPU a heartbeat that way, and
 * 0.13-0.26 ms blocking in poll(2) on the main thread; an event-loop turn taken as well costs
 * about 0.12 ms. In the daemon, side by side with the event loop's waits over 20 minutes, a
 * settled idle session went from 20-24 to 13-15 ms of CPU a minute (docs/architecture.md).
 *
 * So while a {@link MainWait} runs, {@link waitPoll} (what io/waitable.ts and io/pty.ts wait
 * with) registers its fds here instead of polling on a worker thread, {@link nextTurn} is a
 * round of this loop, and the program's timers are this loop's ({@link MainWait.clock}). The
 * event loop still gets a turn:
 *
 * - when poll is interrupted: a signal came, and Deno's listeners run from the event loop.
 *   kill(2) interrupts the main thread's poll, since that thread does not block signals (under
 *   `deno test` the JavaScript runs on another thread, so tests run the loop in a program of
 *   its own). The loop lets the event loop wait a few milliseconds by itself, then gives it a
 *   turn every {@link SIGNAL_WATCH_STEP_MS} for {@link SIGNAL_WATCH_MS}: the runtime's signal
 *   thread may take a while to pass the signal on when the machine is busy, and signals come
 *   in streams (a window being dragged);
 * - every {@link BUSY_TURN_MS} while there is work (a flood), as the server's output pump did;
 * - when idle, at the first wake that comes anyway once {@link IDLE_TURN_MS} have passed since
 *   the last turn, and at a wake of its own after {@link IDLE_WAKE_MS} without one: for
 *   anything else the runtime finishes by itself (a child reaped on a worker thread, a timer
 *   set with setTimeout, the report of a promise rejection nobody handled), which is only late.
 *   Our own timers are the loop's. An idle session wakes some 40 times a minute for its
 *   heartbeats; a turn every 5 s, each with a wake of its own, was 12 more wakes and turns a
 *   minute, about 0.4 ms of CPU each in a session's first minutes (a daemon's main thread timed
 *   by CLOCK_THREAD_CPUTIME_ID around each part of the loop: a blocking poll's wake 180 µs, a
 *   turn 174 µs, the rest of a round 50 µs).
 *
 * A signal that lands while our JavaScript runs has no poll to interrupt. No fd tells of it
 * (Deno 2.9.6 hands signals to a thread of its own, which drains the handler's socket at once;
 * neither the runtime's eventfd nor its epoll fds showed an event), but that thread's run
 * count does: before each blocking poll the loop looks at it (io/signal_thread.ts) and, if it
 * moved, gives the event loop its turns instead. Where the thread cannot be found, such a
 * signal waits for the idle turn.
 *
 * A failed poll's errno is not read (it may not be this call's); any failure is taken as an
 * interruption, and the event loop's wait in between keeps a lasting one from spinning.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { monotonicNow } from "./clock.ts";
import {
  fixedBytes,
  pollBlocking,
  POLLFD_BYTES,
  pollfds,
  pollOnWorker,
  REVENTS_OFFSET,
} from "./libc.ts";
import { SignalThread } from "./signal_thread.ts";

/** While busy, the event loop gets a turn this often, ms. */
export const BUSY_TURN_MS = 5;
/** When idle, the event loop gets a turn at the first wake this long after the last, ms... */
export const IDLE_TURN_MS = 30_000;
/** ...and the loop wakes for one by itself when none came this long after the last, ms. */
export const IDLE_WAKE_MS = 60_000;
/** How long the event loop waits by itself after poll was interrupted, ms. */
const SIGNAL_SETTLE_MS = 5;
/** After an interruption, the event loop gets a turn this often... */
export const SIGNAL_WATCH_STEP_MS = 100;
/** ...for this long, ms. */
export const SIGNAL_WATCH_MS = 1000;
/** How often the runtime's signal thread is looked for until found, ms (a look: ~0.2 ms). */
const SIGNAL_THREAD_LOOK_MS = 1000;

/** A registered wait: `count` struct pollfd in `fds`, until `deadline` (ms, Infinity: none). */
interface Waiter {
  fds: Uint8Array;
  count: number;
  deadline: number;
  resolve(ready: number): void;
}

interface Timer {
  /** When it is due, on {@link monotonicNow}'s clock. */
  at: number;
  fn: () => void;
  /** Its setTimeout, once the loop has stopped and the event loop keeps it. */
  handedOver?: number;
}

/**
 * Microtask hops after a round resolves its waits, so that what they resume (a receive, then
 * its dispatch and sends, through a few awaits each) runs before the loop blocks again. Our
 * await chains from a wait to its work are under ten deep. A loop that takes item after item
 * without waiting (datagrams queued on a socket, a flood on the pty) would outrun any number:
 * those count their items ({@link Streak}) and take a round every few. Anything that still
 * outran the hops would run only after the next poll, which may be seconds away: a reattach
 * test caught a burst of 160 forged datagrams leaving the session deaf to its client's keys
 * until the next heartbeat.
 */
const DRAIN_HOPS = 32;

/** Items a {@link Streak} takes between rounds of the loop (a few hops each). */
export const STREAK_ITEMS = 8;

/**
 * A run of items taken without waiting: every {@link STREAK_ITEMS}, it is time for a round
 * ({@link nextTurn}), which the loop knows of, so that the run goes on before it blocks.
 */
export class Streak {
  #count = 0;

  /** One more item taken at once; whether a round should come first. */
  next(): boolean {
    return ++this.#count % STREAK_ITEMS === 0;
  }

  /** A wait came in between: a new run. */
  reset(): void {
    this.#count = 0;
  }
}

async function drain(): Promise<void> {
  for (let i = 0; i < DRAIN_HOPS; i++) await null;
}

/**
 * One turn of the event loop. Deno's global setImmediate loads node's timers on its first
 * call, not at start-up: mosh-server's first process imports this module (through its socket)
 * and never turns, and importing node:timers would cost it 10 ms.
 */
function eventLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The loop that runs, if any: one per process, since there is one main thread. */
let running: MainWait | undefined;

/**
 * poll(2) of the `count` struct pollfd in `fds`, for at most `timeoutMs` (-1: no limit), with
 * `revents` filled in: in the {@link MainWait} loop when one runs, else on a worker thread.
 * @returns how many fds have events, 0 on timeout, -1 on failure (see pollOnWorker)
 */
export function waitPoll(fds: Uint8Array, count: number, timeoutMs: number): Promise<number> {
  return running ? running.poll(fds, count, timeoutMs) : pollOnWorker(fds, count, timeoutMs);
}

/**
 * Waits, without a timeout, until one of `fds` has one of its events (or an error or hangup).
 * Resolves without saying which or why (it may also be a signal): callers try their
 * non-blocking operation again. The fds must stay open until it resolves.
 */
export async function waitFds(fds: { fd: number; events: number }[]): Promise<void> {
  await waitPoll(pollfds(fds), fds.length, -1);
}

/**
 * A short pause in which other work runs: a round of the {@link MainWait} loop when one runs
 * (ready fds and due timers are served), else one turn of the event loop.
 */
export function nextTurn(): Promise<void> {
  if (running) return running.round();
  return eventLoopTurn();
}

/** How often the loop gives the event loop a turn (tests change them). */
export interface Turns {
  /** While busy, a turn this often, ms ({@link BUSY_TURN_MS}). */
  busyMs: number;
  /** Idle, a turn at the first wake this long after the last, ms ({@link IDLE_TURN_MS}). */
  idleMs: number;
  /** Idle, a wake of its own for a turn when none came this long after the last, ms. */
  idleWakeMs: number;
}

/** The programs' turns. */
export const TURNS: Turns = {
  busyMs: BUSY_TURN_MS,
  idleMs: IDLE_TURN_MS,
  idleWakeMs: IDLE_WAKE_MS,
};

/** The main thread's own wait. {@link start} it, hand its {@link clock} out, {@link stop} it. */
export class MainWait {
  readonly #turns: Turns;
  readonly #waiters: Waiter[] = [];
  readonly #rounds: (() => void)[] = [];
  readonly #timers = new Map<number, Timer>();
  #nextTimer = 1;
  #stopped = true;
  #lastTurn = 0;
  /** When a poll last returned after really waiting: busy since then. */
  #lastWaited = 0;
  #pollBuffer = fixedBytes(POLLFD_BYTES * 4);
  #ended: Promise<void> | undefined;
  /** Until when the event loop gets a turn every {@link SIGNAL_WATCH_STEP_MS} (a signal came). */
  #watchUntil = 0;
  /** The runtime's signal thread, once found (io/signal_thread.ts), and when it was looked for. */
  #signalThread: SignalThread | undefined;
  #lookedForSignalThread = -Infinity;

  constructor(turns: Turns = TURNS) {
    this.#turns = turns;
  }

  /** Timers that fire from this loop while it runs, and from the event loop after. */
  readonly clock: Clock = {
    now: monotonicNow,
    setTimer: (ms, fn) => {
      const handle = this.#nextTimer++;
      const timer: Timer = { at: monotonicNow() + Math.max(0, ms), fn };
      this.#timers.set(handle, timer);
      if (this.#stopped) this.#handOver(handle, timer);
      return handle;
    },
    clearTimer: (handle) => {
      const id = this.#timers.get(handle)?.handedOver;
      if (id !== undefined) clearTimeout(id);
      this.#timers.delete(handle);
    },
  };

  /**
   * Starts the loop once the caller's current work is done; from then on the process waits
   * here. Only one runs at a time. Waits begun before go on where they are.
   */
  start(): void {
    if (this.#ended) throw new Error("MainWait: this loop has already run");
    if (running) throw new Error("MainWait: a loop is already running");
    running = this;
    this.#stopped = false;
    this.#lastTurn = this.#lastWaited = monotonicNow();
    this.#ended = this.#loop();
  }

  /** Resolves once the loop has returned, after {@link stop}. */
  get ended(): Promise<void> {
    return this.#ended ?? Promise.resolve();
  }

  /**
   * Stops the loop: pending waits move to worker threads, pending timers to the event loop,
   * so that nothing waiting is lost and the process can end when nothing is.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (running === this) running = undefined;
    this.#signalThread?.close();
    this.#signalThread = undefined;
    const now = monotonicNow();
    for (const w of this.#waiters.splice(0)) {
      const left = w.deadline === Infinity ? -1 : Math.max(0, Math.ceil(w.deadline - now));
      try {
        pollOnWorker(w.fds, w.count, left).then(w.resolve, () => w.resolve(-1));
      } catch {
        w.resolve(-1); // a buffer gone from under it: a failed poll, which callers retry
      }
    }
    for (const resolve of this.#rounds.splice(0)) resolve();
    for (const [handle, t] of this.#timers) this.#handOver(handle, t);
  }

  /** Gives `timer` to the event loop (the loop has stopped). */
  #handOver(handle: number, timer: Timer): void {
    if (timer.handedOver !== undefined) return;
    timer.handedOver = setTimeout(() => {
      this.#timers.delete(handle);
      timer.fn();
    }, Math.max(0, timer.at - monotonicNow())) as unknown as number;
  }

  /** See {@link waitPoll}. */
  poll(fds: Uint8Array, count: number, timeoutMs: number): Promise<number> {
    if (fds.byteLength < count * POLLFD_BYTES) {
      throw new RangeError(`${count} struct pollfd need ${count * POLLFD_BYTES} bytes`);
    }
    const deadline = timeoutMs < 0 ? Infinity : monotonicNow() + timeoutMs;
    return new Promise((resolve) => this.#waiters.push({ fds, count, deadline, resolve }));
  }

  /** See {@link nextTurn}. */
  round(): Promise<void> {
    return new Promise((resolve) => this.#rounds.push(resolve));
  }

  async #loop(): Promise<void> {
    await eventLoopTurn(); // the caller goes on first
    try {
      await this.#run();
    } catch (e) {
      // A fault of the loop itself must not leave every wait hanging: report it (the program's
      // handler logs it), and go on waiting the event loop's way.
      this.stop();
      reportError(e);
    }
  }

  /** The loop's rounds, until {@link stop}. */
  async #run(): Promise<void> {
    while (!this.#stopped) {
      const fired = this.#fireTimers(monotonicNow());
      const rounds = this.#rounds.splice(0);
      for (const resolve of rounds) resolve();
      if (fired || rounds.length > 0) await drain(); // what they started runs before the poll
      if (this.#stopped) return;
      const busy = fired || rounds.length > 0 || this.#rounds.length > 0;
      const before = monotonicNow();
      // A signal that landed while JavaScript ran has no poll to interrupt: look at the
      // runtime's signal thread before blocking.
      const signalled = !busy && this.#signalThreadRan(before);
      const result = signalled ? -1 : this.#pollOnce(busy ? 0 : this.#timeout(before));
      const now = monotonicNow();
      if (now - before >= 1) this.#lastWaited = now;
      if (result < 0) {
        await new Promise((resolve) => setTimeout(resolve, SIGNAL_SETTLE_MS));
        this.#lastTurn = monotonicNow();
        this.#watchUntil = this.#lastTurn + SIGNAL_WATCH_MS;
      } else if (
        now < this.#watchUntil ||
        now - this.#lastTurn >= this.#turns.idleMs ||
        now - Math.max(this.#lastTurn, this.#lastWaited) >= this.#turns.busyMs
      ) {
        await eventLoopTurn();
        this.#lastTurn = monotonicNow();
      } else {
        await drain();
      }
    }
  }

  /**
   * Whether the runtime's signal thread has run since the last look. It is found lazily, since
   * a program may listen for its first signal after the loop starts (and the runtime starts
   * the thread a moment after), and looked for again every {@link SIGNAL_THREAD_LOOK_MS} while
   * there is none.
   */
  #signalThreadRan(now: number): boolean {
    if (!this.#signalThread && now - this.#lookedForSignalThread >= SIGNAL_THREAD_LOOK_MS) {
      this.#lookedForSignalThread = now;
      this.#signalThread = SignalThread.find();
    }
    return this.#signalThread?.ran() ?? false;
  }

  /** Fires the timers due by `now`, in time order; whether any fired. */
  #fireTimers(now: number): boolean {
    let any = false;
    for (const t of this.#timers.values()) any ||= t.at <= now && t.handedOver === undefined;
    if (!any) return false; // most rounds: spare the allocations
    const due = [...this.#timers].filter(([, t]) => t.at <= now && t.handedOver === undefined);
    due.sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    for (const [handle, t] of due) {
      if (!this.#timers.has(handle)) continue; // cleared by an earlier one
      this.#timers.delete(handle);
      try {
        t.fn();
      } catch (e) {
        reportError(e); // as an exception in a setTimeout callback would be
      }
    }
    return due.length > 0;
  }

  /** How long the poll may block: until the next timer, deadline or idle wake. */
  #timeout(now: number): number {
    let until = this.#lastTurn + this.#turns.idleWakeMs;
    if (now < this.#watchUntil) until = Math.min(until, now + SIGNAL_WATCH_STEP_MS);
    for (const t of this.#timers.values()) {
      if (t.at < until && t.handedOver === undefined) until = t.at;
    }
    for (const w of this.#waiters) if (w.deadline < until) until = w.deadline;
    return Math.max(0, Math.ceil(until - now));
  }

  /** One poll(2) of every registered wait; the ready and the timed-out ones resolve. */
  #pollOnce(timeoutMs: number): number {
    const waiters = this.#waiters;
    let count = 0;
    for (const w of waiters) count += w.count;
    if (this.#pollBuffer.length < count * POLLFD_BYTES) {
      this.#pollBuffer = fixedBytes(count * POLLFD_BYTES * 2);
    }
    const all = this.#pollBuffer;
    let at = 0;
    for (const w of waiters) {
      all.set(w.fds.subarray(0, w.count * POLLFD_BYTES), at);
      at += w.count * POLLFD_BYTES;
    }
    const result = pollBlocking(all, count, timeoutMs);
    const now = monotonicNow();
    at = 0;
    const view = new DataView(all.buffer);
    const left: Waiter[] = [];
    for (const w of waiters) {
      const mine = new DataView(w.fds.buffer, w.fds.byteOffset);
      let ready = 0;
      for (let i = 0; i < w.count; i++, at += POLLFD_BYTES) {
        const revents = result > 0 ? view.getUint16(at + REVENTS_OFFSET, true) : 0;
        mine.setUint16(i * POLLFD_BYTES + REVENTS_OFFSET, revents, true);
        if (revents) ready++;
      }
      if (ready > 0) w.resolve(ready);
      else if (now >= w.deadline) w.resolve(0);
      else left.push(w);
    }
    waiters.length = 0;
    waiters.push(...left);
    return result;
  }
}

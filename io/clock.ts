/**
 * The clock and timers the I/O shells run on: the system's monotonic clock, or a virtual one
 * that tests move by hand, so that a minute of a real program's life (its timeouts, heartbeats,
 * the notification bar) passes in milliseconds and the same way every time.
 *
 * @module
 */

/** What a shell needs of time. */
export interface Clock {
  /** Milliseconds of a monotonic clock, whole. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; the handle cancels it. */
  setTimer(ms: number, fn: () => void): number;
  clearTimer(handle: number): void;
}

/** Milliseconds of the system's monotonic clock, whole. */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}

/** The real clock and timers. */
export const systemClock: Clock = {
  now: monotonicNow,
  // Deno's timers are numbers; node's typings (loaded with any node: module) say otherwise.
  setTimer: (ms, fn) => setTimeout(fn, Math.max(0, ms)) as unknown as number,
  clearTimer: (handle) => clearTimeout(handle),
};

/**
 * A clock that moves only when told to. Timers fire in time order as {@link advance} passes
 * them; between two timers, the event loop turns once, so that the promises a timer's work
 * settles (a datagram delivered, a read completed) run before the next timer, as they would in
 * real time.
 */
export class VirtualClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  /** @param start the first reading, ms */
  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): number {
    const handle = this.#next++;
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), seq: handle, fn });
    return handle;
  }

  clearTimer(handle: number): void {
    this.#timers.delete(handle);
  }

  /** How many timers are set. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves the clock forward by `ms`, firing every timer that comes due on the way, in order.
   * @param maxTimers a bound on the timers fired, so that a timer that keeps re-arming itself
   *   at the same instant fails the caller instead of spinning forever
   */
  async advance(ms: number, maxTimers = 100_000): Promise<void> {
    const end = this.#now + ms;
    for (let fired = 0;; fired++) {
      await turn();
      let due: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        const t = entry[1];
        if (t.at > end) continue;
        if (!due || t.at < due[1].at || (t.at === due[1].at && t.seq < due[1].seq)) due = entry;
      }
      if (!due) break;
      if (fired >= maxTimers) throw new Error(`VirtualClock: more than ${maxTimers} timers fired`);
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = end;
    await turn();
  }

  /**
   * Advances in steps of `step` ms until `done()` holds or `limit` ms have passed.
   * @returns whether `done()` held
   */
  async until(done: () => boolean, limit: number, step = 10): Promise<boolean> {
    for (let waited = 0; waited <= limit; waited += step) {
      if (done()) return true;
      await this.advance(step);
    }
    return done();
  }
}

/**
 * One turn of the real event loop: pending promise work and I/O callbacks run. (Deno's global
 * setImmediate: node:timers loads at its first call, not with this module.)
 */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

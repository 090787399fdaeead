/**
 * How much history a server's frames carry over time, so that a flood stays interactive
 * (docs/scrollback.md). Every history row costs both ends CPU: turning it into a `Row`,
 * encoding, compressing, decoding and drawing it. A frame that carries thousands of them holds
 * back the next frame, and with it the echo of whatever the user types during a flood.
 *
 * So the rows go out of a bucket: it holds up to a frame's worth of rows (`capacity`) and
 * fills at `ratePerSecond`. The state's history end (which decides what a frame carries) moves
 * to the emulator's when
 * - all the new rows fit in the bucket: ordinary output, a burst of a few thousand lines after
 *   a pause, a steady trickle below the rate, all go whole; or
 * - the bucket is full: during a long flood, the newest frame's worth once per
 *   `capacity / ratePerSecond` seconds, the rest left out and marked by the client; or
 * - the output has paused for {@link QUIET_MS} and the bucket is not in debt: the end of a
 *   flood reaches the scrollback at once, its newest rows joining the screen.
 *
 * Otherwise the history end waits where it is: frames carry the screen only, the client
 * writes nothing to its scrollback (no gap is shown, and none is silent: the rows left out
 * are marked once, when the history moves on).
 *
 * @module
 */

/**
 * Seconds the bucket takes to fill: a long flood sends a frame's worth of history this often,
 * and a steady output of up to a frame's worth in this time goes whole (5,000 rows: 1,250
 * lines a second, more than a build log or a `tail -f` ever prints).
 */
export const FILL_SECONDS = 4;

/** A pause in the output this long ends a flood: its newest rows are sent even in debt. */
export const QUIET_MS = 50;

/** Slack for the bucket's fractions: a wake-up at {@link HistoryBudget.wakeAt} always finds it due. */
const EPSILON = 1e-6;

/** The pacing of one session's history (pure: time comes in). */
export class HistoryBudget {
  readonly capacity: number;
  readonly ratePerSecond: number;
  #tokens: number;
  #at: number;
  /** The emulator's history end when last seen, and when it last moved. */
  #lastEnd = -1;
  #grewAt = -Infinity;

  /**
   * @param capacity rows a frame may carry (and the bucket holds), > 0
   * @param ratePerSecond rows the bucket gains per second, > 0
   */
  constructor(capacity: number, ratePerSecond: number, now: number) {
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.#tokens = capacity;
    this.#at = now;
  }

  /**
   * The history end a state should carry now.
   * @param published the end the current state carries
   * @param end the emulator's end
   */
  publish(now: number, published: number, end: number): number {
    this.#refill(now);
    if (end !== this.#lastEnd) {
      this.#lastEnd = end;
      this.#grewAt = now;
    }
    const pending = end - published;
    if (pending <= 0) return published;
    if (pending <= this.#tokens + EPSILON) {
      this.#tokens -= pending;
      return end;
    }
    const quiet = now - this.#grewAt >= QUIET_MS;
    if (this.#tokens >= this.capacity - EPSILON || (quiet && this.#tokens >= -EPSILON)) {
      this.#tokens -= Math.min(pending, this.capacity);
      return end;
    }
    return published;
  }

  /** When {@link publish} would move a history end that waits (Infinity when none waits). */
  wakeAt(published: number, end: number): number {
    if (end <= published) return Infinity;
    const msFor = (tokens: number) => ((tokens - this.#tokens) * 1000) / this.ratePerSecond;
    const full = this.#at + msFor(this.capacity);
    const quiet = Math.max(this.#grewAt + QUIET_MS, this.#at + Math.max(0, msFor(0)));
    return Math.ceil(Math.min(full, quiet));
  }

  #refill(now: number): void {
    if (now > this.#at) {
      const gained = ((now - this.#at) * this.ratePerSecond) / 1000;
      this.#tokens = Math.min(this.capacity, this.#tokens + gained);
    }
    this.#at = Math.max(this.#at, now);
  }
}

/**
 * The server's echo ack (docs/protocol.md §12): "all your input up to state N has reached
 * the application, and it has had 50 ms to echo it". The client's prediction engine judges its
 * guesses against the screen only once the echo ack covers them.
 *
 * @module
 */

/** How long the application gets to echo, ms. */
export const ECHO_TIMEOUT = 50;

/** Input frames and when they arrived. */
export class EchoAckTracker {
  #history: { num: bigint; at: number }[] = [];
  #echoAck = 0n;

  /** The current echo ack. */
  get echoAck(): bigint {
    return this.#echoAck;
  }

  /** A client state carrying input arrived at `now`. */
  registerInputFrame(num: bigint, now: number): void {
    this.#history.push({ num, at: now });
  }

  /**
   * Advances the echo ack to the newest frame that arrived at least 50 ms ago.
   * @returns whether it changed
   */
  update(now: number): boolean {
    let newest = 0n;
    for (const h of this.#history) if (h.at <= now - ECHO_TIMEOUT) newest = h.num;
    this.#history = this.#history.filter((h) => h.num >= newest);
    const changed = newest !== this.#echoAck;
    this.#echoAck = newest;
    return changed;
  }

  /** Milliseconds until the next frame comes due (Infinity when none will). */
  waitTime(now: number): number {
    // As in mosh: the first entry is normally the frame already acknowledged.
    if (this.#history.length < 2) return Infinity;
    return Math.max(0, this.#history[1].at + ECHO_TIMEOUT - now);
  }
}

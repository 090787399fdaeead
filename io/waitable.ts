/**
 * Waiting for a non-blocking fd without blocking the JavaScript thread: a `poll` on the fd and
 * an eventfd, on a worker thread (a non-blocking FFI call), or in the program's own poll loop
 * when one runs (`io/main_wait.ts` `waitPoll`). The fd itself is read and written
 * synchronously by its owner once poll says it is ready (`io/unix_socket.ts`,
 * `io/udp_socket.ts`).
 *
 * {@link Waitable.close} signals the eventfd, which ends every pending poll at once, and closes
 * both fds only when no poll is using them: a poll holding a closed fd number could wake for
 * another file that reused it.
 *
 * errno decides nothing here: a failed poll's errno may be another call's, or a worker thread's.
 *
 * Requires `--allow-ffi`.
 *
 * @module
 */

import {
  close as closeFd,
  eventfd,
  pollfds,
  POLLIN,
  pollNow,
  reventsOf,
  signalEventfd,
} from "./libc.ts";
import { waitPoll } from "./main_wait.ts";

/** How long to wait before retrying a poll that failed (interrupted, most likely). */
const POLL_RETRY_MS = 10;

/**
 * An fd and the eventfd that cancels its waits. Waiting is a poll on a worker thread; close()
 * wakes every pending poll and closes both fds once the last one has returned. The eventfd is
 * made at the first wait: an fd that is never waited for (mosh-server's first process binds
 * the session's socket only to hand it on) costs no more than itself.
 */
export class Waitable {
  readonly fd: number;
  #wake: number | undefined;
  #closed = false;
  #polling = 0;
  #released = false;

  /** Takes ownership of `fd`. */
  constructor(fd: number) {
    this.fd = fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits until the fd has one of `events` (or an error or hangup), close() is called, or
   * `timeoutMs` pass (-1: no limit). Returns the fd's poll bits, 0 when there were none.
   */
  async wait(events: number, timeoutMs: number): Promise<number> {
    if (this.#closed) return 0;
    this.#wake ??= eventfd();
    const buf = pollfds([{ fd: this.fd, events }, { fd: this.#wake, events: POLLIN }]);
    this.#polling++;
    let result: number;
    try {
      result = await waitPoll(buf, 2, Math.max(-1, Math.min(timeoutMs, 0x7fffffff)));
    } finally {
      this.#polling--;
      if (this.#closed && this.#polling === 0) this.#release();
    }
    if (result < 0) {
      // Interrupted, or worse; the cause is on the worker's errno. Pause, so a lasting failure
      // cannot spin, and let the caller look at its deadline and ask again.
      await new Promise((resolve) => setTimeout(resolve, POLL_RETRY_MS));
      return 0;
    }
    return this.#closed ? 0 : reventsOf(buf, 0);
  }

  /** The fd's poll bits for `events` right now, on this thread (0 once closed). */
  ready(events: number): number {
    return this.#closed ? 0 : pollNow(this.fd, events);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#polling === 0) this.#release();
    else signalEventfd(this.#wake!); // a poll is pending, so it was made
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    closeFd(this.fd);
    if (this.#wake !== undefined) closeFd(this.#wake);
  }
}

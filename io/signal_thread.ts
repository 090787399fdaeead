/**
 * Whether Deno's signal thread has run: how a program that waits in a poll of its own
 * (io/main_wait.ts) hears of a signal that landed while its JavaScript ran.
 *
 * Deno runs a signal's listeners from its event loop. The C handler writes a byte to a socket,
 * and a thread of the runtime's own (made at the first `Deno.addSignalListener`, unnamed, so it
 * bears the process's name like the main thread) wakes from its receive, drains the byte and
 * tells the event loop. A signal that interrupts the main thread's poll wakes the loop itself;
 * one that lands while JavaScript runs does not, and nothing on an fd shows it (the thread
 * drains the socket at once, and the runtime's eventfd and epoll fds showed no event). What
 * does show it is the scheduler's count of that thread's runs (the third field of
 * /proc/self/task/<tid>/schedstat), read with one pread on an fd kept open: a loop that finds
 * the count moved since its last look gives the event loop a turn instead of blocking.
 *
 * Anything unclear (no such thread yet, or several) means no watch; callers look again later.
 *
 * @module
 */

import { close, O_CLOEXEC, open, readAt } from "./libc.ts";

const O_RDONLY = 0;

/** A watch on the runtime's signal thread. */
export class SignalThread {
  readonly #fd: number;
  readonly #buffer = new Uint8Array(96);
  #runs: number;

  private constructor(fd: number) {
    this.#fd = fd;
    this.#runs = this.#read();
  }

  /** The watch, or undefined when the thread cannot be told apart (or does not exist yet). */
  static find(): SignalThread | undefined {
    try {
      const pid = String(Deno.pid);
      const name = (task: string) => Deno.readTextFileSync(`/proc/self/task/${task}/comm`);
      const main = name(pid);
      const others: string[] = [];
      for (const task of Deno.readDirSync("/proc/self/task")) {
        if (task.name === pid) continue;
        try {
          if (name(task.name) === main) others.push(task.name);
        } catch {
          // it exited while we looked
        }
      }
      if (others.length !== 1) return undefined;
      const fd = open(`/proc/self/task/${others[0]}/schedstat`, O_RDONLY | O_CLOEXEC);
      const watch = new SignalThread(fd);
      if (Number.isNaN(watch.#runs)) {
        watch.close();
        return undefined;
      }
      return watch;
    } catch {
      return undefined;
    }
  }

  /** Whether the thread has run since the last call (or since it was found). */
  ran(): boolean {
    const runs = this.#read();
    if (Number.isNaN(runs) || runs === this.#runs) return false;
    this.#runs = runs;
    return true;
  }

  close(): void {
    close(this.#fd);
  }

  /** The thread's run count; NaN when it cannot be read (the thread is gone). */
  #read(): number {
    const n = readAt(this.#fd, this.#buffer, 0);
    if (n <= 0) return NaN;
    let field = 0;
    let value = 0;
    for (let i = 0; i < n; i++) {
      const c = this.#buffer[i];
      if (c === 0x20) {
        field++;
        value = 0;
      } else if (c >= 0x30 && c <= 0x39) {
        value = value * 10 + (c - 0x30);
      } else break;
    }
    return field === 2 ? value : NaN;
  }
}

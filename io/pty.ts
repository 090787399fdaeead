/**
 * A program running on a pseudo-terminal: the shell side of mosh-server (mosh's `forkpty`).
 *
 * Deno cannot fork, so the child is started with posix_spawn: POSIX_SPAWN_SETSID makes it a
 * session leader without a controlling terminal, and its first file action opens the slave
 * path as fd 0 without O_NOCTTY, which on Linux makes the slave its controlling terminal (so
 * job control and Ctrl-C work). fds 1 and 2 are copies of 0, every other fd is closed, and
 * every signal disposition and the signal mask start at their defaults. The window size and
 * IUTF8 are set on the master before the spawn; on a pty they belong to the slave side.
 *
 * The parent never opens the slave. When the last process holding it (the shell and anything
 * it left running) closes it, the master polls as hung up (and reading it fails with EIO, which
 * this module learns from poll, not errno: see io/libc.ts): that is "the shell exited", and
 * {@link Pty.read} reports it as null after everything the child wrote has been read.
 *
 * I/O never blocks the event loop. The master is O_NONBLOCK and read and written
 * synchronously; only waiting is moved off the JavaScript thread: a `poll` for the master and
 * an eventfd, on a worker thread or in the program's own poll loop when one runs
 * (`io/main_wait.ts`). A blocking `read` on a worker could not be cancelled: it
 * would keep the master open after {@link Pty.close} (so the shell would never get its
 * hangup) and keep the process alive. Signalling the eventfd ends every pending poll at once.
 *
 * Writes never block either. What the pty does not take at once (the shell is not reading
 * and the kernel's buffer, some kilobytes, is full) is queued here and written as the pty
 * drains, in order. mosh-server writes with blocking writes and so stops serving the network
 * while a program ignores its input; here the server keeps running and the queue grows
 * instead ({@link Pty.writeBacklog} tells by how much, for a caller that wants a limit). In
 * canonical mode the line discipline itself takes and discards what overflows a line, so a
 * backlog builds up only while the program has the terminal in raw mode.
 *
 * A pending read keeps the process alive until the child side hangs up or close() is called;
 * a pending wait() until the child ends. A server that exits while its shell lives closes
 * the pty (the shell gets SIGHUP, as with mosh) and does not wait for it.
 *
 * @module
 */

import { nextTurn, Streak, waitFds } from "./main_wait.ts";
import { withChildCoreLimit } from "./core_dumps.ts";
import {
  close,
  eventfd,
  type ExitStatus,
  HUNG_UP,
  kill,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDWR,
  openPtyMaster,
  POLLIN,
  POLLOUT,
  readSome,
  setIutf8,
  setWindowSize,
  signalEventfd,
  type SignalSpec,
  spawn,
  tryWaitPid,
  waitPid,
  writeSome,
} from "./libc.ts";

export type { ExitStatus, SignalSpec } from "./libc.ts";

/** Turns (`io/main_wait.ts` `nextTurn`) spent looking for more output before waiting. */
const QUICK_RETRIES = 3;

/** The most one {@link Pty.read} returns, as mosh-server reads. */
export const PTY_READ_BYTES = 16384;

/** What to run on a new pty, and how big the terminal is. */
export interface PtySpawnOptions {
  /** The program and its arguments; argv[0] without a "/" is looked up in this process's PATH. */
  argv: string[];
  /** What the program sees as its argv[0], if not argv[0]: "-bash" for a login shell. */
  argv0?: string;
  /** The program's whole environment (nothing is inherited). */
  env: Record<string, string>;
  /** Its working directory; this process's if absent. */
  cwd?: string;
  /** Terminal width in cells. */
  cols: number;
  /** Terminal height in cells. */
  rows: number;
}

/**
 * A child process whose stdin, stdout and stderr are the slave of a new pty, and the master
 * side of that pty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pty } from "./pty.ts";
 *
 * using pty = Pty.spawn({ argv: ["/bin/sh", "-c", "echo hi"], env: {}, cols: 80, rows: 24 });
 * let text = "";
 * for (let out; (out = await pty.read()) !== null;) text += new TextDecoder().decode(out);
 * assert.equal(text, "hi\r\n");
 * assert.deepEqual(await pty.wait(), { code: 0, signal: null });
 * ```
 */
export class Pty {
  /** The child's process id; it leads its own session and process group. */
  readonly pid: number;
  /** The slave's path, e.g. "/dev/pts/3". */
  readonly ttyName: string;
  readonly #master: number;
  /** Signalled by close() to end pending polls. */
  readonly #wake: number;
  readonly #readBuffer = new Uint8Array(new ArrayBuffer(PTY_READ_BYTES));
  #closed = false;
  #released = false;
  #polling = 0;
  #reading = false;
  /** Reads in a row that found nothing, before the next wait on a thread. */
  #misses = 0;
  readonly #streak = new Streak();
  #backlog: Uint8Array[] = [];
  #backlogBytes = 0;
  #flushing = false;
  #writeError: unknown = null;
  #exit: ExitStatus | null = null;
  #reaping: Promise<ExitStatus> | null = null;

  private constructor(pid: number, ttyName: string, master: number, wake: number) {
    this.pid = pid;
    this.ttyName = ttyName;
    this.#master = master;
    this.#wake = wake;
  }

  /**
   * Opens a pty of `cols`×`rows` and starts `argv` on it.
   * @throws SystemError when the pty cannot be made or the program not started (ENOENT: no
   *   such program, or no such `cwd`); nothing is left open then.
   */
  static spawn(options: PtySpawnOptions): Pty {
    const { argv, cols, rows } = options;
    if (argv.length === 0) throw new TypeError("Pty.spawn: argv must name a program");
    const { fd: master, slavePath } = openPtyMaster(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    let wake = -1;
    try {
      setWindowSize(master, { cols, rows });
      setIutf8(master);
      wake = eventfd();
      // The child gets the user's core dump limit back; ours stays 0 (io/core_dumps.ts).
      const pid = withChildCoreLimit(() =>
        spawn({
          file: argv[0],
          argv: options.argv0 === undefined ? argv : [options.argv0, ...argv.slice(1)],
          env: options.env,
          setsid: true,
          actions: [
            ...(options.cwd === undefined ? [] : [{ kind: "chdir", path: options.cwd } as const]),
            { kind: "open", fd: 0, path: slavePath, flags: O_RDWR },
            { kind: "dup2", from: 0, to: 1 },
            { kind: "dup2", from: 0, to: 2 },
            { kind: "closefrom", lowFd: 3 },
          ],
        })
      );
      return new Pty(pid, slavePath, master, wake);
    } catch (e) {
      close(master);
      if (wake !== -1) close(wake);
      throw e;
    }
  }

  /**
   * The next output of the child, at most {@link PTY_READ_BYTES}; null once no process holds
   * the slave any more (EIO on the master: the shell and its leftovers have exited) or after
   * {@link close}. Output written before the exit is returned first. One read at a time.
   */
  async read(): Promise<Uint8Array | null> {
    if (this.#reading) throw new Error("Pty.read: a read is already pending; await it first");
    this.#reading = true;
    try {
      while (!this.#closed) {
        // Output read after output without a wait: a round of the loop every few reads, so
        // that the reader's await chain cannot outrun the loop's drain (io/main_wait.ts).
        if (this.#streak.next()) await nextTurn();
        const n = readSome(this.#master, this.#readBuffer);
        if (n > 0) {
          this.#misses = 0;
          return this.#readBuffer.slice(0, n);
        }
        this.#streak.reset();
        if (n === 0) return null; // the slave hung up: the shell and its leftovers are gone
        // While a program floods the terminal, more output follows within microseconds, but
        // a wait costs a round of the program's poll loop, or a worker thread's round trip,
        // per 4 KiB read (the pty's most). Look again a few times first; then wait properly.
        if (this.#misses++ < QUICK_RETRIES) {
          await nextTurn();
          continue;
        }
        this.#misses = 0;
        await this.#poll(POLLIN);
      }
      return null;
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Sends bytes to the child as typed input. Never blocks: what the pty cannot take now is
   * queued and written in order as it drains. Input for a child that has gone (the slave hung
   * up) is dropped: the exit shows up as {@link read} returning null.
   * @throws Deno.errors.BadResource after {@link close}; a SystemError if an earlier queued
   *   write failed for another reason.
   */
  write(bytes: Uint8Array): void {
    if (this.#closed) throw new Deno.errors.BadResource("Pty.write: the pty is closed");
    if (this.#writeError !== null) throw this.#writeError;
    if (bytes.length === 0) return;
    let written = 0;
    if (this.#backlog.length === 0) {
      written = this.#writeNow(bytes);
      if (written === bytes.length) return;
    }
    const rest = bytes.slice(written); // a copy: the caller may reuse its buffer
    this.#backlog.push(rest);
    this.#backlogBytes += rest.length;
    if (!this.#flushing) this.#flush();
  }

  /**
   * The master's file descriptor, for calls that name the terminal by it (libutempter's
   * utmp record). Only valid until {@link close}; never read or write it directly.
   */
  get masterFd(): number {
    return this.#master;
  }

  /** Bytes given to {@link write} that the pty has not taken yet. */
  get writeBacklog(): number {
    return this.#backlogBytes;
  }

  /** Changes the terminal size; the child's foreground process group gets SIGWINCH. */
  resize(cols: number, rows: number): void {
    if (this.#closed) throw new Deno.errors.BadResource("Pty.resize: the pty is closed");
    setWindowSize(this.#master, { cols, rows });
  }

  /**
   * Waits for the child to end and reaps it, so no zombie remains. The wait runs on a worker
   * thread and keeps this process alive until the child ends. Every call gets the same result.
   */
  wait(): Promise<ExitStatus> {
    if (this.#exit) return Promise.resolve(this.#exit);
    this.#reaping ??= waitPid(this.pid).then((status) => (this.#exit = status));
    return this.#reaping;
  }

  /** Reaps the child if it has ended, without waiting; null while it runs (or wait() reaps). */
  tryWait(): ExitStatus | null {
    if (this.#exit === null && this.#reaping === null) this.#exit = tryWaitPid(this.pid);
    return this.#exit;
  }

  /**
   * Sends a signal to the child (the session leader only). Returns false without sending
   * when the child has already been reaped, since its pid may belong to another process now.
   */
  kill(signal: SignalSpec = "SIGTERM"): boolean {
    if (this.#exit !== null) return false;
    kill(this.pid, signal);
    return true;
  }

  /**
   * Closes the master; idempotent. The child's session gets SIGHUP (as when mosh-server
   * exits), a pending {@link read} returns null and queued input is dropped. The fds are
   * released as soon as no poll is using them, which is at once or within microseconds.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#backlog = [];
    this.#backlogBytes = 0;
    if (this.#polling === 0) this.#release();
    else signalEventfd(this.#wake);
  }

  /** Closes the pty, so that `using pty = Pty.spawn(...)` does at the end of its scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Waits until the master has `events` or close() is called. */
  async #poll(events: number): Promise<void> {
    this.#polling++;
    try {
      await waitFds([{ fd: this.#master, events }, { fd: this.#wake, events: POLLIN }]);
    } finally {
      this.#polling--;
      if (this.#closed && this.#polling === 0) this.#release();
    }
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      close(this.#master);
    } finally {
      close(this.#wake);
    }
  }

  /** Writes what the pty takes now; the count. A hung-up slave (the child is gone) drops it all. */
  #writeNow(bytes: Uint8Array): number {
    let offset = 0;
    while (offset < bytes.length) {
      const n = writeSome(this.#master, bytes.subarray(offset));
      if (n === HUNG_UP) return bytes.length;
      if (n <= 0) break;
      offset += n;
    }
    return offset;
  }

  /** Writes the backlog as the pty drains; one loop at a time. */
  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (!this.#closed && this.#backlog.length > 0) {
        const head = this.#backlog[0];
        const n = this.#writeNow(head);
        this.#backlogBytes -= n;
        if (n === head.length) this.#backlog.shift();
        else {
          this.#backlog[0] = head.subarray(n);
          await this.#poll(POLLOUT);
        }
      }
    } catch (e) {
      this.#writeError = e;
    } finally {
      this.#flushing = false;
    }
  }
}

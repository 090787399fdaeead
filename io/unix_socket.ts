/**
 * Unix stream sockets over libc: listen, accept, connect, one bounded line each way, and the
 * peer's credentials (SO_PEERCRED). mosh-server's session daemon answers `mosh-server list` and
 * `mosh-server attach` on one (see `server/control.ts`).
 *
 * Why not `Deno.listen({ transport: "unix" })`: Deno's Unix sockets expose no file descriptor,
 * so the peer's uid cannot be asked of the kernel, and that check is the one defence that does
 * not depend on the directory's permissions.
 *
 * The design follows `io/pty.ts`: the sockets are O_NONBLOCK and read and written synchronously
 * on the JavaScript thread; only waiting is moved to a worker thread (`io/waitable.ts`). Every
 * wait on a peer has a timeout. {@link UnixConnection.close} and {@link UnixListener.close} end
 * a pending wait at once.
 *
 * errno decides nothing here: a worker thread's errno is out of reach, and between a failed
 * call and the next FFI call that reads errno, the runtime may have made calls of its own on
 * the thread. So readiness is asked of poll first, and then the return value of read, send or
 * accept4 decides: after POLLIN a read cannot "would block", so -1 is an error; errno is read
 * only for the error's text. A non-blocking `connect` on a Unix stream socket either connects
 * at once or fails at once (the listener's backlog full, no listener, no file, no permission);
 * {@link UnixConnection.connect} retries every failure until its deadline, whatever the cause,
 * and reports the last cause's text.
 *
 * Requires `--allow-ffi`.
 *
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";
import {
  check,
  close as closeFd,
  cString,
  errno,
  fixedBytes,
  MSG_NOSIGNAL,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SystemError,
} from "./libc.ts";
import { Waitable } from "./waitable.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/** struct sockaddr_un: sa_family_t (2 bytes), then sun_path[108]. */
const SUN_PATH_OFFSET = 2;
const SUN_PATH_BYTES = 108;
/** The longest path a socket can have: sun_path less its terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = SUN_PATH_BYTES - 1;
/** struct ucred: pid, uid, gid, 4 bytes each. */
const UCRED_BYTES = 12;

/** How long a failed connect waits before trying again, at most. */
const CONNECT_RETRY_MS = 25;
/** The most one read takes from a socket. */
const READ_CHUNK = 4096;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
} as const;

let opened: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;

/** These symbols of libc, opened on first use (`libc.ts` holds the pty's and the daemon's). */
function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  return opened ??= Deno.dlopen("libc.so.6", SYMBOLS).symbols;
}

/** Who is at the other end of a connection, as the kernel saw them when it was made. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** Why a line could not be read or written. */
export type ConnectionFailure = "timeout" | "too long" | "end of stream" | "not UTF-8" | "closed";

/** A connection that did not deliver a line or take one: which way it failed, and a message. */
export class ConnectionError extends Error {
  /** What went wrong. */
  readonly reason: ConnectionFailure;

  constructor(reason: ConnectionFailure, message: string) {
    super(message);
    this.name = "ConnectionError";
    this.reason = reason;
  }
}

/** `path` as a struct sockaddr_un, and its length for bind/connect. */
function socketAddress(path: string): { addr: Uint8Array<ArrayBuffer>; length: number } {
  const name = cString(path, "socket path");
  if (name.length - 1 > MAX_SOCKET_PATH_BYTES || name.length === 1) {
    throw new RangeError(
      `A Unix socket path must have 1 to ${MAX_SOCKET_PATH_BYTES} bytes, got ` +
        `${name.length - 1}: ${path}`,
    );
  }
  const addr = fixedBytes(SUN_PATH_OFFSET + SUN_PATH_BYTES);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, SUN_PATH_OFFSET);
  return { addr, length: SUN_PATH_OFFSET + name.length };
}

function newSocket(): number {
  return check(libc().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
}

/** The credentials of the process at the other end of a connected Unix socket. */
export function peerCredentials(fd: number): PeerCredentials {
  const cred = fixedBytes(UCRED_BYTES);
  const length = new Uint32Array(new ArrayBuffer(4));
  length[0] = UCRED_BYTES;
  check(
    libc().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, new Uint8Array(length.buffer)),
    "getsockopt(SO_PEERCRED)",
    `fd ${fd}`,
  );
  const view = new DataView(cred.buffer);
  return {
    pid: view.getInt32(0, true),
    uid: view.getUint32(4, true),
    gid: view.getUint32(8, true),
  };
}

/** Milliseconds left before `deadline` (a `Date.now()` value), at least 0. */
function remaining(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * A connected Unix stream socket, for one line each way: {@link readLine} and
 * {@link writeLine}, each with a deadline and a size limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnixConnection, UnixListener } from "./unix_socket.ts";
 *
 * const path = Deno.makeTempDirSync() + "/s";
 * using listener = UnixListener.listen(path);
 * using client = await UnixConnection.connect(path, 1000);
 * using server = (await listener.accept())!;
 * await client.writeLine("hello", 1000);
 * assert.equal(await server.readLine({ maxBytes: 100, timeoutMs: 1000 }), "hello");
 * assert.equal(server.peerCredentials().pid, Deno.pid);
 * Deno.removeSync(path);
 * ```
 */
export class UnixConnection {
  readonly #socket: Waitable;
  #pending: Uint8Array = new Uint8Array(0);
  #ended = false;

  /** Takes ownership of a connected, non-blocking socket fd. */
  constructor(fd: number) {
    this.#socket = new Waitable(fd);
  }

  /**
   * Connects to the socket at `path`, trying again until `timeoutMs` have passed.
   * @throws SystemError when no connection was made in time, with the last failure's text
   * @throws RangeError when the path is too long for a Unix socket
   */
  static async connect(path: string, timeoutMs: number): Promise<UnixConnection> {
    const { addr, length } = socketAddress(path);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fd = newSocket();
      if (libc().connect(fd, addr, length) === 0) return new UnixConnection(fd);
      const cause = errno(); // only for the message: it decides nothing
      closeFd(fd);
      const left = remaining(deadline);
      if (left === 0) throw new SystemError("connect", cause, path);
      await sleep(Math.min(CONNECT_RETRY_MS, left));
    }
  }

  /** The socket's fd (for {@link peerCredentials}); owned by this object. */
  get fd(): number {
    return this.#socket.fd;
  }

  /** The credentials of the process at the other end. */
  peerCredentials(): PeerCredentials {
    return peerCredentials(this.#socket.fd);
  }

  /**
   * Reads up to the next "\n" and returns the line without it. Bytes after it are kept for
   * the next call.
   * @throws ConnectionError when no whole line of at most `maxBytes` bytes (the newline not
   *   counted) arrives within `timeoutMs`, the peer ends the stream first, the line is not
   *   UTF-8, or the connection is closed meanwhile
   * @throws SystemError when reading fails (the peer reset the connection)
   */
  async readLine(options: { maxBytes: number; timeoutMs: number }): Promise<string> {
    const { maxBytes, timeoutMs } = options;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.#pending.indexOf(0x0a);
      if (nl > maxBytes || (nl === -1 && this.#pending.length > maxBytes)) {
        throw new ConnectionError("too long", `A line longer than ${maxBytes} bytes`);
      }
      if (nl !== -1) {
        const line = this.#pending.subarray(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        try {
          return decoder.decode(line);
        } catch {
          throw new ConnectionError("not UTF-8", "A line that is not UTF-8");
        }
      }
      if (this.#ended) {
        throw new ConnectionError(
          "end of stream",
          `The peer ended the stream after ${this.#pending.length} bytes, without a newline`,
        );
      }
      await this.#waitFor(POLLIN, deadline, `No whole line within ${timeoutMs} ms`);
      this.#readAvailable();
    }
  }

  /**
   * Sends `line` and a "\n".
   * @throws ConnectionError when the peer does not take it within `timeoutMs`, or on close
   * @throws SystemError when the peer has gone (EPIPE) or reset the connection
   */
  async writeLine(line: string, timeoutMs: number): Promise<void> {
    if (line.includes("\n")) throw new TypeError("A line to send must not contain a newline");
    const bytes = encoder.encode(line + "\n");
    const buf = fixedBytes(bytes.length);
    buf.set(bytes);
    const deadline = Date.now() + timeoutMs;
    for (let offset = 0; offset < buf.length;) {
      await this.#waitFor(POLLOUT, deadline, `The peer took no line within ${timeoutMs} ms`);
      const rest = buf.subarray(offset);
      const n = Number(libc().send(this.fd, rest, BigInt(rest.length), MSG_NOSIGNAL));
      if (n < 0) throw new SystemError("send", errno(), `fd ${this.fd}`);
      offset += n;
    }
  }

  /** Closes the connection; idempotent. A pending read or write fails with reason "closed". */
  close(): void {
    this.#socket.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Waits until the socket has `events` (or an error or hangup), or throws `late`. */
  async #waitFor(events: number, deadline: number, late: string): Promise<void> {
    for (;;) {
      if (this.#socket.closed) throw new ConnectionError("closed", "The connection was closed");
      const left = remaining(deadline);
      if (left === 0) throw new ConnectionError("timeout", late);
      const revents = await this.#socket.wait(events, left);
      if (this.#socket.closed) throw new ConnectionError("closed", "The connection was closed");
      if (revents & (events | POLLERR | POLLHUP)) return;
    }
  }

  /** After poll said so: takes what is there. 0 is the end of the stream; -1 an error. */
  #readAvailable(): void {
    const chunk = fixedBytes(READ_CHUNK);
    const n = Number(libc().read(this.fd, chunk, BigInt(chunk.length)));
    if (n < 0) throw new SystemError("read", errno(), `fd ${this.fd}`);
    if (n === 0) {
      this.#ended = true;
      return;
    }
    const next = new Uint8Array(this.#pending.length + n);
    next.set(this.#pending);
    next.set(chunk.subarray(0, n), this.#pending.length);
    this.#pending = next;
  }
}

/**
 * A listening Unix stream socket. It does not remove its file on close: whoever decided where
 * it lives does (see `io/session_dir.ts`).
 */
export class UnixListener {
  /** The path it was bound to. */
  readonly path: string;
  readonly #socket: Waitable;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#socket = new Waitable(fd);
  }

  /**
   * Binds a new socket to `path` and listens. The file is made with mode 0777 less the umask;
   * what protects it is the directory it is in and the peer check.
   * @throws SystemError when the path exists (EADDRINUSE) or cannot be made
   */
  static listen(path: string, backlog = 16): UnixListener {
    const { addr, length } = socketAddress(path);
    const fd = newSocket();
    try {
      check(libc().bind(fd, addr, length), "bind", path);
      check(libc().listen(fd, backlog), "listen", path);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
    return new UnixListener(path, fd);
  }

  /**
   * The next connection, or null once {@link close} has been called. Waits without a limit.
   * @throws SystemError when accepting fails after the socket was ready (out of fds, out of
   *   memory): the caller should pause before asking again
   */
  async accept(): Promise<UnixConnection | null> {
    for (;;) {
      if (this.#socket.closed) return null;
      const revents = await this.#socket.wait(POLLIN, -1);
      if (this.#socket.closed) return null;
      if ((revents & (POLLIN | POLLERR | POLLHUP)) === 0) continue;
      const fd = libc().accept4(this.#socket.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) throw new SystemError("accept4", errno(), this.path);
      return new UnixConnection(fd);
    }
  }

  /** Stops listening; idempotent. A pending accept returns null. */
  close(): void {
    this.#socket.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

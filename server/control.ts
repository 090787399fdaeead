/**
 * A session daemon's control endpoint: the Unix socket `<dir>/<pid>.sock` on which it tells
 * `mosh-server list` about itself and on which `mosh-server attach` asks it for a new
 * connection under a fresh key. The exchange is in `server/control_protocol.ts`; the directory
 * and its names in `io/session_dir.ts`.
 *
 * Who may ask: only processes of this daemon's own uid. The directory (0700, ours) already
 * keeps everyone else away from the socket; the kernel's record of the peer (SO_PEERCRED) is
 * checked as well, so a socket that ends up reachable (a wrong directory, a hard link, a file
 * descriptor passed along) still answers nobody else. A refused peer is logged and the
 * connection closed without a word.
 *
 * Each connection: one request line, one answer line, close. Nothing a peer sends or fails to
 * send can stop the loop: a line must arrive within `readTimeoutMs` and be at most
 * {@link MAX_LINE_BYTES}; garbage gets an error answer; a handler that throws or rejects gets
 * its message back as an error answer and in the log; at most `maxConnections` are served at
 * once and the ones beyond are closed at once (logged). Attach requests are handled one at a
 * time, in order of arrival, so the session is never asked to rekey twice at once.
 *
 * The key travels only in the answer on this socket: never in argv, the environment or a file.
 *
 * @module
 */

import { type Clock, systemClock } from "../io/clock.ts";
import { listenSession, type SessionListener } from "../io/session_dir.ts";
import { ConnectionError, type UnixConnection } from "../io/unix_socket.ts";
import {
  type AttachAnswer,
  type AttachRequest,
  type ControlAnswer,
  type ControlError,
  encodeAnswer,
  MAX_LINE_BYTES,
  parseRequest,
  type SessionInfo,
} from "./control_protocol.ts";

export type { AttachAnswer, AttachRequest, ControlError, SessionInfo } from "./control_protocol.ts";

/** What the session behind a control endpoint does when asked. */
export interface SessionControl {
  /** The session's description now, for `mosh-server list`. */
  info(): SessionInfo;
  /**
   * Starts a new connection under a fresh key on a port bound as `request` asks, and answers
   * with both; or refuses with lines for the user. The old key is dead once this resolves.
   */
  attach(request: AttachRequest): Promise<AttachAnswer | ControlError>;
}

/** Limits and the log of a control endpoint. */
export interface ControlOptions {
  /** Where refusals and failures are told (the daemon's log). Default: nowhere. */
  log?: (line: string) => void;
  /** How long a peer has to send its request line. Default 5 s. */
  readTimeoutMs?: number;
  /** How long a peer has to take the answer. Default 5 s. */
  writeTimeoutMs?: number;
  /** How long {@link SessionControl.attach} may take before the peer is told it failed. */
  attachTimeoutMs?: number;
  /** Connections served at once; more are closed at once. Default 8. */
  maxConnections?: number;
  /**
   * The timers for its pauses and limits: the daemon's loop's (io/main_wait.ts), since an idle
   * daemon gives the event loop (and so setTimeout) a turn only every half minute.
   */
  clock?: Clock;
}

/** A running control endpoint. */
export interface Control {
  /** The socket's path, `<dir>/<pid>.sock`. */
  readonly path: string;
  /**
   * Stops: removes the socket file, stops accepting, closes open connections. Resolves when
   * nothing of it is left running. Idempotent.
   */
  close(): Promise<void>;
}

/** How long the loop pauses after accept failed (out of fds), so it cannot spin. */
const ACCEPT_RETRY_MS = 100;

/**
 * Listens on `<dir>/<pid>.sock` and answers requests with `handler`. `dir` must be the checked
 * session directory (`openSessionDir` in `io/session_dir.ts`) or, in tests, a directory like it.
 * @throws when the socket cannot be made
 */
export function startControl(
  handler: SessionControl,
  dir: string,
  options: ControlOptions = {},
): Control {
  const log = options.log ?? (() => {});
  const clock = options.clock ?? systemClock;
  const limits = {
    read: options.readTimeoutMs ?? 5000,
    write: options.writeTimeoutMs ?? 5000,
    attach: options.attachTimeoutMs ?? 20_000,
    connections: options.maxConnections ?? 8,
  };
  const bound: SessionListener = listenSession(dir);
  const uid = Deno.uid();
  const open = new Set<UnixConnection>();
  const served = new Set<Promise<void>>();
  let attachQueue: Promise<unknown> = Promise.resolve();
  let closing = false;

  /** Runs `attach` after every earlier one, within the time limit. */
  function attachInTurn(request: AttachRequest): Promise<AttachAnswer | ControlError> {
    const turn = attachQueue.then(() =>
      within(clock, handler.attach(request), limits.attach, "attaching took too long")
    );
    attachQueue = turn.catch(() => {});
    return turn;
  }

  async function answer(line: string): Promise<ControlAnswer> {
    const request = parseRequest(line);
    if ("error" in request) return { ok: false, error: request.error };
    try {
      if (request.op === "info") return { ok: true, info: handler.info() };
      const { op: _, ...attachRequest } = request;
      const result = await attachInTurn(attachRequest);
      return "error" in result ? { ok: false, error: result.error } : { ok: true, attach: result };
    } catch (e) {
      log(`control: the session failed to answer ${request.op}: ${describe(e)}`);
      return { ok: false, error: [`The session failed to answer: ${describe(e)}`] };
    }
  }

  async function serve(conn: UnixConnection): Promise<void> {
    try {
      const peer = conn.peerCredentials();
      if (peer.uid !== uid) {
        log(`control: refused pid ${peer.pid} of uid ${peer.uid}: not this session's user`);
        return;
      }
      let line: string;
      try {
        line = await conn.readLine({ maxBytes: MAX_LINE_BYTES, timeoutMs: limits.read });
      } catch (e) {
        if (!(e instanceof ConnectionError) || e.reason === "closed") throw e;
        log(`control: dropped a request from pid ${peer.pid}: ${e.message}`);
        if (e.reason === "too long" || e.reason === "not UTF-8") {
          await conn.writeLine(encodeAnswer({ ok: false, error: [e.message] }), limits.write);
        }
        return;
      }
      await conn.writeLine(encodeAnswer(await answer(line)), limits.write);
    } catch (e) {
      if (!closing) log(`control: a connection failed: ${describe(e)}`);
    } finally {
      conn.close();
      open.delete(conn);
    }
  }

  const loop = (async () => {
    while (!closing) {
      let conn: UnixConnection | null;
      try {
        conn = await bound.listener.accept();
      } catch (e) {
        log(`control: accepting a connection failed: ${describe(e)}`);
        await new Promise((resolve) => clock.setTimer(ACCEPT_RETRY_MS, () => resolve(undefined)));
        continue;
      }
      if (conn === null) break;
      if (open.size >= limits.connections) {
        log(`control: ${open.size} connections already; closed a new one`);
        conn.close();
        continue;
      }
      open.add(conn);
      const done = serve(conn);
      served.add(done);
      done.finally(() => served.delete(done));
    }
  })();

  let closed: Promise<void> | null = null;
  return {
    path: bound.path,
    close() {
      if (closed) return closed;
      closing = true;
      bound.close();
      for (const conn of open) conn.close();
      closed = (async () => {
        await loop;
        await Promise.allSettled([...served]);
      })();
      return closed;
    },
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `promise`, or a rejection with `message` after `ms` on `clock`. */
async function within<T>(
  clock: Clock,
  promise: Promise<T>,
  ms: number,
  message: string,
): Promise<T> {
  let timer: number | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = clock.setTimer(ms, () => reject(new Error(message)));
      }),
    ]);
  } finally {
    if (timer !== undefined) clock.clearTimer(timer);
  }
}

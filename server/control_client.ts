/**
 * The asking side of the session daemons' control sockets (`server/control.ts`): what
 * `mosh-server list` and `mosh-server attach` send, and the detached sessions a new login can
 * be told about.
 *
 * @module
 */

import { sessionSockets } from "../io/session_dir.ts";
import { UnixConnection } from "../io/unix_socket.ts";
import {
  type AttachAnswer,
  type AttachRequest,
  type ControlError,
  type ControlRequest,
  encodeRequest,
  isDetached,
  MAX_LINE_BYTES,
  parseAnswer,
  type SessionInfo,
} from "./control_protocol.ts";

/** How long to try to connect to a daemon. */
const CONNECT_TIMEOUT_MS = 1000;
/** How long a daemon may take to describe itself. */
const INFO_TIMEOUT_MS = 5000;
/** How long a daemon may take to bind a port and rekey (its own limit is 20 s). */
const ATTACH_TIMEOUT_MS = 25_000;

/** A session found in the directory: its description, or why it gave none. */
export interface SessionEntry {
  pid: number;
  /** Its socket. */
  path: string;
  /** What it said about itself; null when it did not answer. */
  info: SessionInfo | null;
  /** Why there is no info. */
  problem?: string;
}

/** Sends one request on a new connection to `path` and reads the answer line. */
async function ask(path: string, request: ControlRequest, timeoutMs: number): Promise<string> {
  using conn = await UnixConnection.connect(path, CONNECT_TIMEOUT_MS);
  await conn.writeLine(encodeRequest(request), timeoutMs);
  return await conn.readLine({ maxBytes: MAX_LINE_BYTES, timeoutMs });
}

function failure(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Asks the daemon at `path` to describe itself. */
export async function sessionInfo(path: string): Promise<SessionInfo | ControlError> {
  try {
    return parseAnswer(await ask(path, { op: "info" }, INFO_TIMEOUT_MS), "info");
  } catch (e) {
    return { error: [`The session did not answer: ${failure(e)}`] };
  }
}

/**
 * Every session in `dir`, by pid, each asked to describe itself (all at once). Stale sockets
 * are removed on the way; `log` hears of each.
 */
export async function listSessions(
  dir: string,
  log?: (line: string) => void,
): Promise<SessionEntry[]> {
  return await Promise.all(
    sessionSockets(dir, log).map(async ({ pid, path }) => {
      const info = await sessionInfo(path);
      if ("error" in info) return { pid, path, info: null, problem: info.error.join(" ") };
      if (info.pid !== pid) {
        return { pid, path, info: null, problem: `it says its pid is ${info.pid}` };
      }
      return { pid, path, info };
    }),
  );
}

/**
 * Asks the daemon at `path` for a new connection under a fresh key.
 * @returns the port and key, or lines saying why not
 */
export async function requestAttach(
  path: string,
  request: AttachRequest,
): Promise<AttachAnswer | ControlError> {
  try {
    const line = await ask(path, { op: "attach", ...request }, ATTACH_TIMEOUT_MS);
    return parseAnswer(line, "attach");
  } catch (e) {
    return { error: [`The session did not answer: ${failure(e)}`] };
  }
}

/**
 * The detached sessions in `dir` (see `isDetached` in `server/control_protocol.ts`), by pid,
 * leaving out `exclude` (a new session's own pid). For the notice a new session gives; pass
 * `findSessionDir()` of `io/session_dir.ts` (null, no directory yet: none). Sessions that do
 * not answer are left out.
 */
export async function detachedSessions(
  dir: string | null,
  options: { now?: number; exclude?: number } = {},
): Promise<SessionInfo[]> {
  if (dir === null) return [];
  const entries = await listSessions(dir);
  const now = options.now ?? Date.now();
  return entries
    .map((e) => e.info)
    .filter((i): i is SessionInfo => i !== null && i.pid !== options.exclude && isDetached(i, now));
}

/**
 * The line that tells a user starting a new session about their detached ones, or null when
 * there are none. `host` is how the user reaches this machine, if known.
 */
export function detachedNotice(sessions: SessionInfo[], host = "HOST"): string | null {
  if (sessions.length === 0) return null;
  if (sessions.length === 1) {
    return `denomosh: you have a detached session here (pid ${sessions[0].pid}); ` +
      `attach with: mosh --attach ${host}`;
  }
  return `denomosh: you have ${sessions.length} detached sessions here (pids ` +
    `${sessions.map((s) => s.pid).join(", ")}); attach with: mosh --attach=PID ${host}`;
}

/**
 * What a session daemon and `mosh-server list`/`attach` say to each other over the daemon's
 * Unix socket (`server/control.ts`, `server/control_client.ts`): one JSON line each way, then
 * the daemon closes the connection.
 *
 * ```
 * → {"v":1,"op":"info"}
 * ← {"ok":true,"info":{"pid":…,"started":…,"command":"-bash","lastContact":…,"lastClient":…}}
 * → {"v":1,"op":"attach","ip":"10.0.0.1","ports":{"low":60001,"high":60999}}
 * ← {"ok":true,"attach":{"port":60002,"key":"…22 base64 characters…","messages":[]}}
 * ← {"ok":false,"error":["…lines to show the user…"]}
 * ```
 *
 * `v` lets a newer `mosh-server attach` refuse an older daemon (or the other way round) with a
 * message rather than a misunderstanding. Lines have at most {@link MAX_LINE_BYTES}. Every
 * field is checked on both sides; the key travels only in the attach answer.
 *
 * @module
 */

import { isPrintable } from "../core/terminal/printable.ts";

/** The version of this exchange. */
export const CONTROL_VERSION = 1;
/** The longest line either side accepts, without its newline. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * A session with no client state heard for longer than this is detached. It is mosh-server's
 * own threshold: it marks its utmp entry detached ("mosh [PID]", which mosh-server's "You have
 * N detached Mosh sessions" counts) once more than 30 s have passed since the last client
 * state, and a session that never heard from a client carries that mark from its start. A
 * client sends at least every 3 s, so 30 s is ten missed heartbeats: gone, not just slow.
 */
export const DETACHED_AFTER_MS = 30_000;

/** What a session daemon tells about itself. */
export interface SessionInfo {
  /** The daemon's pid, as `[mosh-server detached, pid = …]` said. */
  pid: number;
  /** When the session started, epoch ms. */
  started: number;
  /** What it runs, for people: "-bash", "vim notes.txt". */
  command: string;
  /** When a client state last arrived, epoch ms; null if none ever did. */
  lastContact: number | null;
  /** The address that state came from ("203.0.113.5:50123"); null if none. */
  lastClient: string | null;
}

/** Where the attaching client wants the session's new port, as `new`'s -i and -p say. */
export interface AttachRequest {
  /** The local address to bind; any if absent. */
  ip?: string;
  /** The ports to try; the daemon's default range if absent. */
  ports?: { low: number; high: number };
  /** Who attaches, for the old client's notice: the ssh client's address, if known. */
  from?: string;
}

/** A session's new port and fresh key, and any messages binding it gave. */
export interface AttachAnswer {
  port: number;
  /** The new session key: 22 base64 characters, as MOSH_KEY takes it. */
  key: string;
  /** Lines to print on stderr before MOSH CONNECT (as `new` prints bind warnings). */
  messages?: string[];
}

/** A refusal or failure: lines to show the user. */
export interface ControlError {
  error: string[];
}

/** A request, as the daemon sees it. */
export type ControlRequest = { op: "info" } | ({ op: "attach" } & AttachRequest);

/** The daemon's answer line. */
export type ControlAnswer =
  | { ok: true; info: SessionInfo }
  | { ok: true; attach: AttachAnswer }
  | { ok: false; error: string[] };

/** Whether the session in `info` counts as detached at `now` (see {@link DETACHED_AFTER_MS}). */
export function isDetached(info: SessionInfo, now: number): boolean {
  return info.lastContact === null || now - info.lastContact > DETACHED_AFTER_MS;
}

/** The request line for `request` (without its newline). */
export function encodeRequest(request: ControlRequest): string {
  return JSON.stringify({ v: CONTROL_VERSION, ...request });
}

type Fields = Record<string, unknown>;

function object(value: unknown): Fields | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Fields
    : null;
}

function isPort(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 65535;
}

/** Parses a request line; a refusal that says what is wrong with it. */
export function parseRequest(line: string): ControlRequest | ControlError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: ["The request is not JSON"] };
  }
  const r = object(value);
  if (r === null) return { error: ["The request is not a JSON object"] };
  if (r.v !== CONTROL_VERSION) {
    return {
      error: [
        `This session speaks version ${CONTROL_VERSION} of the control exchange, the request ` +
        `version ${JSON.stringify(r.v)}; use the mosh-server that started it`,
      ],
    };
  }
  if (r.op === "info") return { op: "info" };
  if (r.op !== "attach") return { error: [`Unknown request ${JSON.stringify(r.op)}`] };
  const request: ControlRequest = { op: "attach" };
  if (r.ip !== undefined) {
    if (typeof r.ip !== "string" || r.ip === "" || r.ip.length > 255) {
      return { error: ["The attach request's ip must be a non-empty string of 255 at most"] };
    }
    request.ip = r.ip;
  }
  if (r.ports !== undefined) {
    const p = object(r.ports);
    if (p === null || !isPort(p.low) || !isPort(p.high) || p.low > p.high) {
      return { error: ["The attach request's ports must be {low, high} with 0 <= low <= high"] };
    }
    request.ports = { low: p.low, high: p.high };
  }
  if (r.from !== undefined) {
    if (typeof r.from !== "string" || r.from.length > 255 || !isPrintable(r.from)) {
      return { error: ["The attach request's from must be printable text of 255 at most"] };
    }
    request.from = r.from;
  }
  return request;
}

/** The answer line for `answer` (without its newline). */
export function encodeAnswer(answer: ControlAnswer): string {
  return JSON.stringify(answer);
}

function errorLines(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((l) => typeof l === "string") ? value : null;
}

function isTime(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n) && n >= 0;
}

/** Checks a daemon's SessionInfo; null if it is not one. */
export function checkInfo(value: unknown): SessionInfo | null {
  const i = object(value);
  if (
    i === null || !Number.isInteger(i.pid) || (i.pid as number) <= 0 || !isTime(i.started) ||
    typeof i.command !== "string" || !(i.lastContact === null || isTime(i.lastContact)) ||
    !(i.lastClient === null || typeof i.lastClient === "string")
  ) return null;
  return {
    pid: i.pid as number,
    started: i.started,
    command: i.command,
    lastContact: i.lastContact,
    lastClient: i.lastClient,
  };
}

/** Checks a daemon's AttachAnswer; null if it is not one. */
export function checkAttach(value: unknown): AttachAnswer | null {
  const a = object(value);
  if (
    a === null || !isPort(a.port) || a.port === 0 || typeof a.key !== "string" ||
    !/^[A-Za-z0-9+/]{22}$/.test(a.key) ||
    !(a.messages === undefined || errorLines(a.messages) !== null)
  ) return null;
  return { port: a.port, key: a.key, ...(a.messages ? { messages: a.messages as string[] } : {}) };
}

/**
 * Parses the daemon's answer to a request of kind `op`: the info or attach answer, or the
 * error lines (the daemon's own, or what is wrong with its answer).
 */
export function parseAnswer(line: string, op: "info"): SessionInfo | ControlError;
export function parseAnswer(line: string, op: "attach"): AttachAnswer | ControlError;
export function parseAnswer(
  line: string,
  op: "info" | "attach",
): SessionInfo | AttachAnswer | ControlError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: ["The session's answer is not JSON"] };
  }
  const a = object(value);
  if (a === null) return { error: ["The session's answer is not a JSON object"] };
  if (a.ok === false) {
    return { error: errorLines(a.error) ?? ["The session refused, without saying why"] };
  }
  const checked = a.ok === true
    ? (op === "info" ? checkInfo(a.info) : checkAttach(a.attach))
    : null;
  return checked ?? { error: [`The session's answer to ${op} is malformed`] };
}

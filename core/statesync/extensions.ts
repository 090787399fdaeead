/**
 * Our compatible extensions of mosh's two state messages (docs/protocol.md §16): the client's
 * `Capabilities` announcement (UserMessage extension 64), the server's `ServerCapabilities`
 * answer (HostMessage extension 64) and `Notice` (HostMessage extension 66). Each travels as an
 * `Instruction` holding that one extension, which mosh 1.4.0 parses and ignores; our server
 * sends its extensions only to a client that announced, so a stock peer sees mosh's behaviour.
 *
 * Features are bits of one number, so that each side can say exactly what it will do:
 * the client announces what it understands, the server answers with what it will use (a
 * subset), and neither side acts on a feature the other did not name.
 *
 * @module
 */

import { ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from "../network/protowire.ts";

/** The extension field numbers (docs/protocol.md §16). */
export const EXT_CAPABILITIES = 64;
export const EXT_SERVER_CAPABILITIES = 64;
export const EXT_HISTORY = 65;
export const EXT_NOTICE = 66;

/** The version of our extensions this code speaks. */
export const EXTENSIONS_VERSION = 1;

/** Feature bits. */
export const Feature = {
  /** Rows that scroll off the top of the main screen reach the client's scrollback. */
  history: 1,
  /** The alternate screen (1047/1049) is mirrored on the client's terminal. */
  altScreen: 2,
  /** The server may say why a session ends for this client (taken over, a fault). */
  notice: 4,
} as const;

/** Every feature this code knows. */
export const ALL_FEATURES = Feature.history | Feature.altScreen | Feature.notice;

/** A set of features and the version that defines them. */
export interface Capabilities {
  readonly version: number;
  /** Feature bits; unknown bits from a newer peer are kept but never acted on. */
  readonly features: number;
}

/** Why the server speaks to this client. */
export const NoticeKind = {
  /** Another client attached to the session; this one is done. */
  takenOver: 1,
  /** The server hit an internal error and is ending the session. */
  fault: 2,
} as const;

/**
 * History rows (HostMessage extension 65): rows `start` to `end - 1` of the server's numbered
 * history, as core/terminal/history_codec.ts encodes them. Rows after the client's state and
 * before `start` were not sent (the per-frame bound); the client shows one marker for them.
 */
export interface HistoryChunk {
  readonly start: number;
  readonly end: number;
  /** Encoded rows: `end - start` of them. */
  readonly rows: Uint8Array;
}

/** A message from the server, shown by a client that announced {@link Feature.notice}. */
export interface Notice {
  readonly kind: number;
  readonly text: string;
}

/** The most text a notice carries, in bytes (it is shown on one line). */
const NOTICE_MAX_BYTES = 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A Capabilities (or ServerCapabilities) message: version (1), features (2). */
export function encodeCapabilities(c: Capabilities): Uint8Array {
  return new ProtoWriter().uint(1, c.version).uint(2, c.features).finish();
}

/** Reads a Capabilities message; throws on malformed input. */
export function parseCapabilities(bytes: Uint8Array): Capabilities {
  let version = 0, features = 0;
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.field !== 1 && f.field !== 2) continue;
    if (f.wire !== WIRE_VARINT) throw new Error("capabilities: not a varint");
    const value = Number(BigInt.asUintN(32, f.varint));
    if (f.field === 1) version = value;
    else features = value;
  }
  return { version, features };
}

/** A Notice message: kind (1), text (2). */
export function encodeNotice(n: Notice): Uint8Array {
  const text = encoder.encode(n.text).subarray(0, NOTICE_MAX_BYTES);
  return new ProtoWriter().uint(1, n.kind).bytes(2, text).finish();
}

/** Reads a Notice message; throws on malformed input (text that is not UTF-8 included). */
export function parseNotice(bytes: Uint8Array): Notice {
  let kind = 0, text = "";
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.field === 1) {
      if (f.wire !== WIRE_VARINT) throw new Error("notice: kind is not a varint");
      kind = Number(BigInt.asUintN(32, f.varint));
    } else if (f.field === 2) {
      if (f.wire !== WIRE_LEN) throw new Error("notice: text is not length-delimited");
      if (f.bytes.length > NOTICE_MAX_BYTES) throw new Error("notice: text too long");
      text = decoder.decode(f.bytes);
    }
  }
  return { kind, text };
}

/** Whether two notices say the same (null: none). */
export function sameNotice(a: Notice | null, b: Notice | null): boolean {
  return a === b || (a !== null && b !== null && a.kind === b.kind && a.text === b.text);
}

/** A History message: start (1), end (2), rows (3). */
export function encodeHistory(h: HistoryChunk): Uint8Array {
  return new ProtoWriter(h.rows.length + 24).uint(1, h.start).uint(2, h.end).bytes(3, h.rows)
    .finish();
}

/** Reads a History message; throws on malformed input (start after end included). */
export function parseHistory(bytes: Uint8Array): HistoryChunk {
  let start = 0, end = 0;
  let rows: Uint8Array = new Uint8Array(0);
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.field === 1 || f.field === 2) {
      if (f.wire !== WIRE_VARINT) throw new Error("history: not a varint");
      const n = Number(f.varint);
      if (!Number.isSafeInteger(n)) throw new Error("history: number out of range");
      if (f.field === 1) start = n;
      else end = n;
    } else if (f.field === 3) {
      if (f.wire !== WIRE_LEN) throw new Error("history: rows not length-delimited");
      rows = f.bytes;
    }
  }
  if (start > end) throw new Error("history: start after end");
  return { start, end, rows };
}

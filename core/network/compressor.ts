/**
 * zlib (RFC 1950) compression of serialized instructions, as mosh's `compress()` produces and
 * `uncompress()` accepts: a `78 9C` header, deflate, an Adler-32 trailer. Not raw deflate, not
 * gzip. Inflation stops at mosh's 4 MiB receive buffer, so a small datagram cannot make us
 * allocate without bound (a decompression bomb).
 *
 * Short inputs are deflated here (`small_zlib.ts`); the rest, and all inflating, go to the
 * {@link Zlib} the program supplies (io/zlib.ts: node:zlib's deflate, and for inflating the
 * core's own `inflate.ts`, which the programs use so that a client never loads node:zlib).
 *
 * Synchronous on purpose: the transport is a sans-IO state machine and cannot await.
 *
 * @module
 */

import { deflateFixed } from "./small_zlib.ts";

/** mosh's decompression buffer: 2048 × 2048 bytes. Larger instructions are refused. */
export const MAX_INFLATED_BYTES = 2048 * 2048;
/**
 * Inputs up to this size use the fixed-code deflater of `small_zlib.ts`, which is as compact
 * as zlib's default level on them and twenty times faster; longer ones use zlib itself, whose
 * dynamic codes win on screenfuls.
 */
export const SMALL_INPUT_BYTES = 160;

/** A full zlib implementation, supplied by the program (see core/platform.ts). */
export interface Zlib {
  /** A zlib stream (RFC 1950, default level) of `data`. */
  deflate(data: Uint8Array): Uint8Array;
  /**
   * The data of a zlib stream.
   * @returns null when the stream is malformed or truncated, or inflates to more than
   *   `limit` bytes (it must stop there, not inflate it all first)
   */
  inflate(data: Uint8Array, limit: number): Uint8Array | null;
}

/** A zlib stream of `data`. */
export function compress(data: Uint8Array, zlib: Zlib): Uint8Array {
  if (data.length <= SMALL_INPUT_BYTES) return deflateFixed(data);
  return zlib.deflate(data);
}

/**
 * Inflates a zlib stream.
 * @returns the data, or null when the stream is malformed, truncated, or inflates to more than
 *   `limit` (by default {@link MAX_INFLATED_BYTES})
 */
export function decompress(
  data: Uint8Array,
  zlib: Zlib,
  limit = MAX_INFLATED_BYTES,
): Uint8Array | null {
  return zlib.inflate(data, limit);
}

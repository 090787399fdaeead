/**
 * zlib (RFC 1950) compression of serialized instructions, as mosh's `compress()` produces and
 * `uncompress()` accepts: a `78 9C` header, deflate, an Adler-32 trailer. Not raw deflate, not
 * gzip. Inflation stops at mosh's 4 MiB receive buffer, so a small datagram cannot make us
 * allocate without bound (a decompression bomb).
 *
 * Synchronous on purpose: the transport is a sans-IO state machine and cannot await.
 *
 * @module
 */

import { deflateSync, inflateSync } from "node:zlib";

/** mosh's decompression buffer: 2048 × 2048 bytes. Larger instructions are refused. */
export const MAX_INFLATED_BYTES = 2048 * 2048;

/** The zlib stream of `data` at the default level. */
export function compress(data: Uint8Array): Uint8Array {
  const out = deflateSync(data);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Inflates a zlib stream.
 * @returns the data, or null when the stream is malformed, truncated, or inflates to more than
 *   {@link MAX_INFLATED_BYTES}
 */
export function decompress(data: Uint8Array, limit = MAX_INFLATED_BYTES): Uint8Array | null {
  try {
    const out = inflateSync(data, { maxOutputLength: limit });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    return null;
  }
}

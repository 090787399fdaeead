/**
 * The {@link Zlib} of a Deno process: node:zlib's synchronous deflate and inflate, loaded on
 * first use (`process.getBuiltinModule`) rather than when this module is imported, since
 * loading it costs some 15 ms of start-up and short instructions never need it
 * (core/network/small_zlib.ts handles them).
 *
 * @module
 */

import type * as NodeZlib from "node:zlib";
import type { Zlib } from "../core/network/compressor.ts";

let zlib: typeof NodeZlib | undefined;

function load(): typeof NodeZlib {
  return zlib ??= process.getBuiltinModule("node:zlib") as typeof NodeZlib;
}

/** node:zlib behind the core's {@link Zlib} interface. */
export const nodeZlib: Zlib = {
  deflate(data: Uint8Array): Uint8Array {
    const out = load().deflateSync(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
  inflate(data: Uint8Array, limit: number): Uint8Array | null {
    const { inflateSync } = load();
    try {
      // maxOutputLength makes zlib stop at the limit instead of inflating a bomb first; it
      // must be at least 1.
      const out = inflateSync(data, { maxOutputLength: Math.max(1, limit) });
      if (out.byteLength > limit) return null;
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch {
      return null; // malformed, truncated, or over the limit: the caller drops it
    }
  },
};

/**
 * The {@link Zlib} of a Deno process: node:zlib's synchronous deflate for long inputs, loaded
 * on first use (`process.getBuiltinModule`) rather than when this module is imported, since
 * loading it costs some 15 ms of start-up and short instructions never need it
 * (core/network/small_zlib.ts handles them); and the core's own inflater
 * (core/network/inflate.ts), so that a client, which only inflates, never loads node:zlib.
 *
 * @module
 */

import type * as NodeZlib from "node:zlib";
import type { Zlib } from "../core/network/compressor.ts";
import { inflate } from "../core/network/inflate.ts";

let zlib: typeof NodeZlib | undefined;

function load(): typeof NodeZlib {
  return zlib ??= process.getBuiltinModule("node:zlib") as typeof NodeZlib;
}

/** node:zlib's deflate and our inflate behind the core's {@link Zlib} interface. */
export const nodeZlib: Zlib = {
  deflate(data: Uint8Array): Uint8Array {
    const out = load().deflateSync(data);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
  inflate,
};

/**
 * Typed arrays for the core's hot paths, carved from one shared slab (see {@link allocBytes}),
 * and small byte-array helpers.
 *
 * @module
 */

/** Allocations up to this many bytes come from the shared slab; larger ones get their own. */
const SLAB_MAX_BYTES = 16 * 1024;
/** The size of one slab, in bytes: four of the largest allocations. */
const SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
/** Bytes of the current slab handed out, a multiple of 8 (so any typed view is aligned). */
let slabUsed = 0;

/**
 * The byte offset in the current slab of `bytes` fresh bytes, or -1 when they are too many
 * for a slab.
 *
 * A fresh `ArrayBuffer` costs V8 about 2 µs, more than sealing a whole datagram or converting
 * a screen row, so the hot paths' small arrays (a datagram, a plaintext, a snapshot's rows)
 * are views into a shared 64 KiB slab, which the garbage collector frees once no view of it is
 * left (Node's `Buffer.allocUnsafe` pool works the same way). A long-lived view keeps at most
 * one slab alive.
 */
function carve(bytes: number): number {
  if (bytes > SLAB_MAX_BYTES) return -1;
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const at = slabUsed;
  slabUsed += (bytes + 7) & ~7;
  return at;
}

/**
 * A zeroed `Uint8Array` of `n` bytes, from the shared slab when small. Such a view's `.buffer`
 * is the whole slab: never hand `.buffer` to code that assumes it starts at byte 0.
 *
 * @example
 * ```ts
 * import { allocBytes } from "./bytes.ts";
 *
 * const a = allocBytes(100), b = allocBytes(100);
 * if (a.buffer !== b.buffer || a.byteOffset === b.byteOffset) throw new Error("one slab");
 * ```
 */
export function allocBytes(n: number): Uint8Array {
  const at = carve(n);
  return at < 0 ? new Uint8Array(n) : new Uint8Array(slab, at, n);
}

/** A zeroed `Uint32Array` of `n` words, from the shared slab when small (as {@link allocBytes}). */
export function allocWords(n: number): Uint32Array {
  const at = carve(n * 4);
  return at < 0 ? new Uint32Array(n) : new Uint32Array(slab, at, n);
}

/** A copy of `src[0..n)`, from the shared slab when small. */
export function copyWords(src: Uint32Array, n: number): Uint32Array {
  const out = allocWords(n);
  out.set(n === src.length ? src : src.subarray(0, n));
  return out;
}

/** The concatenation of `parts`. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = allocBytes(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Whether two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

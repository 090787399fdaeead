/**
 * Small byte-array helpers shared by the core.
 *
 * @module
 */

/** Allocations up to this size come from a shared slab. */
const SLAB_MAX = 4096;
const SLAB_BYTES = 64 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * A zeroed `Uint8Array` of `n` bytes for the hot paths (a datagram, a plaintext).
 *
 * A fresh `ArrayBuffer` costs V8 about 2 µs, more than sealing a whole datagram, so small
 * arrays are views into a shared 64 KiB slab, which the garbage collector frees once no view
 * of it is left (Node's `Buffer.allocUnsafe` pool works the same way). Such a view's `.buffer`
 * is the whole slab: never hand `.buffer` to code that assumes it starts at byte 0.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > SLAB_MAX) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = new Uint8Array(slab, slabUsed, n);
  slabUsed += (n + 7) & ~7;
  return view;
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

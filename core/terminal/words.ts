/**
 * Small `Uint32Array`s for the snapshot hot path, carved out of shared 64 KiB slabs.
 *
 * A fresh `ArrayBuffer` costs V8 microseconds (see `core/bytes.ts`), more than converting a
 * whole row, and a snapshot of a scrolling screen makes two arrays per row. A slab is freed
 * once no view of it is left, so a long-lived row keeps at most one 64 KiB slab alive.
 *
 * @module
 */

/** Arrays up to this many words come from a slab. */
const SLAB_MAX_WORDS = 4096;
const SLAB_WORDS = 16384;
let slab = new Uint32Array(SLAB_WORDS);
let used = 0;

/** A zeroed `Uint32Array` of `n` words. */
export function allocWords(n: number): Uint32Array {
  if (n > SLAB_MAX_WORDS) return new Uint32Array(n);
  if (used + n > SLAB_WORDS) {
    slab = new Uint32Array(SLAB_WORDS);
    used = 0;
  }
  const view = slab.subarray(used, used + n);
  used += n;
  return view;
}

/** A copy of `src[0..n)` in a slab. */
export function copyWords(src: Uint32Array, n: number): Uint32Array {
  const out = allocWords(n);
  out.set(n === src.length ? src : src.subarray(0, n));
  return out;
}

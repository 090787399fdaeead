/**
 * zlib for the small instructions that make up most of a session: acks, heartbeats,
 * keystrokes and small screen updates, usually under 100 bytes.
 *
 * node:zlib costs 10-20 µs a call in Deno whatever the size (it builds and tears down a zlib
 * stream each time), which dominated a simulated session. For short inputs a deflate block with
 * the fixed Huffman code (RFC 1951 §3.2.6) and greedy LZ77 matching is as small as zlib's own
 * output (zlib itself picks fixed codes for such inputs) and takes a microsecond. It makes
 * standard zlib streams (RFC 1950), checked by Adler-32; `inflate.ts` reads them, and every
 * other zlib stream.
 *
 * @module
 */

import { allocBytes } from "../bytes.ts";

/** The shortest match of each length symbol 257-285 (RFC 1951 §3.2.5). */
export const LENGTH_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
/** The extra bits after each length symbol 257-285 (RFC 1951 §3.2.5). */
export const LENGTH_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
/** The shortest distance of each distance symbol 0-29 (RFC 1951 §3.2.5). */
export const DIST_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
/** The extra bits after each distance symbol 0-29 (RFC 1951 §3.2.5). */
export const DIST_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
/** The shortest match deflate can encode, bytes. */
const MIN_MATCH = 3;
/** Positions of recent 3-byte prefixes by hash, reused across calls. */
const HEAD = new Int32Array(1 << 12).fill(-1);
/** The longest match deflate can encode, bytes. */
const MAX_MATCH = 258;

/** The fixed literal/length code of `symbol`: its bits reversed for LSB-first output. */
const FIXED_CODE = new Uint16Array(288);
const FIXED_LEN = new Uint8Array(288);
for (let s = 0; s < 288; s++) {
  let code: number, len: number;
  if (s < 144) [code, len] = [0x30 + s, 8];
  else if (s < 256) [code, len] = [0x190 + s - 144, 9];
  else if (s < 280) [code, len] = [s - 256, 7];
  else [code, len] = [0xc0 + s - 280, 8];
  FIXED_CODE[s] = reverse(code, len);
  FIXED_LEN[s] = len;
}

function reverse(code: number, len: number): number {
  let r = 0;
  for (let i = 0; i < len; i++) r |= ((code >>> i) & 1) << (len - 1 - i);
  return r;
}

/** The Adler-32 checksum of `data` (RFC 1950 §8.2). */
export function adler32(data: Uint8Array): number {
  let a = 1, b = 0;
  for (let i = 0; i < data.length;) {
    const end = Math.min(data.length, i + 3800);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

class BitWriter {
  out: Uint8Array;
  len = 0;
  #acc = 0;
  #bits = 0;

  constructor(capacity: number) {
    this.out = allocBytes(capacity);
  }

  write(value: number, bits: number): void {
    this.#acc |= value << this.#bits;
    this.#bits += bits;
    while (this.#bits >= 8) {
      this.out[this.len++] = this.#acc & 0xff;
      this.#acc >>>= 8;
      this.#bits -= 8;
    }
  }

  flush(): void {
    if (this.#bits > 0) this.out[this.len++] = this.#acc & 0xff;
    this.#acc = 0;
    this.#bits = 0;
  }
}

function lengthSymbol(length: number): number {
  let i = LENGTH_BASE.length - 1;
  while (LENGTH_BASE[i] > length) i--;
  return i;
}

function distSymbol(dist: number): number {
  let i = DIST_BASE.length - 1;
  while (DIST_BASE[i] > dist) i--;
  return i;
}

/**
 * A zlib stream of `data` made of one fixed-Huffman deflate block with greedy LZ77 matching.
 * Meant for inputs up to a few hundred bytes; any length works.
 */
export function deflateFixed(data: Uint8Array): Uint8Array {
  // Worst case 9 bits a literal, plus header, block codes and trailer.
  const w = new BitWriter(Math.ceil(data.length * 9 / 8) + 16);
  w.write(0x78, 8);
  w.write(0x01, 8); // CMF/FLG: deflate, 32K window, "fastest" level; (0x7801 % 31 == 0)
  w.write(1, 1); // BFINAL
  w.write(1, 2); // BTYPE = fixed Huffman
  const head = HEAD;
  const hash = (i: number) =>
    (((data[i] << 8) ^ (data[i + 1] << 4) ^ data[i + 2]) * 2654435761) >>> 20;
  let i = 0;
  while (i < data.length) {
    let matchLen = 0, matchDist = 0;
    if (i + MIN_MATCH <= data.length) {
      const h = hash(i);
      const cand = head[h];
      head[h] = i;
      // The table is shared between calls and never cleared: a stale entry is only a wrong
      // guess, and the byte comparison below decides.
      if (cand >= 0 && cand < i && i - cand <= 32768) {
        const max = Math.min(MAX_MATCH, data.length - i);
        let n = 0;
        while (n < max && data[cand + n] === data[i + n]) n++;
        if (n >= MIN_MATCH) [matchLen, matchDist] = [n, i - cand];
      }
    }
    if (matchLen) {
      const ls = lengthSymbol(matchLen);
      w.write(FIXED_CODE[257 + ls], FIXED_LEN[257 + ls]);
      if (LENGTH_EXTRA[ls]) w.write(matchLen - LENGTH_BASE[ls], LENGTH_EXTRA[ls]);
      const ds = distSymbol(matchDist);
      w.write(reverse(ds, 5), 5);
      if (DIST_EXTRA[ds]) w.write(matchDist - DIST_BASE[ds], DIST_EXTRA[ds]);
      for (let k = 1; k < matchLen && i + k + MIN_MATCH <= data.length; k++) {
        head[hash(i + k)] = i + k;
      }
      i += matchLen;
    } else {
      w.write(FIXED_CODE[data[i]], FIXED_LEN[data[i]]);
      i++;
    }
  }
  w.write(FIXED_CODE[256], FIXED_LEN[256]);
  w.flush();
  const sum = adler32(data);
  w.write(sum >>> 24, 8);
  w.write((sum >>> 16) & 0xff, 8);
  w.write((sum >>> 8) & 0xff, 8);
  w.write(sum & 0xff, 8);
  return w.out.subarray(0, w.len);
}

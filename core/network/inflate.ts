/**
 * Inflating a zlib stream (RFC 1950 around RFC 1951 deflate): stored, fixed-code and
 * dynamic-code blocks, checked by Adler-32, stopping at a size limit so that a small datagram
 * cannot make us allocate without bound (a decompression bomb).
 *
 * Ours rather than the platform's because a client only ever inflates: with this, it never
 * loads node:zlib, whose polyfill costs a Deno process about 6 MB resident and 9 ms on the
 * first screenful (and 10-20 µs a call after that, where this takes a few for a screen diff).
 *
 * The Huffman decoding follows the canonical-code rules of RFC 1951 §3.2.2 as zlib's `puff.c`
 * reads them: a code is refused if it is over-subscribed, or incomplete unless it is a single
 * code of one bit. Codes up to {@link FAST_BITS} long are found with one table look-up of the
 * next bits; longer ones bit by bit.
 *
 * @module
 */

import { adler32, DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA } from "./small_zlib.ts";

/** The longest Huffman code deflate uses, bits. */
const MAX_BITS = 15;
/** Codes up to this long are decoded with one look-up. */
const FAST_BITS = 9;
/** The order in which a dynamic block sends the code lengths of its code-length code. */
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code, as `puff.c` keeps it, with a table for the short codes. */
interface Huffman {
  /** How many codes have each length, 0..15. */
  count: Uint16Array;
  /** The symbols in code order. */
  symbol: Uint16Array;
  /** By the next {@link FAST_BITS} bits (first bit lowest): symbol << 4 | length, or 0. */
  fast: Uint16Array;
  /** Whether every bit string starts with a code (else some are not codes). */
  complete: boolean;
}

/** The stream is malformed, truncated, or inflates past the limit. */
class Refused extends Error {}

/** Each {@link FAST_BITS}-bit number with its bits in reverse order. */
const REVERSED = new Uint16Array(1 << FAST_BITS);
for (let i = 0; i < 1 << FAST_BITS; i++) {
  for (let b = 0; b < FAST_BITS; b++) REVERSED[i] |= ((i >>> b) & 1) << (FAST_BITS - 1 - b);
}

/**
 * A Huffman code from the code length of each symbol (0: unused).
 * @param fast where to build its look-up table (a block's codes live until its end only, so
 *   inflating reuses three tables rather than allocate them for every block)
 * @throws Refused when the lengths are over-subscribed (more codes than bit strings)
 */
function huffman(
  lengths: Uint8Array,
  n: number,
  fast = new Uint16Array(1 << FAST_BITS),
): Huffman {
  const count = new Uint16Array(MAX_BITS + 1);
  for (let s = 0; s < n; s++) count[lengths[s]]++;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw new Refused();
  }
  const offsets = new Uint16Array(MAX_BITS + 2);
  for (let len = 1; len <= MAX_BITS; len++) offsets[len + 1] = offsets[len] + count[len];
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) if (lengths[s]) symbol[offsets[lengths[s]]++] = s;
  fast.fill(0);
  let code = 0, index = 0;
  for (let len = 1; len <= FAST_BITS; len++) {
    for (let i = 0; i < count[len]; i++, code++, index++) {
      const reversed = REVERSED[code] >>> (FAST_BITS - len);
      const entry = (symbol[index] << 4) | len;
      for (let fill = reversed; fill < 1 << FAST_BITS; fill += 1 << len) fast[fill] = entry;
    }
    code <<= 1;
  }
  return { count, symbol, fast, complete: left === 0 };
}

/**
 * `h`, if a block may use it: complete, or (as zlib and puff.c allow) with no code or one code
 * of one bit, which is how a block with a single distance, or none, is sent.
 */
function usable(h: Huffman, n: number): Huffman {
  if (!h.complete && h.count[0] + h.count[1] !== n) throw new Refused();
  return h;
}

const FIXED_LITLEN = huffman(
  Uint8Array.from({ length: 288 }, (_, s) => s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8),
  288,
);
const FIXED_DIST = huffman(new Uint8Array(30).fill(5), 30);

/** Reads a deflate stream bit by bit, first bit lowest; past the end it fails. */
class Bits {
  readonly input: Uint8Array;
  /** The next byte of `input` to read into {@link acc}. */
  pos: number;
  /** Bits read ahead, the next one lowest, and how many. */
  acc = 0;
  count = 0;

  constructor(input: Uint8Array, pos: number) {
    this.input = input;
    this.pos = pos;
  }

  /** The next `n` bits (n ≤ 24) as a number. */
  take(n: number): number {
    while (this.count < n) {
      if (this.pos >= this.input.length) throw new Refused();
      this.acc |= this.input[this.pos++] << this.count;
      this.count += 8;
    }
    const v = this.acc & ((1 << n) - 1);
    this.acc >>>= n;
    this.count -= n;
    return v;
  }

  /** The next up to `n` bits without taking them; zeros past the end of the input. */
  peek(n: number): number {
    while (this.count < n && this.pos < this.input.length) {
      this.acc |= this.input[this.pos++] << this.count;
      this.count += 8;
    }
    return this.acc & ((1 << n) - 1);
  }

  /** Drops the bits up to the next byte boundary (stored blocks start on one). */
  align(): void {
    const drop = this.count & 7;
    this.acc >>>= drop;
    this.count -= drop;
  }

  /** The position of the next unread whole byte. */
  get bytePos(): number {
    return this.pos - (this.count >>> 3);
  }

  /** Forgets what was read ahead, to read bytes from {@link bytePos} directly. */
  seek(pos: number): void {
    this.pos = pos;
    this.acc = 0;
    this.count = 0;
  }

  /** One symbol of `h`. */
  decode(h: Huffman): number {
    const entry = h.fast[this.peek(FAST_BITS)];
    if (entry !== 0) {
      this.take(entry & 15);
      return entry >>> 4;
    }
    // Longer than FAST_BITS, or not a code at all: bit by bit (puff.c's decode).
    let code = 0, first = 0, index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.take(1);
      const count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Refused();
  }
}

/** Where inflating starts writing: most instructions fit, and then take one copy. */
const SCRATCH = new Uint8Array(64 * 1024);

/** The growing output, refusing to pass the limit. */
class Output {
  /** Where the output is written; never longer than the limit. */
  bytes: Uint8Array;
  length = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.bytes = SCRATCH.subarray(0, Math.min(limit, SCRATCH.length));
    this.#limit = limit;
  }

  /** The output, in memory of its own. */
  result(): Uint8Array {
    const data = this.bytes.subarray(0, this.length);
    return this.bytes.buffer === SCRATCH.buffer ? data.slice() : data;
  }

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    const want = this.length + n;
    if (want > this.#limit) throw new Refused();
    if (want <= this.bytes.length) return;
    const next = new Uint8Array(Math.min(this.#limit, Math.max(this.bytes.length * 2, want)));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}

/** The look-up tables of a dynamic block's three codes, reused block after block. */
const TABLES = [0, 1, 2].map(() => new Uint16Array(1 << FAST_BITS));

/** A dynamic block's two codes (RFC 1951 §3.2.7). */
function dynamicCodes(bits: Bits): [Huffman, Huffman] {
  const nlen = bits.take(5) + 257, ndist = bits.take(5) + 1, ncode = bits.take(4) + 4;
  if (nlen > 286 || ndist > 30) throw new Refused();
  const lengths = new Uint8Array(320);
  for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]] = bits.take(3);
  const lencode = huffman(lengths, 19, TABLES[0]);
  if (!lencode.complete) throw new Refused();
  lengths.fill(0, 0, 19);
  for (let i = 0; i < nlen + ndist;) {
    const sym = bits.decode(lencode);
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    let repeat: number, value = 0;
    if (sym === 16) {
      if (i === 0) throw new Refused(); // nothing to repeat
      value = lengths[i - 1];
      repeat = 3 + bits.take(2);
    } else if (sym === 17) repeat = 3 + bits.take(3);
    else repeat = 11 + bits.take(7);
    if (i + repeat > nlen + ndist) throw new Refused();
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new Refused(); // no end-of-block code
  return [
    usable(huffman(lengths, nlen, TABLES[1]), nlen),
    usable(huffman(lengths.slice(nlen, nlen + ndist), ndist, TABLES[2]), ndist),
  ];
}

/**
 * Inflates one Huffman-coded block into `out`. The hot loop of a client's every frame: the
 * bit buffer lives in locals here, and output room is made a match or a run of literals at a
 * time, not a byte at a time.
 */
function codes(bits: Bits, out: Output, litlen: Huffman, dist: Huffman): void {
  const z = bits.input, end = z.length, fast = litlen.fast;
  let { acc, count, pos } = bits;
  let b = out.bytes, at = out.length;
  try {
    for (;;) {
      while (count < 24 && pos < end) {
        acc |= z[pos++] << count;
        count += 8;
      }
      let sym: number;
      const entry = fast[acc & ((1 << FAST_BITS) - 1)];
      if (entry !== 0 && (entry & 15) <= count) {
        acc >>>= entry & 15;
        count -= entry & 15;
        sym = entry >>> 4;
      } else {
        bits.acc = acc, bits.count = count, bits.pos = pos;
        sym = bits.decode(litlen);
        ({ acc, count, pos } = bits);
      }
      if (sym < 256) {
        if (at === b.length) {
          out.length = at;
          out.room(1);
          b = out.bytes;
        }
        b[at++] = sym;
        continue;
      }
      if (sym === 256) return;
      bits.acc = acc, bits.count = count, bits.pos = pos;
      const li = sym - 257;
      if (li >= 29) throw new Refused();
      const length = LENGTH_BASE[li] + bits.take(LENGTH_EXTRA[li]);
      const di = bits.decode(dist);
      if (di >= 30) throw new Refused();
      const distance = DIST_BASE[di] + bits.take(DIST_EXTRA[di]);
      ({ acc, count, pos } = bits);
      if (distance > at) throw new Refused();
      if (at + length > b.length) {
        out.length = at;
        out.room(length);
        b = out.bytes;
      }
      // An overlapping match repeats its last `distance` bytes: copy in doubling chunks.
      for (let done = 0; done < length;) {
        const chunk = Math.min(length - done, distance + done);
        b.copyWithin(at + done, at - distance, at - distance + chunk);
        done += chunk;
      }
      at += length;
    }
  } finally {
    bits.acc = acc, bits.count = count, bits.pos = pos;
    out.length = at;
  }
}

/**
 * The data of a zlib stream (RFC 1950, deflate, no preset dictionary).
 * @param limit the most bytes it may inflate to
 * @returns the data, or null when the stream is malformed, truncated, fails its checksum, or
 *   would inflate past `limit` (it stops there)
 */
export function inflate(z: Uint8Array, limit: number): Uint8Array | null {
  if (z.length < 6) return null;
  const cmf = z[0], flg = z[1];
  if ((cmf & 0x0f) !== 8 || (cmf >>> 4) > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) {
    return null;
  }
  const bits = new Bits(z, 2);
  const out = new Output(limit);
  try {
    for (let final = 0; !final;) {
      final = bits.take(1);
      const type = bits.take(2);
      if (type === 0) {
        bits.align();
        const at = bits.bytePos;
        if (at + 4 > z.length) return null;
        const n = z[at] | (z[at + 1] << 8);
        if ((n ^ (z[at + 2] | (z[at + 3] << 8))) !== 0xffff) return null;
        if (at + 4 + n > z.length) return null;
        out.room(n);
        out.bytes.set(z.subarray(at + 4, at + 4 + n), out.length);
        out.length += n;
        bits.seek(at + 4 + n);
      } else if (type === 1) {
        codes(bits, out, FIXED_LITLEN, FIXED_DIST);
      } else if (type === 2) {
        const [litlen, dist] = dynamicCodes(bits);
        codes(bits, out, litlen, dist);
      } else {
        return null;
      }
    }
  } catch (e) {
    if (e instanceof Refused) return null;
    throw e;
  }
  const trailer = bits.bytePos;
  if (trailer + 4 > z.length) return null;
  const data = out.result();
  const sum = ((z[trailer] << 24) | (z[trailer + 1] << 16) | (z[trailer + 2] << 8) |
    z[trailer + 3]) >>> 0;
  return sum === adler32(data) ? data : null;
}

/**
 * AES-128-OCB as RFC 7253 defines it (OCB3), with a 128-bit tag and a 96-bit nonce: the cipher
 * that authenticates and encrypts every mosh datagram.
 *
 * Written over a {@link BlockCipher} that the program supplies (core/platform.ts; natively,
 * io/aes.ts), whose native calls cost far more than the XORs around them, so
 * each operation gathers all its block-cipher inputs and makes as few calls as the data flow
 * allows: sealing is one call (the offsets, the final pad, the tag input and the associated
 * data blocks are all known before any cipher output is needed); opening is two, or three when
 * there is a final partial block or associated data (the tag needs the decrypted checksum,
 * which needs the pad).
 *
 * Blocks are XORed as four 32-bit words through `Int32Array` views. XOR does not care about
 * byte order, so the views work on any host as long as every operand is viewed the same way;
 * only `double()` works on big-endian bytes.
 *
 * @module
 */

import { BLOCK_BYTES, type BlockCipher } from "./block_cipher.ts";
import { allocBytes } from "../bytes.ts";

/** Bytes in the authentication tag. */
export const TAG_BYTES = 16;
/** Bytes in the nonce. */
export const NONCE_BYTES = 12;

/** Enough L_i for 2^32 blocks; i is the number of trailing zeros of a block index. */
const L_TABLE_SIZE = 32;
const EMPTY = new Uint8Array(0);

/** Doubling in GF(2^128) on big-endian bytes (RFC 7253 §2, "double(S)"). */
function double(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK_BYTES);
  for (let i = 0; i < 15; i++) out[i] = ((s[i] << 1) | (s[i + 1] >>> 7)) & 0xff;
  out[15] = ((s[15] << 1) & 0xff) ^ (s[0] & 0x80 ? 0x87 : 0);
  return out;
}

function ntz(i: number): number {
  return 31 - Math.clz32(i & -i);
}

/** A growable pair of views over one aligned scratch buffer. */
class Scratch {
  bytes = new Uint8Array(0);
  words = new Int32Array(0);

  ensure(bytes: number): void {
    if (this.bytes.length >= bytes) return;
    const size = Math.max(bytes, this.bytes.length * 2, 2048);
    this.bytes = new Uint8Array(size);
    this.words = new Int32Array(this.bytes.buffer);
  }
}

/**
 * One OCB key: seals and opens messages under 12-byte nonces.
 *
 * @example
 * ```ts
 * import { Ocb } from "./ocb.ts";
 * import { nativePlatform } from "../../io/platform.ts";
 * const ocb = new Ocb(nativePlatform().blockCipher(new Uint8Array(16)));
 * const nonce = new Uint8Array(12);
 * const sealed = ocb.seal(nonce, new TextEncoder().encode("hi"));
 * const opened = ocb.open(nonce, sealed);
 * if (new TextDecoder().decode(opened!) !== "hi") throw new Error("round trip failed");
 * ```
 */
export class Ocb {
  readonly #aes: BlockCipher;
  /** L_0 .. L_31, four words each. */
  readonly #l = new Int32Array(4 * L_TABLE_SIZE);
  readonly #lStar = new Int32Array(4);
  readonly #lDollar = new Int32Array(4);
  /** Ktop is shared by the 64 nonces that differ only in their low 6 bits. */
  readonly #ktopKey = new Uint8Array(BLOCK_BYTES);
  readonly #stretch = new Uint8Array(24);
  #ktopValid = false;
  readonly #offset8 = new Uint8Array(BLOCK_BYTES);
  readonly #offset32 = new Int32Array(this.#offset8.buffer);
  readonly #partial8 = new Uint8Array(BLOCK_BYTES);
  readonly #partial32 = new Int32Array(this.#partial8.buffer);
  readonly #in = new Scratch();
  readonly #out = new Scratch();
  readonly #offsets = new Scratch();

  /** @param aes the keyed block cipher; the Ocb owns it from now on ({@link destroy}) */
  constructor(aes: BlockCipher) {
    this.#aes = aes;
    const lStar = new Uint8Array(BLOCK_BYTES);
    this.#aes.encryptBlocks(new Uint8Array(BLOCK_BYTES), lStar);
    const lDollar = double(lStar);
    this.#lStar.set(new Int32Array(lStar.slice().buffer));
    this.#lDollar.set(new Int32Array(lDollar.slice().buffer));
    let li = double(lDollar);
    for (let i = 0; i < L_TABLE_SIZE; i++) {
      this.#l.set(new Int32Array(li.slice().buffer), 4 * i);
      li = double(li);
    }
  }

  /**
   * Encrypts and authenticates `plaintext`.
   * @returns the ciphertext followed by the 16-byte tag
   */
  seal(nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    const out = allocBytes(plaintext.length + TAG_BYTES);
    this.sealInto(nonce, plaintext, out, 0, ad);
    return out;
  }

  /**
   * Like {@link seal}, but writes the ciphertext and tag into `out` at `offset`, so a caller can
   * put a header in front without another copy.
   */
  sealInto(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
    ad: Uint8Array = EMPTY,
  ): void {
    const n = plaintext.length;
    const m = n >>> 4;
    const r = n & 15;
    const adBlocks = (ad.length + 15) >>> 4;
    const blocks = m + (r ? 1 : 0) + 1 + adBlocks;
    if (out.length - offset < n + TAG_BYTES) throw new RangeError("OCB output buffer too small");
    this.#in.ensure(blocks * BLOCK_BYTES);
    this.#out.ensure(blocks * BLOCK_BYTES);
    this.#offsets.ensure(m * BLOCK_BYTES);
    const x8 = this.#in.bytes, x = this.#in.words;
    const y8 = this.#out.bytes, y = this.#out.words;
    const offs = this.#offsets.words;
    const l = this.#l;

    this.#offset0(nonce);
    let o0 = this.#offset32[0], o1 = this.#offset32[1];
    let o2 = this.#offset32[2], o3 = this.#offset32[3];
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    x8.set(plaintext.subarray(0, m * BLOCK_BYTES));
    for (let i = 1, j = 0; i <= m; i++, j += 4) {
      const k = 4 * ntz(i);
      o0 ^= l[k], o1 ^= l[k + 1], o2 ^= l[k + 2], o3 ^= l[k + 3];
      const p0 = x[j], p1 = x[j + 1], p2 = x[j + 2], p3 = x[j + 3];
      c0 ^= p0, c1 ^= p1, c2 ^= p2, c3 ^= p3;
      x[j] = p0 ^ o0, x[j + 1] = p1 ^ o1, x[j + 2] = p2 ^ o2, x[j + 3] = p3 ^ o3;
      offs[j] = o0, offs[j + 1] = o1, offs[j + 2] = o2, offs[j + 3] = o3;
    }
    let w = 4 * m;
    if (r) {
      this.#padPartial(plaintext.subarray(m * BLOCK_BYTES));
      const p = this.#partial32;
      c0 ^= p[0], c1 ^= p[1], c2 ^= p[2], c3 ^= p[3];
      const s = this.#lStar;
      o0 ^= s[0], o1 ^= s[1], o2 ^= s[2], o3 ^= s[3];
      x[w] = o0, x[w + 1] = o1, x[w + 2] = o2, x[w + 3] = o3;
      w += 4;
    }
    const tagWord = w;
    const d = this.#lDollar;
    x[w] = c0 ^ o0 ^ d[0], x[w + 1] = c1 ^ o1 ^ d[1];
    x[w + 2] = c2 ^ o2 ^ d[2], x[w + 3] = c3 ^ o3 ^ d[3];
    w += 4;
    this.#hashInputs(ad, x, w);

    this.#aes.encryptBlocks(x8.subarray(0, blocks * BLOCK_BYTES), y8);

    for (let j = 0; j < 4 * m; j++) y[j] ^= offs[j];
    if (r) {
      const base = m * BLOCK_BYTES;
      for (let b = 0; b < r; b++) y8[base + b] ^= plaintext[base + b];
    }
    this.#foldHash(y, tagWord, adBlocks);
    out.set(y8.subarray(0, n), offset);
    out.set(y8.subarray(tagWord * 4, tagWord * 4 + TAG_BYTES), offset + n);
  }

  /**
   * Checks and decrypts the output of {@link seal}.
   * @returns the plaintext, or null when the tag does not match (nothing else is revealed)
   */
  open(nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array | null {
    if (sealed.length < TAG_BYTES) return null;
    const n = sealed.length - TAG_BYTES;
    const m = n >>> 4;
    const r = n & 15;
    const adBlocks = (ad.length + 15) >>> 4;
    const extra = (r ? 1 : 0) + adBlocks;
    this.#in.ensure((m + 1 + extra) * BLOCK_BYTES);
    this.#out.ensure((m + 1 + extra) * BLOCK_BYTES);
    this.#offsets.ensure(m * BLOCK_BYTES);
    const x8 = this.#in.bytes, x = this.#in.words;
    const y8 = this.#out.bytes, y = this.#out.words;
    const offs = this.#offsets.words;
    const l = this.#l;

    this.#offset0(nonce);
    let o0 = this.#offset32[0], o1 = this.#offset32[1];
    let o2 = this.#offset32[2], o3 = this.#offset32[3];
    x8.set(sealed.subarray(0, m * BLOCK_BYTES));
    for (let i = 1, j = 0; i <= m; i++, j += 4) {
      const k = 4 * ntz(i);
      o0 ^= l[k], o1 ^= l[k + 1], o2 ^= l[k + 2], o3 ^= l[k + 3];
      x[j] ^= o0, x[j + 1] ^= o1, x[j + 2] ^= o2, x[j + 3] ^= o3;
      offs[j] = o0, offs[j + 1] = o1, offs[j + 2] = o2, offs[j + 3] = o3;
    }
    if (m) this.#aes.decryptBlocks(x8.subarray(0, m * BLOCK_BYTES), y8);
    let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    for (let j = 0; j < 4 * m; j += 4) {
      const p0 = y[j] ^ offs[j], p1 = y[j + 1] ^ offs[j + 1];
      const p2 = y[j + 2] ^ offs[j + 2], p3 = y[j + 3] ^ offs[j + 3];
      y[j] = p0, y[j + 1] = p1, y[j + 2] = p2, y[j + 3] = p3;
      c0 ^= p0, c1 ^= p1, c2 ^= p2, c3 ^= p3;
    }

    // The pad of the partial block and the associated data go through the cipher together,
    // after the full blocks, in the words just past them.
    const padWord = 4 * m;
    const hashWord = padWord + (r ? 4 : 0);
    if (r) {
      const s = this.#lStar;
      o0 ^= s[0], o1 ^= s[1], o2 ^= s[2], o3 ^= s[3];
      x[padWord] = o0, x[padWord + 1] = o1, x[padWord + 2] = o2, x[padWord + 3] = o3;
    }
    this.#hashInputs(ad, x, hashWord);
    if (extra) {
      const from = padWord * 4;
      const to = from + extra * BLOCK_BYTES;
      this.#aes.encryptBlocks(x8.subarray(from, to), y8.subarray(from, to));
    }
    if (r) {
      const base = m * BLOCK_BYTES;
      for (let b = 0; b < r; b++) y8[base + b] ^= sealed[base + b];
      this.#padPartial(y8.subarray(base, base + r));
      const p = this.#partial32;
      c0 ^= p[0], c1 ^= p[1], c2 ^= p[2], c3 ^= p[3];
    }

    const tagWord = hashWord + 4 * adBlocks;
    const d = this.#lDollar;
    x[tagWord] = c0 ^ o0 ^ d[0], x[tagWord + 1] = c1 ^ o1 ^ d[1];
    x[tagWord + 2] = c2 ^ o2 ^ d[2], x[tagWord + 3] = c3 ^ o3 ^ d[3];
    const tagFrom = tagWord * 4;
    this.#aes.encryptBlocks(
      x8.subarray(tagFrom, tagFrom + BLOCK_BYTES),
      y8.subarray(tagFrom, tagFrom + BLOCK_BYTES),
    );
    this.#foldHashAt(y, tagWord, hashWord, adBlocks);

    let diff = 0;
    for (let b = 0; b < TAG_BYTES; b++) diff |= y8[tagFrom + b] ^ sealed[n + b];
    if (diff !== 0) return null;
    const plaintext = allocBytes(n);
    plaintext.set(y8.subarray(0, n));
    return plaintext;
  }

  /**
   * Wipes everything derived from the key (the cipher's schedule, L_*, the cached Ktop and the
   * scratch that held plaintext) and makes every later call throw; idempotent.
   */
  destroy(): void {
    this.#aes.destroy();
    for (
      const a of [this.#l, this.#lStar, this.#lDollar, this.#ktopKey, this.#stretch] as const
    ) a.fill(0);
    this.#offset8.fill(0);
    this.#partial8.fill(0);
    for (const s of [this.#in, this.#out, this.#offsets]) s.bytes.fill(0);
    this.#ktopValid = false;
  }

  /** Sets the offset scratch to Offset_0 for `nonce` (RFC 7253 §4.2). */
  #offset0(nonce: Uint8Array): void {
    if (nonce.length !== NONCE_BYTES) {
      throw new RangeError(`OCB nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
    }
    const key = this.#ktopKey;
    let same = this.#ktopValid && key[15] === (nonce[11] & 0xc0);
    for (let i = 0; same && i < 11; i++) same = key[4 + i] === nonce[i];
    if (!same) {
      key.fill(0);
      key[3] = 1;
      key.set(nonce.subarray(0, 11), 4);
      key[15] = nonce[11] & 0xc0;
      const ktop = new Uint8Array(BLOCK_BYTES);
      this.#aes.encryptBlocks(key, ktop);
      this.#stretch.set(ktop);
      for (let i = 0; i < 8; i++) this.#stretch[16 + i] = ktop[i] ^ ktop[i + 1];
      this.#ktopValid = true;
    }
    const bottom = nonce[11] & 63;
    const byteShift = bottom >>> 3, bitShift = bottom & 7;
    const s = this.#stretch, o = this.#offset8;
    for (let i = 0; i < BLOCK_BYTES; i++) {
      o[i] = ((s[i + byteShift] << bitShift) | (s[i + byteShift + 1] >>> (8 - bitShift))) & 0xff;
    }
  }

  /** Sets the partial scratch to `tail || 1 || 0...`, the padded final block. */
  #padPartial(tail: Uint8Array): void {
    this.#partial8.fill(0);
    this.#partial8.set(tail);
    this.#partial8[tail.length] = 0x80;
  }

  /** Writes the cipher inputs of HASH(K, A) (RFC 7253 §4.1) into `x` from word `w`. */
  #hashInputs(ad: Uint8Array, x: Int32Array, w: number): void {
    if (ad.length === 0) return;
    const l = this.#l;
    const full = ad.length >>> 4;
    let o0 = 0, o1 = 0, o2 = 0, o3 = 0;
    const a = this.#partial32;
    for (let i = 1; i <= full; i++, w += 4) {
      const k = 4 * ntz(i);
      o0 ^= l[k], o1 ^= l[k + 1], o2 ^= l[k + 2], o3 ^= l[k + 3];
      this.#partial8.set(ad.subarray((i - 1) * BLOCK_BYTES, i * BLOCK_BYTES));
      x[w] = a[0] ^ o0, x[w + 1] = a[1] ^ o1, x[w + 2] = a[2] ^ o2, x[w + 3] = a[3] ^ o3;
    }
    if (ad.length & 15) {
      const s = this.#lStar;
      o0 ^= s[0], o1 ^= s[1], o2 ^= s[2], o3 ^= s[3];
      this.#padPartial(ad.subarray(full * BLOCK_BYTES));
      x[w] = a[0] ^ o0, x[w + 1] = a[1] ^ o1, x[w + 2] = a[2] ^ o2, x[w + 3] = a[3] ^ o3;
    }
  }

  /** XORs the enciphered hash blocks that follow the tag block into it. */
  #foldHash(y: Int32Array, tagWord: number, adBlocks: number): void {
    this.#foldHashAt(y, tagWord, tagWord + 4, adBlocks);
  }

  #foldHashAt(y: Int32Array, tagWord: number, hashWord: number, adBlocks: number): void {
    for (let i = 0, h = hashWord; i < adBlocks; i++, h += 4) {
      y[tagWord] ^= y[h], y[tagWord + 1] ^= y[h + 1];
      y[tagWord + 2] ^= y[h + 2], y[tagWord + 3] ^= y[h + 3];
    }
  }
}

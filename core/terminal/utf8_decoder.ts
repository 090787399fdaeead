/**
 * UTF-8 to code points exactly as mosh 1.4.0 decodes a pty's output, for the emulator.
 *
 * mosh feeds bytes one at a time to glibc's `mbrtowc()` and, when it fails, prints U+FFFD and
 * retries with the last byte alone (parser.cc, "best practices for U+FFFD"). glibc accepts old
 * five- and six-byte forms and rejects a bad lead or continuation byte at once, but an overlong
 * form or a surrogate only once the sequence is complete; mosh then turns code points above
 * U+10FFFF and surrogates into U+FFFD. The exact count of U+FFFD matters: each one takes a
 * column, so a different count shifts the rest of the line.
 *
 * Two more things mosh does at print time are done here, where they are cheap: a printable
 * code point that glibc calls unprintable (width -1) draws nothing and does not move the
 * cursor, so it is dropped; and the BOM U+FEFF is kept (xterm.js would drop it; for glibc it is
 * a zero-width mark).
 *
 * The interface is xterm.js's `Utf8ToUtf32`, which this replaces inside the emulator.
 *
 * @module
 */

import { charWidth } from "./wcwidth.ts";

const REPLACEMENT = 0xfffd;
/** The smallest code point each sequence length may encode (shorter forms are overlong). */
const MIN_FOR_LENGTH = [0, 0, 0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/** A streaming decoder: bytes in, code points out, partial sequences kept between calls. */
export class MoshUtf8Decoder {
  /** Bytes of an unfinished sequence (at most 5 are ever kept). */
  #pending = new Uint8Array(6);
  #pendingLength = 0;
  /** The length the pending sequence's lead byte announced. */
  #need = 0;

  /** Forgets a partial sequence. */
  clear(): void {
    this.#pendingLength = 0;
  }

  /**
   * Decodes `input` into `target`.
   * @returns the number of code points written; at most `input.length + 1`
   */
  decode(input: Uint8Array, target: Uint32Array): number {
    let size = 0, i = 0;
    const n = input.length;
    while (i < n) {
      if (this.#pendingLength === 0) {
        // ASCII, the common case, with nothing pending: copy it straight.
        let b = input[i];
        while (b < 0x80) {
          target[size++] = b;
          if (++i === n) return size;
          b = input[i];
        }
      }
      size = this.#byte(input[i++], target, size);
    }
    return size;
  }

  /** One byte of a multi-byte sequence, or one that follows an unfinished one. */
  #byte(b: number, target: Uint32Array, size: number): number {
    if (this.#pendingLength === 0) return this.#lead(b, target, size);
    if ((b & 0xc0) !== 0x80) {
      // Not a continuation: the pending bytes are one U+FFFD, and this byte starts afresh.
      this.#pendingLength = 0;
      target[size++] = REPLACEMENT;
      return this.#lead(b, target, size);
    }
    this.#pending[this.#pendingLength++] = b;
    if (this.#pendingLength < this.#need) return size;
    const cp = this.#assemble();
    this.#pendingLength = 0;
    if (cp < MIN_FOR_LENGTH[this.#need] || (cp >= 0xd800 && cp <= 0xdfff)) {
      // Complete but overlong, or a surrogate: U+FFFD, then the last byte alone (itself U+FFFD).
      target[size++] = REPLACEMENT;
      target[size++] = REPLACEMENT;
      return size;
    }
    return emit(cp > 0x10ffff ? REPLACEMENT : cp, target, size);
  }

  /** A byte with nothing pending: ASCII, a lead byte, or an invalid one. */
  #lead(b: number, target: Uint32Array, size: number): number {
    if (b < 0x80) {
      target[size++] = b;
      return size;
    }
    const need = b < 0xc2
      ? 0
      : b < 0xe0
      ? 2
      : b < 0xf0
      ? 3
      : b < 0xf8
      ? 4
      : b < 0xfc
      ? 5
      : b < 0xfe
      ? 6
      : 0;
    if (need === 0) {
      target[size++] = REPLACEMENT;
      return size;
    }
    this.#need = need;
    this.#pending[0] = b;
    this.#pendingLength = 1;
    return size;
  }

  #assemble(): number {
    const n = this.#need;
    const p = this.#pending;
    let cp = p[0] & (0x7f >> n);
    for (let i = 1; i < n; i++) cp = cp * 64 + (p[i] & 0x3f);
    return cp;
  }
}

/** Writes a decoded code point unless mosh would draw nothing for it. */
function emit(cp: number, target: Uint32Array, size: number): number {
  if (cp >= 0xa0 && charWidth(cp) === -1) return size;
  target[size++] = cp;
  return size;
}

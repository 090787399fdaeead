/**
 * The session key: 16 random bytes, printed as 22 characters of standard base64 with the `==`
 * padding dropped, as in `MOSH CONNECT 60001 q3vi06UFY77f7mSJZQ7v7A`.
 *
 * Parsing is exactly as strict as mosh 1.4.0's, so any key we accept a real peer accepts too,
 * but each refusal says precisely what is wrong (mosh only says which rule failed).
 *
 * @module
 */

import type { Platform } from "../platform.ts";

/** Bytes of key material. */
export const KEY_BYTES = 16;
/** Characters in the printed key. */
export const KEY_CHARS = 22;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUES = new Map([...ALPHABET].map((c, i) => [c, i]));

/** A malformed printed key. */
export class KeyError extends Error {
  override name = "KeyError";
}

/**
 * A 128-bit session key.
 *
 * Its bytes can be wiped ({@link wipe}) once a cipher has been keyed from them; {@link bytes}
 * hands out copies, which their user zeroes (core/network/datagram.ts does, right after keying
 * its cipher). What cannot be wiped in JavaScript: strings, and what the engine copied on its
 * own. The printed form ({@link toString}, the `MOSH_KEY` value, a `MOSH CONNECT` line) is an
 * immutable string that lives until the garbage collector reuses its memory, and so does the
 * array of sextets {@link parse} builds; programs make the string as late and drop it as early
 * as they can.
 */
export class Base64Key {
  readonly #bytes: Uint8Array;
  #wiped = false;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /**
   * A fresh key from the platform's CSPRNG.
   * @param platform its `random` fills its argument with random bytes; tests pass a seeded one
   */
  static generate(platform: Pick<Platform, "random">): Base64Key {
    return new Base64Key(platform.random(new Uint8Array(KEY_BYTES)));
  }

  /** A key from its raw 16 bytes (copied). */
  static fromBytes(bytes: Uint8Array): Base64Key {
    if (bytes.length !== KEY_BYTES) {
      throw new KeyError(`Key must be ${KEY_BYTES} bytes, got ${bytes.length}.`);
    }
    return new Base64Key(bytes.slice());
  }

  /**
   * Parses the printed form.
   * @throws {KeyError} naming the length, the first bad character, or the stray low bits
   */
  static parse(text: string): Base64Key {
    if (text.length !== KEY_CHARS) {
      throw new KeyError(
        `Key must be ${KEY_CHARS} letters long, got ${text.length}` +
          (text.length === 24 && text.endsWith("==") ? ' (drop the trailing "==").' : "."),
      );
    }
    const values: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const v = VALUES.get(text[i]);
      if (v === undefined) {
        throw new KeyError(
          `Key must be well-formed base64: character ${JSON.stringify(text[i])} at position ${
            i + 1
          } is not in the standard alphabet A-Z a-z 0-9 + /.`,
        );
      }
      values.push(v);
    }
    if (values[KEY_CHARS - 1] & 0x0f) {
      throw new KeyError(
        `Base64 key was not encoded 128-bit key: its last character must be one of A, Q, g, w, ` +
          `got ${JSON.stringify(text[KEY_CHARS - 1])}.`,
      );
    }
    const bytes = new Uint8Array(KEY_BYTES);
    let acc = 0, bits = 0, o = 0;
    for (const v of values) {
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        if (o < KEY_BYTES) bytes[o++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
    }
    return new Base64Key(bytes);
  }

  /** A copy of the 16 key bytes (the caller zeroes it when done). */
  get bytes(): Uint8Array {
    this.#checkNotWiped();
    return this.#bytes.slice();
  }

  /** Zeroes the key bytes; afterwards {@link bytes} and {@link toString} throw. Idempotent. */
  wipe(): void {
    this.#bytes.fill(0);
    this.#wiped = true;
  }

  /** The 22-character printed form. */
  toString(): string {
    this.#checkNotWiped();
    let out = "", acc = 0, bits = 0;
    for (const b of this.#bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += ALPHABET[(acc >>> bits) & 63];
      }
      acc &= (1 << bits) - 1;
    }
    return out + ALPHABET[(acc << (6 - bits)) & 63];
  }

  #checkNotWiped(): void {
    if (this.#wiped) throw new KeyError("This session key was wiped after use.");
  }
}

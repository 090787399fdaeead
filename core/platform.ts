/**
 * What the core needs from the machine and cannot do itself without I/O: a native AES block
 * cipher, zlib, and a source of secure random bytes. The programs pass
 * `nativePlatform()` (io/platform.ts); tests may pass seeded or counting variants. Keeping
 * these behind one object is what lets everything under `core/` stay free of `Deno.*`,
 * `node:` modules and globals (tests/core/purity_test.ts checks it).
 *
 * @module
 */

import type { BlockCipher } from "./crypto/block_cipher.ts";
import type { Zlib } from "./network/compressor.ts";

export type { BlockCipher } from "./crypto/block_cipher.ts";
export type { Zlib } from "./network/compressor.ts";

/** The services a process provides to the core. */
export interface Platform {
  /** A keyed AES-128 block cipher; it copies what it needs from `key`. */
  blockCipher(key: Uint8Array): BlockCipher;
  /** zlib (RFC 1950) streams. */
  readonly zlib: Zlib;
  /** Fills `bytes` from a cryptographically secure generator and returns it. */
  random(bytes: Uint8Array): Uint8Array;
}

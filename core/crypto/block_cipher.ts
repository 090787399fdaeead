/**
 * What OCB needs from AES-128: the bare block function E and its inverse D over many
 * independent blocks at once. The core does not implement AES; the program supplies it
 * through its `Platform` (core/platform.ts; natively io/aes.ts: OpenSSL's libcrypto, or
 * node:crypto), because native code is tens of times faster than any JavaScript AES and
 * because loading it is I/O that the pure core must not do.
 *
 * @module
 */

/** Bytes in one AES block. */
export const BLOCK_BYTES = 16;
/** Bytes in an AES-128 key. */
export const KEY_BYTES = 16;

/** An AES-128 key schedule that works on any whole number of blocks in one call. */
export interface BlockCipher {
  /**
   * Encrypts `src` block by block (ECB) into `dst`.
   * @param src a multiple of 16 bytes
   * @param dst at least as long as `src`; must not overlap it
   */
  encryptBlocks(src: Uint8Array, dst: Uint8Array): void;
  /** Decrypts `src` block by block (ECB) into `dst`; same rules as {@link encryptBlocks}. */
  decryptBlocks(src: Uint8Array, dst: Uint8Array): void;
  /**
   * Wipes the key schedule and releases native resources; idempotent. Every later call of
   * the two block functions throws.
   */
  destroy(): void;
}

/** Makes a {@link BlockCipher} from 16 key bytes; the caller may zero `key` afterwards. */
export type BlockCipherFactory = (key: Uint8Array) => BlockCipher;

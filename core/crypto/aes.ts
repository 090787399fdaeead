/**
 * AES-128 as a raw block function over a native implementation, for OCB to build on.
 *
 * OCB needs the bare block cipher E and its inverse D on many independent blocks at once, and
 * WebCrypto offers neither. Two native sources exist in a Deno process:
 *
 * - OpenSSL's libcrypto (the library mosh itself uses), reached through `Deno.dlopen`: AES-NI
 *   ECB at several GB/s and about 0.1 µs a call. Used when FFI is permitted and the library
 *   loads and reproduces the FIPS-197 known answer.
 * - node:crypto's `aes-128-ecb`, always present. It is native too, but every `update()` of
 *   Deno's polyfill copies its input into a block cache and allocates a fresh output buffer,
 *   which costs 5-10 µs a call on this class of machine: more than the AES work of a whole
 *   1,400-byte datagram. It is the fallback.
 *
 * Measured on the 2-core CI machine (`deno task bench`): sealing 1,400-byte datagrams runs at
 * several hundred MB/s over libcrypto and a few tens of MB/s over the fallback; see the note on
 * the foundation issue for the figures.
 *
 * Loading a shared library is the one thing in `core/` that touches the system; it reads no
 * file of ours and starts nothing, and a refusal only selects the fallback.
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { bytesEqual } from "../bytes.ts";

/** Bytes in one AES block. */
export const BLOCK_BYTES = 16;
/** Bytes in an AES-128 key. */
export const KEY_BYTES = 16;

/** Where the block function comes from. */
export type AesBackend = "libcrypto" | "node:crypto";

type BlockOp = (src: Uint8Array, dst: Uint8Array) => void;

interface NodeCipher {
  setAutoPadding(on: boolean): unknown;
  update(data: Uint8Array): Uint8Array;
}

// FIPS-197 Appendix C.1, the AES-128 example.
const KAT_KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const KAT_PLAIN = Uint8Array.from({ length: 16 }, (_, i) => i * 0x11);
const KAT_CIPHER = Uint8Array.from(
  "69c4e0d86a7b0430d8cdb78070b4c55a".match(/../g)!,
  (h) => parseInt(h, 16),
);

const LIBCRYPTO_NAMES = ["libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib", "libcrypto.dylib"];

const LIBCRYPTO_SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_CIPHER_CTX_set_padding: { parameters: ["pointer", "i32"], result: "i32" },
  EVP_aes_128_ecb: { parameters: [], result: "pointer" },
  EVP_EncryptInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
  },
  EVP_DecryptInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
  },
  EVP_EncryptUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_DecryptUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
} as const;

type LibCrypto = Deno.DynamicLibrary<typeof LIBCRYPTO_SYMBOLS>["symbols"];

let libcrypto: LibCrypto | null | undefined;

/** libcrypto's symbols, or null when FFI is refused or the library is absent or wrong. */
function loadLibcrypto(): LibCrypto | null {
  if (libcrypto !== undefined) return libcrypto;
  libcrypto = null;
  for (const name of LIBCRYPTO_NAMES) {
    try {
      const lib = Deno.dlopen(name, LIBCRYPTO_SYMBOLS).symbols;
      const enc = libcryptoOp(lib, KAT_KEY, true);
      const dec = libcryptoOp(lib, KAT_KEY, false);
      const c = new Uint8Array(32), p = new Uint8Array(16);
      // Two blocks: a chaining mode would give a different second block.
      const twice = new Uint8Array(32);
      twice.set(KAT_PLAIN), twice.set(KAT_PLAIN, 16);
      enc(twice, c);
      dec(KAT_CIPHER, p);
      if (
        bytesEqual(c.subarray(0, 16), KAT_CIPHER) && bytesEqual(c.subarray(16), KAT_CIPHER) &&
        bytesEqual(p, KAT_PLAIN)
      ) {
        libcrypto = lib;
        break;
      }
    } catch {
      // Not permitted, not present, or not this name: try the next, then fall back.
    }
  }
  return libcrypto;
}

const contexts = new FinalizationRegistry<() => void>((free) => free());

function libcryptoOp(lib: LibCrypto, key: Uint8Array, encrypt: boolean): BlockOp {
  const ctx = lib.EVP_CIPHER_CTX_new();
  if (ctx === null) throw new Error("EVP_CIPHER_CTX_new failed");
  const init = encrypt ? lib.EVP_EncryptInit_ex : lib.EVP_DecryptInit_ex;
  if (init(ctx, lib.EVP_aes_128_ecb(), null, key, null) !== 1) {
    lib.EVP_CIPHER_CTX_free(ctx);
    throw new Error("EVP cipher init failed");
  }
  lib.EVP_CIPHER_CTX_set_padding(ctx, 0);
  const update = encrypt ? lib.EVP_EncryptUpdate : lib.EVP_DecryptUpdate;
  const outLen = new Uint8Array(4);
  const op: BlockOp = (src, dst) => {
    if (update(ctx, dst, outLen, src, src.length) !== 1) {
      throw new Error("EVP cipher update failed");
    }
  };
  contexts.register(op, () => lib.EVP_CIPHER_CTX_free(ctx));
  return op;
}

function nodeOp(key: Uint8Array, encrypt: boolean): BlockOp {
  const cipher =
    (encrypt
      ? createCipheriv("aes-128-ecb", key, null)
      : createDecipheriv("aes-128-ecb", key, null)) as unknown as NodeCipher;
  cipher.setAutoPadding(false);
  return (src, dst) => dst.set(cipher.update(src));
}

/**
 * An AES-128 key schedule that encrypts or decrypts any whole number of independent blocks in
 * one native call.
 */
export class Aes128 {
  readonly #encrypt: BlockOp;
  readonly #decrypt: BlockOp;
  /** Which native implementation this instance uses. */
  readonly backend: AesBackend;

  /**
   * @param key 16 bytes
   * @param options `backend` forces one implementation (tests compare the two)
   */
  constructor(key: Uint8Array, options: { backend?: AesBackend } = {}) {
    if (key.length !== KEY_BYTES) {
      throw new RangeError(`AES-128 key must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    const lib = options.backend === "node:crypto" ? null : loadLibcrypto();
    if (options.backend === "libcrypto" && !lib) {
      throw new Error("libcrypto is not available (FFI refused or library missing)");
    }
    if (lib) {
      this.#encrypt = libcryptoOp(lib, key, true);
      this.#decrypt = libcryptoOp(lib, key, false);
      this.backend = "libcrypto";
    } else {
      this.#encrypt = nodeOp(key, true);
      this.#decrypt = nodeOp(key, false);
      this.backend = "node:crypto";
    }
  }

  /** The backend a new instance gets by default in this process. */
  static get defaultBackend(): AesBackend {
    return loadLibcrypto() ? "libcrypto" : "node:crypto";
  }

  /**
   * Encrypts `src` block by block (ECB) into `dst`.
   * @param src a multiple of 16 bytes
   * @param dst at least as long as `src`; must not overlap it
   */
  encryptBlocks(src: Uint8Array, dst: Uint8Array): void {
    this.#encrypt(src, dst);
  }

  /** Decrypts `src` block by block (ECB) into `dst`; same rules as {@link encryptBlocks}. */
  decryptBlocks(src: Uint8Array, dst: Uint8Array): void {
    this.#decrypt(src, dst);
  }
}

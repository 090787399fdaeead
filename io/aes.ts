/**
 * AES-128 as a raw block function over a native implementation: the {@link BlockCipher} that
 * the core's OCB is built on (core/crypto/block_cipher.ts).
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
 * Both are loaded on first use, not when this module is imported (libcrypto by `Deno.dlopen`,
 * node:crypto by `process.getBuiltinModule`), so a program that never makes a key pays for
 * neither.
 *
 * Wiping: {@link Aes128.destroy} frees the libcrypto contexts with `EVP_CIPHER_CTX_free`,
 * which in OpenSSL 3 clears the AES provider context holding the key schedule
 * (`OPENSSL_clear_free`) before freeing it. node:crypto offers no wipe: `final()` releases the
 * native cipher, and its memory is the runtime's to reuse. The key bytes passed in are not
 * kept by either backend; the caller zeroes its copy.
 *
 * @module
 */

import type * as NodeCrypto from "node:crypto";
import { BLOCK_BYTES, type BlockCipher, KEY_BYTES } from "../core/crypto/block_cipher.ts";

export { BLOCK_BYTES, KEY_BYTES };

/** Where the block function comes from. */
export type AesBackend = "libcrypto" | "node:crypto";

/** One direction of a keyed cipher: the block function and how to release it. */
interface BlockOp {
  run(src: Uint8Array, dst: Uint8Array): void;
  free(): void;
}

interface NodeCipher {
  setAutoPadding(on: boolean): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
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

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

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
      enc.run(twice, c);
      dec.run(KAT_CIPHER, p);
      enc.free();
      dec.free();
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

/** Frees a libcrypto context that was never destroyed, once its cipher is unreachable. */
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
  let freed = false;
  const token = {};
  const free = () => {
    if (freed) return;
    freed = true;
    lib.EVP_CIPHER_CTX_free(ctx);
  };
  const op: BlockOp = {
    run(src, dst) {
      if (update(ctx, dst, outLen, src, src.length) !== 1) {
        throw new Error("EVP cipher update failed");
      }
    },
    free() {
      contexts.unregister(token);
      free();
    },
  };
  contexts.register(op, free, token);
  return op;
}

let nodeCrypto: typeof NodeCrypto | undefined;

function nodeOp(key: Uint8Array, encrypt: boolean): BlockOp {
  nodeCrypto ??= process.getBuiltinModule("node:crypto") as typeof NodeCrypto;
  const cipher =
    (encrypt
      ? nodeCrypto.createCipheriv("aes-128-ecb", key, null)
      : nodeCrypto.createDecipheriv("aes-128-ecb", key, null)) as unknown as NodeCipher;
  cipher.setAutoPadding(false);
  return {
    run: (src, dst) => dst.set(cipher.update(src)),
    free: () => void cipher.final(),
  };
}

const destroyed: BlockOp = {
  run() {
    throw new Error("AES-128: this key was destroyed");
  },
  free() {},
};

/**
 * An AES-128 key schedule that encrypts or decrypts any whole number of independent blocks in
 * one native call.
 */
export class Aes128 implements BlockCipher {
  #encrypt: BlockOp;
  #decrypt: BlockOp;
  /** Which native implementation this instance uses. */
  readonly backend: AesBackend;

  /**
   * @param key 16 bytes; not kept (the caller may zero it)
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
    this.#encrypt.run(src, dst);
  }

  /** Decrypts `src` block by block (ECB) into `dst`; same rules as {@link encryptBlocks}. */
  decryptBlocks(src: Uint8Array, dst: Uint8Array): void {
    this.#decrypt.run(src, dst);
  }

  /** Frees (and so, over libcrypto, wipes) both key schedules; idempotent. */
  destroy(): void {
    const ops = [this.#encrypt, this.#decrypt];
    this.#encrypt = this.#decrypt = destroyed;
    for (const op of ops) op.free();
  }
}

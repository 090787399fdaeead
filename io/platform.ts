/**
 * The {@link Platform} of a real process: AES-128 over libcrypto (or node:crypto), node:zlib
 * and the runtime's CSPRNG (`crypto.getRandomValues`). Each is loaded the first time it is
 * used, so calling {@link nativePlatform} costs nothing.
 *
 * @module
 */

import type { Platform } from "../core/platform.ts";
import { Aes128 } from "./aes.ts";
import { nodeZlib } from "./zlib.ts";

/** crypto.getRandomValues takes at most this many bytes a call. */
const RANDOM_CHUNK = 65536;

let platform: Platform | undefined;

/**
 * The one native {@link Platform} of this process.
 *
 * @example
 * ```ts
 * import { nativePlatform } from "./platform.ts";
 * const key = nativePlatform().random(new Uint8Array(16));
 * const aes = nativePlatform().blockCipher(key);
 * key.fill(0);
 * aes.destroy();
 * ```
 */
export function nativePlatform(): Platform {
  return platform ??= {
    blockCipher: (key) => new Aes128(key),
    zlib: nodeZlib,
    random: (bytes) => {
      for (let at = 0; at < bytes.length; at += RANDOM_CHUNK) {
        crypto.getRandomValues(bytes.subarray(at, at + RANDOM_CHUNK));
      }
      return bytes;
    },
  };
}

/**
 * The native platform (io/platform.ts) for tests, and a variant whose random bytes come from a
 * seeded generator, so that chaff and keys repeat from a seed.
 *
 * @module
 */

import type { Platform } from "../core/platform.ts";
import { nativePlatform } from "../io/platform.ts";

/** This process's native platform. */
export const platform: Platform = nativePlatform();

/** The native platform with `random` replaced. */
export function withRandom(random: (bytes: Uint8Array) => Uint8Array): Platform {
  return { blockCipher: platform.blockCipher, zlib: platform.zlib, random };
}

/**
 * Just enough of the POSIX ustar format to send files to a host's `tar -x` (IEEE Std 1003.1,
 * "pax" utility, ustar interchange format): a 512-byte header per regular file, its bytes
 * padded to a 512-byte block, and two zero blocks at the end. Every tar reads it (GNU, BSD,
 * busybox), so the copy of cli/install_server.ts needs nothing on the host but `tar`.
 *
 * @module
 */

/** The tar block: headers, file data and the end are counted in these, in bytes. */
export const BLOCK = 512;

/** The longest name a ustar header holds without its prefix field, in bytes. */
const NAME_MAX = 100;

/** The largest number 11 octal digits hold: the size (in bytes, 8 GiB - 1) and the mtime. */
const SIZE_MAX = 0o77777777777;

const encoder = new TextEncoder();

/** Writes `value` as `width - 1` octal digits and a NUL into `header` at `offset`. */
function octal(header: Uint8Array, offset: number, width: number, value: number): void {
  header.set(encoder.encode(value.toString(8).padStart(width - 1, "0") + "\0"), offset);
}

/**
 * The header of a regular file.
 * @param name its path in the archive: ASCII, at most 100 bytes, relative, no `..`
 * @param size its length in bytes
 * @param mode its permission bits (the extracting tar applies its umask)
 * @param mtime its modification time, in seconds since 1970 (what the extracted file shows)
 * @throws {RangeError} for a name or size the format (as used here) cannot carry
 *
 * @example
 * ```ts
 * import { BLOCK, tarHeader } from "./tar.ts";
 *
 * const header = tarHeader("f0", 5, 0o600);
 * if (header.length !== BLOCK) throw new Error();
 * if (new TextDecoder().decode(header.subarray(257, 262)) !== "ustar") throw new Error();
 * ```
 */
export function tarHeader(name: string, size: number, mode: number, mtime = 0): Uint8Array {
  if (
    !/^[\x21-\x7e]+$/.test(name) || name.length > NAME_MAX || name.startsWith("/") ||
    name.split("/").includes("..")
  ) {
    throw new RangeError(`Cannot name a tar member ${JSON.stringify(name)}`);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size > SIZE_MAX) {
    throw new RangeError(`Cannot put ${size} bytes in a tar member`);
  }
  const h = new Uint8Array(BLOCK);
  h.set(encoder.encode(name), 0);
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, Math.max(0, Math.min(Math.floor(mtime), SIZE_MAX)));
  h[156] = 0x30; // typeflag '0': a regular file
  h.set(encoder.encode("ustar\0" + "00"), 257);
  // The checksum: the sum of the header's bytes with its own field taken as spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.set(encoder.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
  return h;
}

/** The zero bytes that pad `size` bytes of data to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end of an archive: two zero blocks. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(2 * BLOCK);
}

/** The length of an archive of files of these sizes, in bytes. */
export function tarLength(sizes: readonly number[]): number {
  let n = 2 * BLOCK;
  for (const s of sizes) n += BLOCK + s + tarPadding(s).length;
  return n;
}

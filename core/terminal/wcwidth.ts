/**
 * Character widths as mosh measures them: ISO-8859-1 printables are one column, everything
 * else is glibc's `wcwidth()` (see `tools/gen_wcwidth.ts`). A server and a client that disagree
 * on a width draw later characters in different columns, so both of our ends, and Debian's
 * mosh, must use the same table.
 *
 * @module
 */

import { WCWIDTH_RUNS } from "./wcwidth_table.ts";

/** A width in columns; -1 for a code point that is not printable (mosh draws nothing). */
export type Width = -1 | 0 | 1 | 2;

const BMP_SIZE = 0x10000;
const LETTER_WIDTH: Record<string, Width> = { N: -1, Z: 0, O: 1, W: 2 };

/** Widths of U+0000..U+FFFF, looked up directly. */
const bmp = new Int8Array(BMP_SIZE);
/** Above the BMP: the first code point of each run, and its width, for a binary search. */
const astralStarts: number[] = [];
const astralWidths: Width[] = [];

function decodeRuns(): void {
  let cp = 0;
  const re = /([NZOW])([0-9a-z]+)/g;
  for (const [, letter, length] of WCWIDTH_RUNS.matchAll(re)) {
    const width = LETTER_WIDTH[letter];
    const end = cp + parseInt(length, 36);
    if (cp < BMP_SIZE) bmp.fill(width, cp, Math.min(end, BMP_SIZE));
    if (end > BMP_SIZE) {
      astralStarts.push(Math.max(cp, BMP_SIZE));
      astralWidths.push(width);
    }
    cp = end;
  }
  if (cp !== 0x110000) throw new Error(`wcwidth table covers up to ${cp}, expected 0x110000`);
  // mosh draws ISO-8859-1 printables as one column before it asks wcwidth().
  bmp.fill(1, 0x20, 0x7f);
  bmp.fill(1, 0xa0, 0x100);
  bmp[0] = -1; // mosh never prints NUL
}
decodeRuns();

/** glibc's width above the BMP. */
function astralWidth(cp: number): Width {
  let lo = 0, hi = astralStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (astralStarts[mid] <= cp) lo = mid;
    else hi = mid - 1;
  }
  return astralWidths[lo];
}

/**
 * The width mosh gives a code point: 1 for ISO-8859-1 printables, -1 for NUL, else glibc's
 * `wcwidth()` (0 for combining marks, 2 for wide characters, -1 for unprintables).
 *
 * @example
 * ```ts
 * import { charWidth } from "./wcwidth.ts";
 * if (charWidth(0x41) !== 1 || charWidth(0x4e00) !== 2 || charWidth(0x301) !== 0) {
 *   throw new Error("widths");
 * }
 * ```
 */
export function charWidth(cp: number): Width {
  if (cp < BMP_SIZE) return bmp[cp] as Width;
  if (cp > 0x10ffff) return -1;
  return astralWidth(cp);
}

/**
 * `HistoryLog`: the lines that left the top of the screen, numbered from 0 for the life of the
 * emulator, of which the newest `limit` are kept.
 *
 * Lines arrive on the emulator's hottest path (a line feed at the bottom, once per line of
 * `seq`), so storing one must cost little, and thousands are kept, so each must be small:
 * - a line is stored as xterm.js holds it, not as a `Row`; a `Row` is made only when asked
 *   for ({@link HistoryLog.rows}), by the same conversion as a snapshot's rows, so a history
 *   row is exactly the row the screen showed;
 * - the empty cells on the default background at the end of the line are not stored;
 * - the rest is one code word per cell and one run (first column, foreground word,
 *   background word) per change of colours and attributes, none for a line all in the
 *   default colours, so a plain line costs four bytes per character;
 * - words go into 64 KiB pages in arrival order, and a page is freed when its last line is
 *   dropped, so memory follows the lines kept, with no copying and no per-line allocation.
 *
 * @module
 */

import { rowFromCells } from "./snapshot.ts";
import type { Row } from "./row.ts";
import { CM_MASK, HAS_CONTENT, IS_COMBINED, WIDTH_SHIFT } from "./xterm_internals.ts";

/** Words per page: 64 KiB, a line of 4,096 cells with a change of colour every 3 cells fits. */
const PAGE_WORDS = 16384;
/** xterm's words per cell. */
const XSTRIDE = 3;
/** Words per run of renditions: first column, fg word, bg word. */
const RUN = 3;
/** Content word of an empty one-column cell. */
const BLANK_CONTENT = 1 << WIDTH_SHIFT;
/** Flag of a line whose successor continues it. */
const WRAPS = 1;

/** A numbered, bounded log of lines, stored compactly; converted to `Row`s on demand. */
export class HistoryLog {
  #limit: number;
  #start = 0;
  #end = 0;
  /** Per line, in a ring indexed by line number modulo capacity. */
  #page = new Int32Array(0);
  #offset = new Int32Array(0);
  #cells = new Int32Array(0);
  #runs = new Int32Array(0);
  #cols = new Int32Array(0);
  #flags = new Uint8Array(0);
  /** Texts of combined cells (a base and its marks) by line number, then column. */
  readonly #combined = new Map<number, Record<number, string>>();
  /** Pages in use, oldest first; `#pages[i]` has page number `#firstPage + i`. */
  #pages: Uint32Array[] = [];
  #firstPage = 0;
  /** Where the next line goes in the newest page. */
  #used = PAGE_WORDS;

  /** @throws RangeError unless `limit` is a whole number ≥ 0 */
  constructor(limit: number) {
    this.#limit = checkLimit(limit);
    this.#grow(Math.min(limit, 1024));
  }

  /** How many lines are kept at most. */
  get limit(): number {
    return this.#limit;
  }
  /** Number of the oldest line kept. */
  get start(): number {
    return this.#start;
  }
  /** Number of lines that ever entered: the next line's number. */
  get end(): number {
    return this.#end;
  }

  /**
   * Keeps at most `limit` lines from now on, dropping the oldest beyond it at once.
   * @throws RangeError unless `limit` is a whole number ≥ 0
   */
  setLimit(limit: number): void {
    this.#limit = checkLimit(limit);
    this.#dropTo(Math.max(this.#start, this.#end - this.#limit));
    if (this.#end - this.#start < this.#page.length / 4 && this.#page.length > 1024) {
      this.#grow(Math.max(this.#end - this.#start, 1024)); // give back a large ring
    }
  }

  /**
   * Appends a line given as xterm.js holds it: `data`, three words per cell for at least
   * `cols` cells, and the texts of its combined cells by column.
   * @param wraps whether the next line continues this one (a soft wrap)
   */
  push(data: Uint32Array, combined: Record<number, string>, cols: number, wraps: boolean): void {
    const n = this.#end++;
    if (this.#limit === 0) {
      this.#start = this.#end;
      return;
    }
    if (n - this.#start >= this.#limit) this.#dropTo(n + 1 - this.#limit);
    if (n - this.#start >= this.#page.length) {
      this.#grow(Math.min(this.#page.length * 2, this.#limit));
    }

    // The cells up to the last one that is not an empty one-column cell on the default
    // background (a wide character's right half, width 0, stops the trimming).
    let cells = cols;
    while (cells > 0) {
      const o = (cells - 1) * XSTRIDE;
      if ((data[o] & HAS_CONTENT) !== 0 || data[o] >>> WIDTH_SHIFT !== 1) break;
      if ((data[o + 2] & CM_MASK) !== 0) break;
      cells--;
    }
    // Runs of renditions; none while they are the default (both words zero).
    let runs = 0;
    for (let i = 0, fg = 0, bg = 0; i < cells * XSTRIDE; i += XSTRIDE) {
      if (data[i + 1] !== fg || data[i + 2] !== bg) {
        fg = data[i + 1];
        bg = data[i + 2];
        runs++;
      }
    }
    const words = cells + runs * RUN;
    if (this.#used + words > PAGE_WORDS || this.#pages.length === 0) {
      this.#pages.push(new Uint32Array(Math.max(PAGE_WORDS, words)));
      this.#used = 0;
    }
    const page = this.#pages[this.#pages.length - 1], at = this.#used;
    let r = at + cells;
    let hasCombined = false;
    for (let c = 0, i = 0, fg = 0, bg = 0; c < cells; c++, i += XSTRIDE) {
      const content = data[i];
      page[at + c] = content;
      if (content & IS_COMBINED) hasCombined = true;
      if (data[i + 1] !== fg || data[i + 2] !== bg) {
        fg = data[i + 1];
        bg = data[i + 2];
        page[r++] = c;
        page[r++] = fg;
        page[r++] = bg;
      }
    }
    this.#used = r;
    if (hasCombined) {
      const texts: Record<number, string> = {};
      for (let c = 0; c < cells; c++) if (page[at + c] & IS_COMBINED) texts[c] = combined[c];
      this.#combined.set(n, texts);
    }
    const slot = n % this.#page.length;
    this.#page[slot] = this.#firstPage + this.#pages.length - 1;
    this.#offset[slot] = at;
    this.#cells[slot] = cells;
    this.#runs[slot] = runs;
    this.#cols[slot] = cols;
    this.#flags[slot] = wraps ? WRAPS : 0;
  }

  /**
   * Lines `from` (inclusive) to `to` (exclusive) as rows, each as wide as the screen was when
   * it left, soft-wrapped if the line after it continued it.
   * @throws RangeError unless `start <= from <= to <= end`
   */
  rows(from: number, to: number): Row[] {
    if (
      !Number.isInteger(from) || !Number.isInteger(to) || from < this.#start || to > this.#end ||
      from > to
    ) {
      throw new RangeError(
        `history lines ${from}..${to} are not within the kept ${this.#start}..${this.#end}`,
      );
    }
    const out: Row[] = [];
    for (let n = from; n < to; n++) out.push(this.#row(n));
    return out;
  }

  /** Bytes the kept lines take (pages and per-line numbers), for measurements. */
  get bytes(): number {
    let words = 0;
    for (const p of this.#pages) words += p.length;
    return words * 4 + this.#page.length * 21;
  }

  #row(n: number): Row {
    const slot = n % this.#page.length;
    const page = this.#pages[this.#page[slot] - this.#firstPage], at = this.#offset[slot];
    const cells = this.#cells[slot], runs = this.#runs[slot], cols = this.#cols[slot];
    const data = new Uint32Array(cols * XSTRIDE);
    // The cells not stored were empty one-column cells: a zero cell would be a right half.
    for (let i = cells * XSTRIDE; i < data.length; i += XSTRIDE) data[i] = BLANK_CONTENT;
    let r = at + cells, next = runs > 0 ? page[r] : cells, fg = 0, bg = 0;
    for (let c = 0; c < cells; c++) {
      if (c === next) {
        fg = page[r + 1];
        bg = page[r + 2];
        r += RUN;
        next = r < at + cells + runs * RUN ? page[r] : cells;
      }
      data[c * XSTRIDE] = page[at + c];
      data[c * XSTRIDE + 1] = fg;
      data[c * XSTRIDE + 2] = bg;
    }
    return rowFromCells(data, this.#combined.get(n) ?? {}, cols, this.#flags[slot] === WRAPS);
  }

  /** Forgets lines before `start`, and the pages no kept line uses. */
  #dropTo(start: number): void {
    if (start <= this.#start) return;
    for (const n of this.#combined.keys()) if (n < start) this.#combined.delete(n);
    this.#start = start;
    if (start === this.#end) {
      this.#firstPage += this.#pages.length;
      this.#pages = [];
      this.#used = PAGE_WORDS;
      return;
    }
    const keep = this.#page[start % this.#page.length] - this.#firstPage;
    if (keep > 0) {
      this.#pages = this.#pages.slice(keep);
      this.#firstPage += keep;
    }
  }

  /** Makes the per-line ring hold `capacity` lines, keeping the lines kept. */
  #grow(capacity: number): void {
    capacity = Math.max(capacity, 1);
    const old = [this.#page, this.#offset, this.#cells, this.#runs, this.#cols] as const;
    const oldFlags = this.#flags, oldCap = this.#page.length;
    const fresh = old.map(() => new Int32Array(capacity));
    const flags = new Uint8Array(capacity);
    for (let n = this.#start; n < this.#end && oldCap > 0; n++) {
      for (let k = 0; k < old.length; k++) fresh[k][n % capacity] = old[k][n % oldCap];
      flags[n % capacity] = oldFlags[n % oldCap];
    }
    [this.#page, this.#offset, this.#cells, this.#runs, this.#cols] = fresh;
    this.#flags = flags;
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`history limit ${limit} is not a whole number of lines`);
  }
  return limit;
}

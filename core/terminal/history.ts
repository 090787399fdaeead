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
 *   dropped (the last two such are kept for the next pages), so memory follows the lines kept,
 *   with no copying and no per-line allocation.
 *
 * @module
 */

import { rowFromCells } from "./snapshot.ts";
import type { Row } from "./row.ts";
import { CM_MASK, IS_COMBINED, WIDTH_SHIFT } from "./xterm_internals.ts";

/** Words per page: 64 KiB, a line of 4,096 cells with a change of colour every cell fits. */
const PAGE_WORDS = 16384;
/** Dropped pages kept for reuse at most. */
const SPARE_PAGES = 2;
/** xterm's words per cell. */
const XSTRIDE = 3;
/** Words per run of renditions: first column, fg word, bg word. */
const RUN = 3;
/** Content word of an empty one-column cell. */
const BLANK_CONTENT = 1 << WIDTH_SHIFT;
/** Numbers per line in the ring: page, offset in it, cells, runs, columns << 1 | soft wrap. */
const META = 5;
const PAGE = 0, OFFSET = 1, CELLS = 2, RUNS = 3, COLS_WRAP = 4;

/** A numbered, bounded log of lines, stored compactly; converted to `Row`s on demand. */
export class HistoryLog {
  #limit: number;
  #start = 0;
  #end = 0;
  /** {@link META} numbers per line, in a ring of `#capacity` lines indexed by line number. */
  #meta = new Int32Array(0);
  #capacity = 0;
  /** Texts of combined cells (a base and its marks) by line number, then column. */
  readonly #combined = new Map<number, Record<number, string>>();
  /** Pages in use, oldest first; `#pages[i]` has page number `#firstPage + i`. */
  #pages: Uint32Array<ArrayBuffer>[] = [];
  #firstPage = 0;
  /** The newest page, and where the next line goes in it. */
  #page = new Uint32Array(0);
  /**
   * Dropped pages of the usual size, for the next pages: during a flood lines pass through a
   * full history at hundreds of thousands a second, and a new page for every 2,000 of them
   * (`seq 1 1000000`: 27 MB of pages in half a second) waited for a collection to be freed:
   * most of what history added to the server's peak memory.
   */
  readonly #spare: Uint32Array<ArrayBuffer>[] = [];
  #used = 0;

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
    const kept = this.#end - this.#start, capacity = this.#capacity;
    if (capacity > 1024 && kept < capacity / 4) this.#grow(Math.max(kept, 1024)); // give back
  }

  /**
   * Appends a line given as xterm.js holds it: `data`, three words per cell for at least
   * `cols` cells, and the texts of its combined cells by column. On the line-feed path: no
   * allocation but a new page now and then.
   * @param wraps whether the next line continues this one (a soft wrap)
   * @param extent a column from which the line is known to hold only empty cells on the
   *   default background, so the search for its end starts there; -1 if none is known
   */
  push(
    data: Uint32Array,
    combined: Record<number, string>,
    cols: number,
    wraps: boolean,
    extent = -1,
  ): void {
    const n = this.#end++;
    const limit = this.#limit;
    if (n - this.#start >= limit) {
      if (limit === 0) {
        this.#start = this.#end;
        return;
      }
      this.#dropTo(n + 1 - limit);
    }
    if (n - this.#start >= this.#capacity) this.#grow(Math.min(this.#capacity * 2, limit));

    // The cells up to the last one that is not an empty one-column cell on the default
    // background (a wide character's right half, width 0, stops the trimming).
    let end = (extent >= 0 && extent < cols ? extent : cols) * XSTRIDE;
    while (end > 0 && ((data[end - 3] ^ BLANK_CONTENT) | (data[end - 1] & CM_MASK)) === 0) end -= 3;
    const cells = end / XSTRIDE;
    // Room for the worst case, a run per cell; a page's end may go unused.
    let page = this.#page, at = this.#used;
    if (at + cells * (1 + RUN) > page.length) {
      const words = Math.max(PAGE_WORDS, cells * (1 + RUN));
      page = this.#page = (words === PAGE_WORDS ? this.#spare.pop() : undefined) ??
        new Uint32Array(words);
      this.#pages.push(page);
      at = 0;
    }
    // Code words at `at`, then runs of renditions; none while they are the default.
    let r = at + cells, combinedFlags = 0;
    for (let c = at, i = 0, fg = 0, bg = 0; i < end; c++, i += XSTRIDE) {
      const content = data[i];
      page[c] = content;
      combinedFlags |= content;
      if (data[i + 1] !== fg || data[i + 2] !== bg) {
        fg = data[i + 1];
        bg = data[i + 2];
        page[r] = c - at;
        page[r + 1] = fg;
        page[r + 2] = bg;
        r += RUN;
      }
    }
    this.#used = r;
    if (combinedFlags & IS_COMBINED) {
      const texts: Record<number, string> = {};
      for (let c = 0; c < cells; c++) if (page[at + c] & IS_COMBINED) texts[c] = combined[c];
      this.#combined.set(n, texts);
    }
    const m = (n % this.#capacity) * META, meta = this.#meta;
    meta[m + PAGE] = this.#firstPage + this.#pages.length - 1;
    meta[m + OFFSET] = at;
    meta[m + CELLS] = cells;
    meta[m + RUNS] = (r - at - cells) / RUN;
    meta[m + COLS_WRAP] = (cols << 1) | (wraps ? 1 : 0);
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
    return (words + this.#meta.length) * 4;
  }

  #row(n: number): Row {
    const m = (n % this.#capacity) * META, meta = this.#meta;
    const page = this.#pages[meta[m + PAGE] - this.#firstPage], at = meta[m + OFFSET];
    const cells = meta[m + CELLS], runs = meta[m + RUNS], cols = meta[m + COLS_WRAP] >> 1;
    const data = new Uint32Array(cols * XSTRIDE);
    // The cells not stored were empty one-column cells: a zero cell would be a right half.
    for (let i = cells * XSTRIDE; i < data.length; i += XSTRIDE) data[i] = BLANK_CONTENT;
    const runsEnd = at + cells + runs * RUN;
    let r = at + cells, next = runs > 0 ? page[r] : cells, fg = 0, bg = 0;
    for (let c = 0; c < cells; c++) {
      if (c === next) {
        fg = page[r + 1];
        bg = page[r + 2];
        r += RUN;
        next = r < runsEnd ? page[r] : cells;
      }
      data[c * XSTRIDE] = page[at + c];
      data[c * XSTRIDE + 1] = fg;
      data[c * XSTRIDE + 2] = bg;
    }
    const wraps = (meta[m + COLS_WRAP] & 1) === 1;
    return rowFromCells(data, this.#combined.get(n) ?? {}, cols, wraps);
  }

  /** Forgets lines before `start`, and the pages no kept line uses. */
  #dropTo(start: number): void {
    if (start <= this.#start) return;
    this.#start = start;
    if (this.#combined.size > 0) {
      for (const n of this.#combined.keys()) if (n < start) this.#combined.delete(n);
    }
    if (start === this.#end) {
      this.#spareSome(this.#pages);
      this.#firstPage += this.#pages.length;
      this.#pages = [];
      this.#page = new Uint32Array(0);
      this.#used = 0;
      return;
    }
    const keep = this.#meta[(start % this.#capacity) * META + PAGE] - this.#firstPage;
    if (keep > 0) {
      this.#spareSome(this.#pages.slice(0, keep));
      this.#pages = this.#pages.slice(keep);
      this.#firstPage += keep;
    }
  }

  /** Keeps a few of the dropped `pages` of the usual size for new lines. */
  #spareSome(pages: Uint32Array<ArrayBuffer>[]): void {
    for (const p of pages) {
      if (this.#spare.length >= SPARE_PAGES) return;
      if (p.length === PAGE_WORDS) this.#spare.push(p);
    }
  }

  /** Makes the per-line ring hold `capacity` lines, keeping the lines kept. */
  #grow(capacity: number): void {
    capacity = Math.max(capacity, 1);
    const old = this.#meta, oldCapacity = this.#capacity;
    const meta = new Int32Array(capacity * META);
    for (let n = this.#start; n < this.#end && oldCapacity > 0; n++) {
      const from = (n % oldCapacity) * META;
      meta.set(old.subarray(from, from + META), (n % capacity) * META);
    }
    this.#meta = meta;
    this.#capacity = capacity;
  }
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`history limit ${limit} is not a whole number of lines`);
  }
  return limit;
}

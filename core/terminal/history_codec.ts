/**
 * The wire form of history rows: `encodeHistoryRows` and the strict `decodeHistoryRows`.
 *
 * History reaches the client's own terminal, so a server must not be able to put anything but
 * text there: the format is a closed description of cells (renditions, printable text, widths,
 * soft wrap), never escape sequences, and the client draws the rows with its own writer. The
 * decoder accepts exactly what the encoder can produce, within bounds, and answers null for
 * anything else; it never throws.
 *
 * Layout (all counts are unsigned LEB128 varints, minimal length, at most 5 bytes):
 * ```
 * rows     = VERSION(1 byte, 1) count row*
 * row      = width(1..MAX_HISTORY_WIDTH) flags(1 byte: bit 0 soft wrap, others 0) count segment*
 * segment  = EMPTY bg count            empty cells on a background
 *          | ASCII fg bg attrs count byte*   one-column cells of one printable ASCII byte each
 *          | TEXT  fg bg attrs count cell*   any cells
 * cell     = (length << 1 | wide) utf8-bytes   length 1..MAX_HISTORY_CELL_BYTES
 * colour   = 0 (default) | 1 index(1 byte) (palette) | 2 r g b (24-bit)
 * attrs    = 1 byte of `Attr` bits
 * ```
 * Segments cover the row from its first column; columns after the last segment are empty
 * cells on the default background. Cell text is valid UTF-8 of code points that are not
 * controls (C0, DEL, C1), so it cannot start an escape sequence; a cell is wide exactly when
 * its first character is (glibc's width, as the emulator has it) and takes two columns; a soft wrap needs a grapheme in the last column (as a `Row`'s does). So that a
 * small message cannot make the client allocate much, a message holds at most `MAX_HISTORY_ROWS`
 * rows and `MAX_HISTORY_CELLS` columns in all.
 *
 * Sizes: a line of `seq` (6 characters) is 14 bytes; a coloured `ls -l` line that an
 * application wrote in 87 bytes (text, SGRs, CR LF) is 86 (bench/terminal_bench.ts compares
 * them over many lines, and after zlib).
 *
 * @module
 */

import { DEFAULT_COLOR, PALETTE_FLAG, RGB_FLAG } from "./renditions.ts";
import { CONTINUATION, EMPTY as EMPTY_CODE, Row, STRIDE, TEXT as CELL_TEXT, WIDE } from "./row.ts";
import { charWidth } from "./wcwidth.ts";

/** The format's version byte. */
const VERSION = 1;
/** Segment tags. */
const EMPTY = 0, ASCII = 1, TEXT = 2;
/** Colour kinds. */
const DEFAULT_KIND = 0, PALETTE_KIND = 1, RGB_KIND = 2;
/** The widest row accepted (as the largest screen the session accepts). */
export const MAX_HISTORY_WIDTH = 4096;
/** Rows in one message at most. */
export const MAX_HISTORY_ROWS = 65536;
/** Columns in one message at most, all rows together: 2^21 cells, 32 MiB of rows. */
export const MAX_HISTORY_CELLS = 1 << 21;
/** Bytes of one cell's text at most (mosh keeps up to 32, plus the last character). */
export const MAX_HISTORY_CELL_BYTES = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The wire form of `rows`.
 * @throws RangeError for more than `MAX_HISTORY_ROWS` rows, a row wider than `MAX_HISTORY_WIDTH`, more than
 *   `MAX_HISTORY_CELLS` columns, or a cell whose text is longer than `MAX_HISTORY_CELL_BYTES` or holds a
 *   control character (never so for rows from the emulator)
 * @example
 * ```ts
 * import { decodeHistoryRows, encodeHistoryRows } from "./history_codec.ts";
 * import { Renditions } from "./renditions.ts";
 * import { RowBuilder } from "./row.ts";
 * const row = new RowBuilder(10).set(0, "h", Renditions.DEFAULT).set(1, "i", Renditions.DEFAULT).build();
 * const [back] = decodeHistoryRows(encodeHistoryRows([row]))!;
 * if (!back.equals(row)) throw new Error("round trip");
 * ```
 */
export function encodeHistoryRows(rows: readonly Row[]): Uint8Array {
  if (rows.length > MAX_HISTORY_ROWS) {
    throw new RangeError(`${rows.length} history rows > ${MAX_HISTORY_ROWS}`);
  }
  const e = new HistoryEncoder();
  for (const row of rows) e.add(row);
  return e.message(0);
}

/**
 * Rows encoded one at a time, and the message of any newest part of them. The server encodes a
 * frame's history into one of these, fetching the rows a batch at a time, and then takes the
 * newest rows that fit the frame, without encoding them again. More rows may be added than one
 * message holds ({@link MAX_HISTORY_ROWS}, {@link MAX_HISTORY_CELLS}: a history of 30,000 lines
 * of 80 columns is more cells than that, and a first frame takes all the history kept); only the
 * part taken must fit.
 */
export class HistoryEncoder {
  readonly #out = new Writer();
  /** Where each row's bytes end, and the columns of all rows up to and including it. */
  readonly #ends: number[] = [];
  readonly #cells: number[] = [];

  /**
   * Appends `row`.
   * @throws RangeError for a row wider than `MAX_HISTORY_WIDTH`, or a cell whose text is longer
   *   than `MAX_HISTORY_CELL_BYTES` or holds a control character (never so for the emulator's)
   */
  add(row: Row): void {
    if (row.width > MAX_HISTORY_WIDTH) throw new RangeError(`a ${row.width}-column history row`);
    encodeRow(this.#out, row);
    this.#ends.push(this.#out.length);
    this.#cells.push((this.#cells.at(-1) ?? 0) + row.width);
  }

  /** Rows added. */
  get count(): number {
    return this.#ends.length;
  }

  /** Whether the rows from the `first`th on make a message within the bounds. */
  fits(first: number): boolean {
    const n = this.count - first;
    const cells = (this.#cells.at(-1) ?? 0) - (first > 0 ? this.#cells[first - 1] : 0);
    return n <= MAX_HISTORY_ROWS && cells <= MAX_HISTORY_CELLS;
  }

  /** The length of {@link message}`(first)`, without making it. */
  size(first: number): number {
    const body = this.#out.length - (first > 0 ? this.#ends[first - 1] : 0);
    return 1 + varintLength(this.count - first) + body;
  }

  /**
   * The message of the rows from the `first`th on: what `encodeHistoryRows` makes of them.
   * @throws RangeError unless they {@link fits}
   */
  message(first: number): Uint8Array {
    if (!this.fits(first)) {
      throw this.count - first > MAX_HISTORY_ROWS
        ? new RangeError(`${this.count - first} history rows > ${MAX_HISTORY_ROWS}`)
        : new RangeError(`history rows of more than ${MAX_HISTORY_CELLS} cells`);
    }
    const head = new Writer();
    head.byte(VERSION);
    head.varint(this.count - first);
    const body = this.#out.view(first > 0 ? this.#ends[first - 1] : 0);
    const out = new Uint8Array(head.length + body.length);
    out.set(head.view(0));
    out.set(body, head.length);
    return out;
  }
}

/** Bytes of `n` as a varint. */
function varintLength(n: number): number {
  let bytes = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/**
 * The rows in `bytes`, or null unless `bytes` is exactly one well-formed message within the
 * bounds. Never throws.
 */
export function decodeHistoryRows(bytes: Uint8Array): Row[] | null {
  const rows: Row[] = [];
  return readRows(bytes, rows) === null ? null : rows;
}

/**
 * The number of rows in `bytes` when {@link decodeHistoryRows} would take them, or null; no
 * `Row` is made. A client checks a frame's history with this when the frame arrives, and
 * decodes only what it draws: until the client's acknowledgement reaches the server, every
 * frame brings the same rows again (thousands, during a flood). Never throws.
 */
export function checkHistoryRows(bytes: Uint8Array): number | null {
  return readRows(bytes, null);
}

/** Reads a message into `rows` (or only checks it, when null): its row count, or null. */
function readRows(bytes: Uint8Array, rows: Row[] | null): number | null {
  try {
    const r = new Reader(bytes);
    if (r.byte() !== VERSION) return null;
    const count = r.varint();
    if (count > MAX_HISTORY_ROWS) return null;
    let cells = 0;
    for (let i = 0; i < count; i++) {
      const width = readRow(r, MAX_HISTORY_CELLS - cells, rows);
      if (width === null) return null;
      cells += width;
    }
    return r.atEnd() ? count : null;
  } catch (e) {
    if (e instanceof Malformed) return null;
    throw e;
  }
}

function encodeRow(out: Writer, row: Row): void {
  const w = row.width;
  let used = w;
  while (used > 0 && row.isEmpty(used - 1) && row.bg(used - 1) === DEFAULT_COLOR) used--;
  out.varint(w);
  out.byte(row.wrap ? 1 : 0);
  const segments: [number, number][] = []; // [start, end) column ranges
  for (let x = 0; x < used;) {
    const start = x;
    if (row.isEmpty(x)) {
      while (x < used && row.isEmpty(x) && row.bg(x) === row.bg(start)) x++;
    } else {
      while (
        x < used && !row.isEmpty(x) && row.fg(x) === row.fg(start) &&
        row.bg(x) === row.bg(start) && row.attrs(x) === row.attrs(start)
      ) x += row.isWide(x) ? 2 : 1;
    }
    segments.push([start, Math.min(x, used)]);
  }
  out.varint(segments.length);
  for (const [start, end] of segments) {
    if (row.isEmpty(start)) {
      out.byte(EMPTY);
      colour(out, row.bg(start));
      out.varint(end - start);
      continue;
    }
    const cells: number[] = []; // the columns of the run's cells
    for (let x = start; x < end; x += row.isWide(x) ? 2 : 1) cells.push(x);
    const ascii = cells.every((x) => {
      const c = row.code(x);
      return c >= 0x20 && c <= 0x7e;
    });
    out.byte(ascii ? ASCII : TEXT);
    colour(out, row.fg(start));
    colour(out, row.bg(start));
    out.byte(row.attrs(start));
    out.varint(cells.length);
    for (const x of cells) {
      if (ascii) {
        out.byte(row.code(x));
        continue;
      }
      const t = row.text(x);
      const utf8 = encoder.encode(t);
      if (utf8.length > MAX_HISTORY_CELL_BYTES || !printable(t)) {
        throw new RangeError(`history cell ${JSON.stringify(t)} cannot be sent`);
      }
      out.varint((utf8.length << 1) | (row.isWide(x) ? 1 : 0));
      out.raw(utf8);
    }
  }
}

/** Where rows are checked when none is kept: the widest row's cells, emptied for each. */
let scratch: Uint32Array | null = null;

/**
 * One row, written straight into packed cells (row.ts's layout) rather than through a
 * `RowBuilder`: a flood brings thousands of rows a frame, and the builder's checks and copies
 * were most of the client's decoding time. Cells come left to right, each column once, so
 * there is never half of a wide cell to clear; what `RowBuilder.set` would store is stored.
 * The row goes to `rows`; with none, it is only checked.
 * @returns the row's width, or null if it breaks the format
 */
function readRow(r: Reader, budget: number, rows: Row[] | null): number | null {
  const width = r.varint();
  if (width < 1 || width > MAX_HISTORY_WIDTH || width > budget) return null;
  const flags = r.byte();
  if (flags > 1) return null;
  let data: Uint32Array; // empty cells on the default background
  if (rows) {
    data = new Uint32Array(width * STRIDE);
  } else {
    data = scratch ??= new Uint32Array(MAX_HISTORY_WIDTH * STRIDE);
    data.fill(0, 0, width * STRIDE);
  }
  const texts: string[] = [];
  let x = 0;
  const segments = r.varint();
  if (segments > width) return null;
  for (let s = 0; s < segments; s++) {
    const tag = r.byte();
    if (tag === EMPTY) {
      const bg = readColour(r);
      const n = r.varint();
      if (n < 1 || x + n > width) return null;
      for (let end = (x + n) * STRIDE, i = x * STRIDE + 2; i < end; i += STRIDE) data[i] = bg;
      x += n;
      continue;
    }
    if (tag !== ASCII && tag !== TEXT) return null;
    const fg = readColour(r), bg = readColour(r), attrs = r.byte();
    const n = r.varint();
    if (n < 1 || x + n > width) return null;
    for (let i = 0; i < n; i++) {
      let code: number, wide = false;
      if (tag === ASCII) {
        code = r.byte();
        if (code < 0x20 || code > 0x7e) return null;
      } else {
        const head = r.varint();
        const len = head >>> 1;
        wide = (head & 1) === 1;
        if (len < 1 || len > MAX_HISTORY_CELL_BYTES) return null;
        const text = utf8Text(r.raw(len));
        if (text === null || !printable(text)) return null;
        const first = text.codePointAt(0)!;
        // As wide as its first character, as the emulator makes cells.
        if (wide !== (charWidth(first) === 2)) return null;
        if (text.length === (first > 0xffff ? 2 : 1)) {
          code = first;
        } else {
          code = CELL_TEXT | texts.length;
          texts.push(text);
        }
      }
      if (x + (wide ? 2 : 1) > width) return null;
      const at = x * STRIDE;
      data[at] = code;
      data[at + 1] = fg;
      data[at + 2] = bg;
      data[at + 3] = wide ? attrs | WIDE : attrs;
      if (wide) data[at + STRIDE] = CONTINUATION; // its renditions stay 0, as the builder's
      x += wide ? 2 : 1;
    }
  }
  // A soft wrap needs a grapheme in the last column.
  if (flags === 1 && data[(width - 1) * STRIDE] === EMPTY_CODE) return null;
  rows?.push(new Row(width, data, texts, flags === 1));
  return width;
}

/** The text of well-formed UTF-8, or null. */
function utf8Text(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Whether every code point of `t` is one a terminal prints: no C0, DEL or C1 control. */
function printable(t: string): boolean {
  for (const ch of t) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return false;
  }
  return true;
}

function colour(out: Writer, c: number): void {
  if (c === DEFAULT_COLOR) {
    out.byte(DEFAULT_KIND);
  } else if (c & RGB_FLAG) {
    out.byte(RGB_KIND);
    out.byte((c >> 16) & 0xff);
    out.byte((c >> 8) & 0xff);
    out.byte(c & 0xff);
  } else {
    out.byte(PALETTE_KIND);
    out.byte(c & 0xff);
  }
}

function readColour(r: Reader): number {
  switch (r.byte()) {
    case DEFAULT_KIND:
      return DEFAULT_COLOR;
    case PALETTE_KIND:
      return PALETTE_FLAG | r.byte();
    case RGB_KIND:
      return RGB_FLAG | (r.byte() << 16) | (r.byte() << 8) | r.byte();
  }
  throw new Malformed();
}

/** A message that breaks the format; caught inside the decoder only. */
class Malformed extends Error {}

class Reader {
  #at = 0;
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  byte(): number {
    if (this.#at >= this.#bytes.length) throw new Malformed();
    return this.#bytes[this.#at++];
  }
  raw(n: number): Uint8Array {
    if (this.#at + n > this.#bytes.length) throw new Malformed();
    return this.#bytes.subarray(this.#at, this.#at += n);
  }
  /** A minimal LEB128 varint of at most 5 bytes and 32 bits. */
  varint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw new Malformed(); // not minimal
        if (value > 0xffffffff) throw new Malformed();
        return value;
      }
    }
    throw new Malformed();
  }
  atEnd(): boolean {
    return this.#at === this.#bytes.length;
  }
}

class Writer {
  #buf = new Uint8Array(256);
  #at = 0;
  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n));
    bigger.set(this.#buf.subarray(0, this.#at));
    this.#buf = bigger;
  }
  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#at++] = b;
  }
  raw(bytes: Uint8Array): void {
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#at);
    this.#at += bytes.length;
  }
  varint(n: number): void {
    do {
      const b = n % 128;
      n = Math.floor(n / 128);
      this.byte(n > 0 ? b | 0x80 : b);
    } while (n > 0);
  }
  get length(): number {
    return this.#at;
  }
  /** The bytes written from `from` on, not copied. */
  view(from: number): Uint8Array {
    return this.#buf.subarray(from, this.#at);
  }
}

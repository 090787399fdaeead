/**
 * `Row`: one immutable line of cells, and `RowBuilder` to make a modified copy.
 *
 * A cell is empty (never written, or erased: text `""`), or holds a grapheme: a base character
 * and its combining marks. A wide grapheme takes two columns: the cell that holds it is marked
 * wide, and the cell to its right is its continuation (width 0, no text, default renditions).
 * An empty cell is not a printed space: mosh erases empty runs and prints spaces, and so do we.
 *
 * Cells are packed four numbers each in one `Uint32Array` (code, foreground, background, flags)
 * so that comparing rows and writing them out is a tight loop. Rows are shared by reference
 * between framebuffers when unchanged; `equals` checks identity first.
 *
 * @module
 */

import { DEFAULT_COLOR, Renditions } from "./renditions.ts";
import { charWidth } from "./wcwidth.ts";

/** Numbers per cell in the packed array. */
export const STRIDE = 4;
/** Code of an empty cell. */
export const EMPTY = 0;
/** Code of the right half of a wide cell. */
export const CONTINUATION = 0x200000;
/** Code flag: the text is in the row's text table at the index in the low bits. */
export const TEXT = 0x400000;
/** Flag bit: the cell holds a wide grapheme. */
export const WIDE = 0x100;
/** Mask of the attribute bits within the flags. */
export const ATTR_MASK = 0xff;

/** A cell, unpacked. */
export interface Cell {
  /** The grapheme; `""` for an empty cell and for the right half of a wide one. */
  readonly text: string;
  /** 1 or 2 columns; 0 for the right half of a wide cell. */
  readonly width: 0 | 1 | 2;
  readonly renditions: Renditions;
}

/** One line of the screen. */
export class Row {
  /** Cells across. */
  readonly width: number;
  /**
   * Soft wrap: the text continues on the next row (the application printed past the end of
   * this one). Only set when the last column holds a grapheme, as in mosh, where erasing or
   * rewriting the last cell clears it.
   */
  readonly wrap: boolean;
  readonly #data: Uint32Array;
  readonly #texts: readonly string[];

  /**
   * A row over packed cells. The caller gives up `data` and `texts` and guarantees the cell
   * invariants (use {@link RowBuilder} otherwise).
   */
  constructor(width: number, data: Uint32Array, texts: readonly string[], wrap: boolean) {
    this.width = width;
    this.#data = data;
    this.#texts = texts;
    this.wrap = wrap;
  }

  /** A row of empty cells with background `bg`. */
  static blank(width: number, bg: number = DEFAULT_COLOR): Row {
    const data = new Uint32Array(width * STRIDE);
    if (bg !== DEFAULT_COLOR) { for (let i = 2; i < data.length; i += STRIDE) data[i] = bg; }
    return new Row(width, data, [], false);
  }

  /** The packed code of cell `col`: {@link EMPTY}, {@link CONTINUATION}, a code point, or a text-table reference. */
  code(col: number): number {
    return this.#data[col * STRIDE];
  }
  fg(col: number): number {
    return this.#data[col * STRIDE + 1];
  }
  bg(col: number): number {
    return this.#data[col * STRIDE + 2];
  }
  attrs(col: number): number {
    return this.#data[col * STRIDE + 3] & ATTR_MASK;
  }
  isWide(col: number): boolean {
    return (this.#data[col * STRIDE + 3] & WIDE) !== 0;
  }
  isEmpty(col: number): boolean {
    return this.#data[col * STRIDE] === EMPTY;
  }

  /** The grapheme in cell `col` (`""` when empty or a continuation). */
  text(col: number): string {
    const code = this.#data[col * STRIDE];
    if (code & TEXT) return this.#texts[code & 0xffff];
    if (code === EMPTY || code === CONTINUATION) return "";
    return String.fromCodePoint(code);
  }

  renditions(col: number): Renditions {
    const i = col * STRIDE;
    return new Renditions(this.#data[i + 1], this.#data[i + 2], this.#data[i + 3] & ATTR_MASK);
  }

  cell(col: number): Cell {
    const code = this.code(col);
    const width = code === CONTINUATION ? 0 : this.isWide(col) ? 2 : 1;
    return { text: this.text(col), width, renditions: this.renditions(col) };
  }

  /** Whether cell `col` here equals cell `otherCol` of `other` (text, width, renditions). */
  cellEquals(col: number, other: Row, otherCol: number = col): boolean {
    const a = this.#data, b = other.#data, i = col * STRIDE, j = otherCol * STRIDE;
    if (a[i + 1] !== b[j + 1] || a[i + 2] !== b[j + 2] || a[i + 3] !== b[j + 3]) return false;
    return sameCode(a[i], this.#texts, b[j], other.#texts);
  }

  /** Whether the last column holds (part of) a grapheme, so that the row can be soft-wrapped. */
  get endsWithGrapheme(): boolean {
    const last = this.#data[(this.width - 1) * STRIDE];
    return last !== EMPTY;
  }

  /** Same width, wrap flag and cells. Identity is checked first. */
  equals(other: Row): boolean {
    if (this === other) return true;
    if (this.width !== other.width || this.wrap !== other.wrap) return false;
    const a = this.#data, b = other.#data;
    for (let i = 0; i < a.length; i += STRIDE) {
      if (a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) return false;
      if ((a[i] !== b[i] || (a[i] & TEXT)) && !sameCode(a[i], this.#texts, b[i], other.#texts)) {
        return false;
      }
    }
    return true;
  }

  /** The row's text: graphemes, a space for each empty cell. For tests and debugging. */
  toText(): string {
    let s = "";
    for (let col = 0; col < this.width; col++) {
      const code = this.code(col);
      if (code !== CONTINUATION) s += code === EMPTY ? " " : this.text(col);
    }
    return s;
  }

  /**
   * This row cut or extended to `width` as a terminal resize does it (mosh's
   * `Framebuffer::resize`): new cells are empty with background `bg`, a wide character that
   * loses its right half becomes an empty cell, and the soft wrap is forgotten.
   */
  resized(width: number, bg: number = DEFAULT_COLOR): Row {
    if (width === this.width) {
      return this.wrap ? new Row(width, this.#data, this.#texts, false) : this;
    }
    const data = new Uint32Array(width * STRIDE);
    data.set(this.#data.subarray(0, Math.min(width, this.width) * STRIDE));
    for (let i = this.width * STRIDE + 2; i < data.length; i += STRIDE) data[i] = bg;
    const last = (width - 1) * STRIDE;
    if (width < this.width && (data[last + 3] & WIDE)) {
      data.fill(0, last, last + STRIDE);
      data[last + 2] = this.#data[last + 2];
    }
    return new Row(width, data, this.#texts, false);
  }

  /** A builder holding a copy of this row. */
  edit(): RowBuilder {
    return new RowBuilder(this.width, this.#data.slice(), [...this.#texts], this.wrap);
  }
}

/**
 * A mutable copy of a row, for the few places that draw on top of a frame (the client's
 * prediction underlines and notification bar) and for tests. Writing a wide cell takes the
 * next column too; overwriting half of a wide cell empties the other half.
 */
export class RowBuilder {
  readonly width: number;
  wrap: boolean;
  readonly #data: Uint32Array;
  readonly #texts: string[];

  constructor(width: number, data?: Uint32Array, texts: string[] = [], wrap = false) {
    this.width = width;
    this.#data = data ?? new Uint32Array(width * STRIDE);
    this.#texts = texts;
    this.wrap = wrap;
  }

  /**
   * Sets cell `col` to `text` (`""` for an empty cell) with `renditions`. The cell is as wide
   * as its first character (`charWidth`), unless `width` says otherwise; a terminal will give
   * the character its own width, so only say otherwise to build broken frames in tests. An
   * empty cell keeps only the background, as an erase would leave it.
   */
  set(col: number, text: string, renditions: Renditions, width?: 1 | 2): this {
    if (col < 0 || col >= this.width) {
      throw new RangeError(`column ${col} outside 0..${this.width - 1}`);
    }
    if (text === "") {
      this.#clearHalves(col);
      this.#put(col, EMPTY, DEFAULT_COLOR, renditions.bg, 0);
      return this;
    }
    width ??= charWidth(text.codePointAt(0)!) === 2 ? 2 : 1;
    if (width === 2 && col === this.width - 1) {
      throw new RangeError("a wide cell cannot start in the last column");
    }
    this.#clearHalves(col);
    if (width === 2) this.#clearHalves(col + 1);
    const cps = [...text];
    let code: number;
    if (cps.length === 1) {
      code = cps[0].codePointAt(0)!;
    } else {
      code = TEXT | this.#texts.length;
      this.#texts.push(text);
    }
    this.#put(col, code, renditions.fg, renditions.bg, renditions.attrs | (width === 2 ? WIDE : 0));
    if (width === 2) this.#put(col + 1, CONTINUATION, 0, 0, 0);
    return this;
  }

  /** Cell `col` as it is now (the prediction overlay compares against a row as it draws it). */
  cell(col: number): Cell {
    const i = col * STRIDE;
    const code = this.#data[i];
    const width = code === CONTINUATION ? 0 : this.#data[i + 3] & WIDE ? 2 : 1;
    const text = code & TEXT
      ? this.#texts[code & 0xffff]
      : code === EMPTY || code === CONTINUATION
      ? ""
      : String.fromCodePoint(code);
    const d = this.#data;
    return { text, width, renditions: new Renditions(d[i + 1], d[i + 2], d[i + 3] & ATTR_MASK) };
  }

  /** Changes only the renditions of cell `col` (and of a wide cell, not its continuation). */
  setRenditions(col: number, renditions: Renditions): this {
    const i = col * STRIDE;
    if (this.#data[i] === CONTINUATION) return this;
    const wide = this.#data[i + 3] & WIDE;
    const empty = this.#data[i] === EMPTY;
    this.#data[i + 1] = empty ? DEFAULT_COLOR : renditions.fg;
    this.#data[i + 2] = renditions.bg;
    this.#data[i + 3] = (empty ? 0 : renditions.attrs) | wide;
    return this;
  }

  build(): Row {
    const data = this.#data.slice();
    const texts: string[] = [];
    for (let i = 0; i < data.length; i += STRIDE) {
      if (data[i] & TEXT) {
        data[i] = TEXT | texts.length;
        texts.push(this.#texts[this.#data[i] & 0xffff]);
      }
    }
    const wrap = this.wrap && data[(this.width - 1) * STRIDE] !== EMPTY;
    return new Row(this.width, data, texts, wrap);
  }

  #put(col: number, code: number, fg: number, bg: number, flags: number): void {
    const i = col * STRIDE;
    this.#data[i] = code;
    this.#data[i + 1] = fg;
    this.#data[i + 2] = bg;
    this.#data[i + 3] = flags;
  }

  /** Before `col` is overwritten: empty the other half of a wide cell it is part of. */
  #clearHalves(col: number): void {
    const d = this.#data, i = col * STRIDE;
    if (d[i] === CONTINUATION && col > 0) this.#put(col - 1, EMPTY, 0, d[i - STRIDE + 2], 0);
    if ((d[i + 3] & WIDE) && col + 1 < this.width) this.#put(col + 1, EMPTY, 0, d[i + 2], 0);
  }
}

/** Whether two packed codes, each with its row's text table, stand for the same content. */
function sameCode(
  a: number,
  textsA: readonly string[],
  b: number,
  textsB: readonly string[],
): boolean {
  if (!(a & TEXT) || !(b & TEXT)) return a === b;
  return textsA[a & 0xffff] === textsB[b & 0xffff];
}

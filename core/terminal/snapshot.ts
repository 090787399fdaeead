/**
 * Turns xterm.js buffer lines into our `Row`s, reusing the previous `Row` of a line whose cells
 * have not changed, so that snapshots share unchanged rows and cost little.
 *
 * The cache is keyed by xterm's line objects: when the screen scrolls, xterm moves the same
 * objects up, so a scrolled row keeps its identity (which `Display`'s scroll detection uses, as
 * mosh uses its row generation numbers). A line is unchanged when its packed cells (and the
 * text of its combined cells) equal the copy taken last time.
 *
 * The conversion also brings xterm's cells to mosh's model where the two differ:
 * - an erased cell keeps only its background (xterm sometimes keeps the whole pen);
 * - half of a wide character without its other half is an empty cell;
 * - a cell that starts with a combining mark is drawn on a no-break space, as mosh prints it,
 *   and holds it (so the client, which receives that space, holds the same);
 * - a cell stops taking combining marks at 32 bytes, as mosh's does.
 *
 * @module
 */

import { Attr, PALETTE_FLAG, Renditions, RGB_FLAG } from "./renditions.ts";
import { CONTINUATION, Row, STRIDE, TEXT, WIDE } from "./row.ts";
import { charWidth } from "./wcwidth.ts";
import { allocWords, copyWords } from "../bytes.ts";
import {
  CM_MASK,
  CM_RGB,
  CODEPOINT_MASK,
  HAS_CONTENT,
  IS_COMBINED,
  WIDTH_SHIFT,
  type XtermAttrs,
  type XtermLine,
} from "./xterm_internals.ts";

/** xterm numbers per cell. */
const XSTRIDE = 3;
/** Content word of an empty one-column cell. */
const BLANK_CONTENT = 1 << WIDTH_SHIFT;
/** mosh's cell stops accepting combining characters once it holds this many bytes. */
const MAX_CELL_BYTES = 32;
const NBSP = "\u00a0";

/** Our attribute bits for xterm's fg flags (bits 26..31: inverse bold underline blink invisible strike). */
const FG_ATTRS = new Uint8Array(64).map((_, f) =>
  (f & 1 ? Attr.inverse : 0) | (f & 2 ? Attr.bold : 0) | (f & 4 ? Attr.underline : 0) |
  (f & 8 ? Attr.blink : 0) | (f & 16 ? Attr.invisible : 0) | (f & 32 ? Attr.strikethrough : 0)
);
/** Our attribute bits for xterm's bg flags (bits 26..27: italic, dim). */
const BG_ATTRS = [0, Attr.italic, Attr.faint, Attr.italic | Attr.faint];

/** Our colour for an xterm fg or bg word. */
export function colorOf(word: number): number {
  const mode = word & CM_MASK;
  if (mode === 0) return 0;
  return mode === CM_RGB ? RGB_FLAG | (word & 0xffffff) : PALETTE_FLAG | (word & 0xff);
}

/** Our attribute bits for an xterm fg/bg pair. */
export function attrsOf(fg: number, bg: number): number {
  return FG_ATTRS[(fg >>> 26) & 63] | BG_ATTRS[(bg >>> 26) & 3];
}

/** Our `Renditions` for xterm's pen. */
export function penOf(a: XtermAttrs): Renditions {
  return new Renditions(colorOf(a.fg), colorOf(a.bg), attrsOf(a.fg, a.bg));
}

interface Entry {
  /** Copy of the line's cells when `row` was made. */
  data: Uint32Array;
  /** Text of its combined cells then, by column. */
  combined: Record<number, string>;
  nextWrapped: boolean;
  row: Row;
}

/** Rows of one emulator, cached per xterm line object. */
export class RowCache {
  #entries = new WeakMap<XtermLine, Entry>();

  /**
   * The row for `line`, `cols` wide, soft-wrapped if `nextWrapped` (the line below continues
   * it) and it ends with a grapheme.
   */
  row(line: XtermLine, cols: number, nextWrapped: boolean): Row {
    const e = this.#entries.get(line);
    if (e && e.nextWrapped === nextWrapped && unchanged(e, line, cols)) return e.row;
    const n = cols * XSTRIDE;
    const combined: Record<number, string> = {};
    const data = copyWords(line._data, n);
    for (let i = 0; i < n; i += XSTRIDE) {
      if (data[i] & IS_COMBINED) combined[i / XSTRIDE] = line._combined[i / XSTRIDE];
    }
    const row = rowFromCells(data, combined, cols, nextWrapped);
    this.#entries.set(line, { data, combined, nextWrapped, row });
    return row;
  }
}

function unchanged(e: Entry, line: XtermLine, cols: number): boolean {
  const a = e.data, b = line._data, n = cols * XSTRIDE;
  if (a.length !== n || b.length < n) return false;
  for (let i = 0; i < n; i += XSTRIDE) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) return false;
    if ((a[i] & IS_COMBINED) && e.combined[i / XSTRIDE] !== line._combined[i / XSTRIDE]) {
      return false;
    }
  }
  return true;
}

/**
 * The row for a line's cells as xterm holds them (`d`, three words per cell for at least
 * `cols` cells; all-zero cells count as empty), soft-wrapped if `nextWrapped` and it ends
 * with a grapheme. Snapshots and the history log both convert with it, so that a line is the
 * same row in both.
 */
export function rowFromCells(
  d: Uint32Array,
  combined: Record<number, string>,
  cols: number,
  nextWrapped: boolean,
): Row {
  const out = allocWords(cols * STRIDE);
  const texts: string[] = [];
  let prevWide = false;
  for (let col = 0; col < cols; col++) {
    const x = col * XSTRIDE, o = col * STRIDE;
    const content = d[x], fg = d[x + 1], bg = d[x + 2];
    if (content === BLANK_CONTENT && fg === 0 && bg === 0) {
      prevWide = false; // a never-written cell: all zeros in our form too
      continue;
    }
    const width = content >>> WIDTH_SHIFT;
    if (width === 0 && prevWide) {
      out[o] = CONTINUATION;
      prevWide = false;
      continue;
    }
    prevWide = false;
    const wholeWide = width === 2 && col + 1 < cols && d[x + XSTRIDE] >>> WIDTH_SHIFT === 0;
    if (!(content & HAS_CONTENT) || width === 0 || (width === 2 && !wholeWide)) {
      out[o + 2] = colorOf(bg); // an empty cell: background only
      continue;
    }
    let code: number;
    if (content & IS_COMBINED) {
      code = textCode(grapheme(combined[col]), texts);
    } else {
      const cp = content & CODEPOINT_MASK;
      code = cp >= 0x300 && charWidth(cp) === 0
        ? textCode(NBSP + String.fromCodePoint(cp), texts)
        : cp;
    }
    out[o] = code;
    out[o + 1] = colorOf(fg);
    out[o + 2] = colorOf(bg);
    out[o + 3] = attrsOf(fg, bg) | (width === 2 ? WIDE : 0);
    prevWide = width === 2;
  }
  const wrap = nextWrapped && out[(cols - 1) * STRIDE] !== 0;
  return new Row(cols, out, texts, wrap);
}

/** The packed code for a grapheme: its code point if it is one, else a text-table entry. */
function textCode(s: string, texts: string[]): number {
  const cp = s.codePointAt(0)!;
  if (s.length === (cp > 0xffff ? 2 : 1)) return cp;
  texts.push(s);
  return TEXT | (texts.length - 1);
}

/** A combined cell's text as mosh would hold it: no-break space first if it starts with a mark, at most 32 bytes. */
export function grapheme(s: string): string {
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (out === "" && charWidth(cp) === 0) {
      out = NBSP;
      bytes = 2;
    }
    if (out !== "" && bytes >= MAX_CELL_BYTES) break;
    out += ch;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return out;
}

/**
 * `RowPainter`: draws the rows of a target frame over what the terminal is assumed to show,
 * cell by cell where they differ (mosh's `put_row`), keeping soft wraps exact; and the scroll
 * shortcut, which moves rows the terminal already shows instead of redrawing them. Used by
 * `newFrame` (`display.ts`) and `historyFrame` (`history_frame.ts`).
 *
 * @module
 */

import type { Framebuffer } from "./framebuffer.ts";
import type { FrameWriter } from "./frame_writer.ts";
import { DEFAULT_COLOR } from "./renditions.ts";
import { CONTINUATION, Row } from "./row.ts";

/** How the scroll shortcut moves rows up. */
export type ScrollShortcut =
  /**
   * Line feeds at the bottom of a region that starts at the top (mosh's way): terminals keep
   * the lines that leave as history (tmux even for a region that starts lower).
   */
  | "lineFeed"
  /**
   * Delete line at the second row (the first is redrawn): no terminal keeps deleted lines as
   * history but xterm with a scroll bar, and only for a deletion at the first row.
   */
  | "deleteLine"
  /** No shortcut: rows are redrawn. */
  | "none";

/** Blank rows by width, for rows the scroll shortcut brings in. */
const BLANK_ROW_CACHE = new Map<number, Row>();

/** A row of empty cells on the default background, shared. */
export function blankRow(width: number): Row {
  let row = BLANK_ROW_CACHE.get(width);
  if (!row) BLANK_ROW_CACHE.set(width, row = Row.blank(width));
  return row;
}

/** Draws rows of the target frame over what the terminal is assumed to show. */
export class RowPainter {
  readonly #f: FrameWriter;
  readonly #to: Framebuffer;
  /** Whether the terminal is known to show the old frame (else every cell is drawn). */
  readonly #initialized: boolean;
  readonly #ech: boolean;
  readonly #bce: boolean;
  /** The rows the terminal shows (once the scroll shortcut ran). */
  readonly #old: Row[];
  /** Whether the terminal has each row soft-wrapped. */
  readonly #oldWrap: boolean[];
  /** Whether the terminal's top row continues a line above the screen (in its history). */
  readonly #topContinues: boolean;

  /**
   * @param initialized whether the terminal shows known rows ({@link assume}, or the frame
   *   given to {@link scroll}); if not, every cell is drawn
   * @param topContinues the terminal's top row continues the last line of its history: keep
   *   it so (no erase from its first column)
   */
  constructor(
    f: FrameWriter,
    to: Framebuffer,
    initialized: boolean,
    ech: boolean,
    bce: boolean,
    topContinues = false,
  ) {
    this.#f = f;
    this.#to = to;
    this.#initialized = initialized;
    this.#ech = ech;
    this.#bce = bce;
    this.#old = [];
    this.#oldWrap = new Array(to.height).fill(false);
    this.#topContinues = topContinues;
  }

  /** Takes the terminal to show `rows` (with their soft wraps). */
  assume(rows: readonly Row[]): void {
    for (let y = 0; y < this.#to.height; y++) {
      this.#old[y] = rows[y];
      this.#oldWrap[y] = rows[y].wrap;
    }
  }

  /**
   * The scroll shortcut (docs/protocol.md §7.1 step 6): if the new top row is an old row
   * further down, scroll the terminal instead of redrawing. Returns the first row still to draw.
   */
  scroll(last: Framebuffer, how: ScrollShortcut = "lineFeed"): number {
    const to = this.#to, h = to.height, f = this.#f;
    this.assume(last.rows);
    if (how === "none" || to.rows[0] === last.rows[0]) return 0;
    const scrolled = last.rows.indexOf(to.rows[0]);
    if (scrolled <= 0) return 0;
    let height = 1;
    while (scrolled + height < h && to.rows[height].equals(last.rows[scrolled + height])) height++;
    const bottom = scrolled + height - 1;
    if (how === "deleteLine") return this.#deleteLines(last, scrolled, bottom);

    f.setPen(DEFAULT_COLOR, DEFAULT_COLOR, 0, true);
    if (bottom === h - 1 && f.row === h - 1) {
      f.append("\r" + "\n".repeat(scrolled));
      f.col = 0;
    } else {
      f.append(`\x1b[1;${bottom + 1}r`);
      f.forgetCursor();
      f.silentMove(bottom, 0);
      f.append("\n".repeat(scrolled) + "\x1b[r");
      f.forgetCursor();
    }
    for (let y = 0; y <= bottom; y++) {
      const moved = y + scrolled <= bottom;
      this.#old[y] = moved ? last.rows[y + scrolled] : blankRow(to.width);
      this.#oldWrap[y] = moved && last.rows[y + scrolled].wrap;
    }
    // The last moved row's next line is new, so the terminal no longer has it wrapped.
    this.#oldWrap[height - 1] = false;
    return to.rows[height - 1].wrap ? height - 1 : height;
  }

  /**
   * The shortcut by deleting `scrolled` lines at the second row, inside a region ending at
   * `bottom`: rows `scrolled + 1..bottom` move to `1..`, and the first row, which should show
   * row `scrolled`, is redrawn. Only worth it when more than that row moves.
   */
  #deleteLines(last: Framebuffer, scrolled: number, bottom: number): number {
    const to = this.#to, h = to.height, f = this.#f;
    if (bottom - scrolled < 1) return 0;
    f.setPen(DEFAULT_COLOR, DEFAULT_COLOR, 0, true);
    if (bottom < h - 1) f.append(`\x1b[1;${bottom + 1}r`);
    f.forgetCursor();
    f.silentMove(1, 0);
    f.append(scrolled === 1 ? "\x1b[M" : `\x1b[${scrolled}M`);
    if (bottom < h - 1) {
      f.append("\x1b[r");
      f.forgetCursor();
    }
    for (let y = 1; y <= bottom; y++) {
      const moved = y + scrolled <= bottom;
      this.#old[y] = moved ? last.rows[y + scrolled] : blankRow(to.width);
      this.#oldWrap[y] = moved && y + scrolled < bottom && last.rows[y + scrolled].wrap;
    }
    // Row 1 now holds the line that continued row `scrolled`, if it did.
    this.#oldWrap[0] = last.rows[scrolled].wrap && last.rows[0].endsWithGrapheme;
    return 0;
  }

  /**
   * Draws row `y` (mosh's `put_row`). `continued`: the previous row ended soft-wrapped with
   * the cursor after its last column, so this row's first cell is written straight away.
   * @returns whether the next row continues this one the same way
   */
  row(y: number, continued: boolean): boolean {
    const f = this.#f, to = this.#to;
    const row = to.rows[y], w = to.width;
    const old = this.#initialized ? this.#old[y] : null;
    let x = 0;
    let mustDrawFirst = false, wroteLast = false;
    if (continued) {
      if (row.isEmpty(0)) {
        // Wrapping needs a printed character; print a space, then erase it below.
        f.setPen(DEFAULT_COLOR, row.bg(0), 0);
        f.append(" ");
        f.col = 1;
        mustDrawFirst = true;
      } else {
        const cw = row.isWide(0) ? 2 : 1;
        f.setPen(row.fg(0), row.bg(0), row.attrs(0));
        f.append(row.text(0));
        x = cw;
        f.col = cw;
        wroteLast = x >= w;
      }
    }
    const wrapChanged = old !== null && row.wrap !== this.#oldWrap[y] && row.endsWithGrapheme;
    if (old === row && !wrapChanged && !mustDrawFirst) return this.#end(y, wroteLast);
    const lastGrapheme = row.code(w - 1) === CONTINUATION ? w - 2 : w - 1;
    const prevWrapped = y > 0 ? to.rows[y - 1].wrap : this.#topContinues;
    let clear = 0, clearBg = 0;

    while (x < w) {
      const empty = row.isEmpty(x);
      if (
        old !== null && clear === 0 && !(mustDrawFirst && x === 0) &&
        !(wrapChanged && x === lastGrapheme) && row.cellEquals(x, old)
      ) {
        x += row.isWide(x) ? 2 : 1;
        continue;
      }
      if (empty) {
        if (clear === 0) clearBg = row.bg(x);
        if (row.bg(x) === clearBg) {
          clear++;
          x++;
          continue;
        }
      }
      if (clear > 0) {
        this.#eraseWithin(y, x - clear, clear, clearBg);
        clear = 0;
        if (empty) {
          clearBg = row.bg(x);
          clear = 1;
          x++;
          continue;
        }
      }
      const cw = row.isWide(x) ? 2 : 1;
      if (row.wrap && x + cw >= w) f.forgetCursor();
      f.silentMove(y, x);
      f.setPen(row.fg(x), row.bg(x), row.attrs(x));
      f.append(row.text(x));
      x += cw;
      f.col += cw;
      if (x >= w) wroteLast = true;
    }

    if (clear > 0) {
      const start = w - clear;
      f.silentMove(y, start);
      f.setPen(DEFAULT_COLOR, clearBg, 0);
      if (this.#bce || clearBg === DEFAULT_COLOR) {
        // EL at column 0 would make xterm.js forget that the row above wraps into this one.
        f.append(start === 0 && prevWrapped && this.#ech ? `\x1b[${clear}X` : "\x1b[K");
      } else {
        f.append(" ".repeat(clear));
        f.col = w;
        wroteLast = true;
      }
    }
    return this.#end(y, wroteLast);
  }

  /**
   * After row `y`: continue into the next row if it wraps, else CR and down a row (LF, or CUD in
   * a scrollback-safe repaint: `FrameWriter.down`) if the cursor is past the end.
   */
  #end(y: number, wroteLast: boolean): boolean {
    const f = this.#f;
    if (!wroteLast || y >= this.#to.height - 1) return false;
    f.row++;
    f.col = 0;
    if (this.#to.rows[y].wrap) return true;
    f.append("\r" + f.down(1));
    return false;
  }

  /** Erases `count` empty cells from column `x` of row `y`, inside the row. */
  #eraseWithin(y: number, x: number, count: number, bg: number): void {
    const f = this.#f;
    f.silentMove(y, x);
    f.setPen(DEFAULT_COLOR, bg, 0);
    if (this.#ech && (this.#bce || bg === DEFAULT_COLOR)) {
      f.append(count === 1 ? "\x1b[X" : `\x1b[${count}X`);
    } else {
      f.append(" ".repeat(count));
      f.col = x + count;
    }
  }
}

/**
 * `FrameWriter`: the output of one `newFrame`, and what it assumes about the terminal it is
 * drawing on: the cursor position, whether the cursor is shown, and the pen. mosh's
 * `FrameState` (docs/protocol.md §7.2).
 *
 * Cursor moves follow mosh's `append_move`: CR and up to four LFs to reach column 0 of a
 * row below, up to four BS to go left, else CUP; we add CUF for a move right on the same row
 * when it is shorter than CUP (after an erase, which leaves the cursor where it was).
 *
 * Two things mosh does not need and we do, so that a client running xterm.js reproduces every
 * row exactly: the column after the last one (`col === width`, "pending wrap") is tracked as
 * such, and only CR, LF or CUP leave it (terminals disagree on what BS does there); and LF is
 * not used to cross a soft-wrapped row, because xterm.js forgets the wrap of a row when a line
 * feed enters the next one.
 *
 * With {@link FrameWriter.heightUnknown}, moves down on the main screen are CUD (`CSI n B`)
 * instead of LF: see there.
 *
 * @module
 */

import { sgr } from "./renditions.ts";
import type { Row } from "./row.ts";

/** Unknown cursor coordinate. */
export const UNKNOWN = -1;

export class FrameWriter {
  /** The escape string so far. */
  out = "";
  /** The cursor row, or UNKNOWN. */
  row = 0;
  /** The cursor column, UNKNOWN, or `width` right after writing the last column. */
  col = 0;
  cursorVisible = true;
  /** Whether the terminal shows its alternate screen (set by the alternate-screen switches). */
  alternate = false;
  /**
   * The terminal may be shorter than the frame, and a scroll of its main screen would put a
   * line into its history (a scrollback-safe repaint): moves down are CUD, never LF.
   *
   * A repaint follows a resize of the window, which changes again under the client when the
   * user drags it: the terminal can read a repaint made for the size before its latest. On a
   * terminal shorter than the frame, a line feed at its bottom scrolls it, pushing its top line
   * into the user's scrollback, where the server's history brings that line again later. CUD
   * stops at the bottom, so the rows that do not fit are drawn over the last one until the
   * repaint for the new size. Only repaints: they start from a cleared screen, so LF and CUD
   * leave the same rows; a frame drawn over another relies on LF to end a soft wrap into the
   * row it enters (xterm.js forgets it there), and its terminal is the size it was drawn for.
   */
  heightUnknown = false;
  #fg = 0;
  #bg = 0;
  #attrs = 0;
  readonly #width: number;
  #rows: readonly Row[];

  /** @param rows the target frame's rows: their soft wraps must survive cursor moves */
  constructor(width: number, rows: readonly Row[]) {
    this.#width = width;
    this.#rows = rows;
  }

  append(s: string): void {
    this.out += s;
  }

  /** The rows now being drawn, whose soft wraps cursor moves must keep. */
  setRows(rows: readonly Row[]): void {
    this.#rows = rows;
  }

  /** Forgets the pen, so that the next {@link setPen} writes it. */
  forgetPen(): void {
    this.assumePen(-1, -1, -1);
  }

  /** Forgets where the cursor is, so that the next move is explicit. */
  forgetCursor(): void {
    this.row = this.col = UNKNOWN;
  }

  /** Sets the pen the terminal is assumed to have without writing anything. */
  assumePen(fg: number, bg: number, attrs: number): void {
    this.#fg = fg;
    this.#bg = bg;
    this.#attrs = attrs;
  }

  /** Writes the SGR for a pen if it differs from the current one (or always, if `force`). */
  setPen(fg: number, bg: number, attrs: number, force = false): void {
    if (!force && fg === this.#fg && bg === this.#bg && attrs === this.#attrs) return;
    this.out += sgr(fg, bg, attrs);
    this.assumePen(fg, bg, attrs);
  }

  /** Moves the cursor, hiding it first if it is shown (mosh's `append_silent_move`). */
  silentMove(row: number, col: number): void {
    if (this.row === row && this.col === col) return;
    if (this.cursorVisible) {
      this.out += "\x1b[?25l";
      this.cursorVisible = false;
    }
    this.move(row, col);
  }

  /** Moves the cursor to (row, col) with the shortest of mosh's encodings that is safe. */
  move(row: number, col: number): void {
    const lastRow = this.row, lastCol = this.col;
    this.row = row;
    this.col = col;
    const cup = `\x1b[${row + 1};${col + 1}H`;
    if (lastRow !== UNKNOWN && lastCol !== UNKNOWN) {
      const down = row - lastRow;
      if (col === 0 && down >= 0 && down < 5 && !this.#wrapsIn(lastRow, row)) {
        if (lastCol !== 0) this.out += "\r";
        this.out += this.down(down);
        return;
      }
      if (down === 0 && lastCol < this.#width) {
        if (col < lastCol && col - lastCol > -5) {
          this.out += "\b".repeat(lastCol - col);
          return;
        }
        const cuf = col - lastCol === 1 ? "\x1b[C" : `\x1b[${col - lastCol}C`;
        if (col > lastCol && cuf.length < cup.length) {
          this.out += cuf;
          return;
        }
      }
    }
    this.out += cup;
  }

  /**
   * What moves the cursor `count` rows down in its column: line feeds, or CUD where a line feed
   * must not scroll ({@link heightUnknown}, on the main screen). The caller keeps `row`.
   */
  down(count: number): string {
    if (count === 0) return "";
    if (!this.heightUnknown || this.alternate) return "\n".repeat(count);
    return count === 1 ? "\x1b[B" : `\x1b[${count}B`;
  }

  /** Whether a soft-wrapped row lies in [from, to): line feeds from `from` to `to` would unwrap it. */
  #wrapsIn(from: number, to: number): boolean {
    for (let r = from; r < to; r++) if (this.#rows[r]?.wrap) return true;
    return false;
  }
}

/**
 * `newFrame`: the escape string that turns a terminal showing one frame into one showing
 * another. mosh's `Display::new_frame` (docs/protocol.md §7), a pure function of two frames.
 *
 * The output uses only sequences mosh 1.4.0's emulator understands (§7.4), in mosh's order:
 * bell, titles, clipboard, reverse video, [clear on resize], rows (with the scroll shortcut),
 * cursor, cursor visibility, pen, bracketed paste, mouse modes. Where we differ from mosh, it is
 * so that a client emulator reproduces the frame exactly, which the property tests demand:
 * - an empty cell (erased) and a printed space are different cells, so empty runs are always
 *   erased (ECH inside a row, EL at its end) where mosh prints up to four spaces;
 * - a cell that is unchanged only in its row's soft wrap is rewritten to set or clear the wrap;
 * - the title is also sent when it is first set, even to the empty string;
 * - cursor moves avoid BS after the last column and LF across soft-wrapped rows
 *   (`frame_writer.ts`), and a frame whose cursor was in the last column starts with an
 *   explicit move, since the terminal may be waiting to wrap there;
 * - the scroll shortcut matches rows by identity (our snapshots keep a moved row's `Row`
 *   object, as mosh keeps its generation number).
 *
 * @module
 */

import type { Framebuffer } from "./framebuffer.ts";
import { FrameWriter, UNKNOWN } from "./frame_writer.ts";
import { DEFAULT_COLOR } from "./renditions.ts";
import { CONTINUATION, Row } from "./row.ts";

/** What the terminal being drawn on supports. The server's defaults are mosh's server's. */
export interface DisplayOptions {
  /** ECH (`CSI n X`) is available. Default true. */
  ech?: boolean;
  /** Erasing fills with the current background (back colour erase). Default true. */
  bce?: boolean;
  /** Window titles may be set. Default true. */
  titles?: boolean;
  /** Prepended to the window title (mosh's client uses `[mosh] `). Default none. */
  titlePrefix?: string;
}

/** Blank rows by width, for rows the scroll shortcut brings in. */
const BLANK_ROW_CACHE = new Map<number, Row>();

/**
 * The escapes that turn a terminal showing `from` into one showing `to`; with `from` null, the
 * escapes that draw `to` on a terminal in any state (the initial frame).
 *
 * @example
 * ```ts
 * import { Emulator } from "./emulator.ts";
 * import { newFrame } from "./display.ts";
 * const e = new Emulator(80, 24);
 * const before = e.snapshot();
 * e.write(new TextEncoder().encode("\x07\x07"));
 * if (newFrame(before, before) !== "") throw new Error("no change, no output");
 * if (newFrame(before, e.snapshot()) !== "\x07") throw new Error("one BEL for any bells");
 * ```
 */
export function newFrame(
  from: Framebuffer | null,
  to: Framebuffer,
  opts: DisplayOptions = {},
): string {
  const ech = opts.ech ?? true, bce = opts.bce ?? true;
  const f = new FrameWriter(to.width, to.rows);
  let initialized = from !== null;
  const last = from ?? to;

  if (from && to.bellCount !== from.bellCount) f.append("\x07");
  if (
    (opts.titles ?? true) && to.titleInitialized &&
    (!from || !from.titleInitialized || to.iconName !== from.iconName || to.title !== from.title)
  ) {
    f.append(titles(to, opts.titlePrefix ?? ""));
  }
  if (to.clipboard !== (from ? from.clipboard : "")) f.append(`\x1b]52;c;${to.clipboard}\x07`);
  if (!from || to.reverseVideo !== from.reverseVideo) {
    f.append(to.reverseVideo ? "\x1b[?5h" : "\x1b[?5l");
  }

  if (!from || to.width !== from.width || to.height !== from.height) {
    f.append("\x1b[r\x1b[0m\x1b[H\x1b[2J");
    initialized = false;
    f.row = f.col = 0;
    f.assumePen(DEFAULT_COLOR, DEFAULT_COLOR, 0);
    f.cursorVisible = false;
    f.append("\x1b[?25l");
  } else {
    f.row = last.cursor.row;
    // The terminal may be waiting to wrap in the last column, where moves and erases misbehave.
    f.col = last.cursor.col === last.width - 1 ? UNKNOWN : last.cursor.col;
    f.assumePen(last.pen.fg, last.pen.bg, last.pen.attrs);
    f.cursorVisible = last.cursor.visible;
  }

  const draw = new RowPainter(f, to, initialized, ech, bce);
  let y = initialized ? draw.scroll(last) : 0;
  let continued = false;
  for (; y < to.height; y++) continued = draw.row(y, continued);

  const c = to.cursor;
  if (!initialized || c.row !== f.row || c.col !== f.col) f.move(c.row, c.col);
  if (!initialized || c.visible !== f.cursorVisible) {
    f.append(c.visible ? "\x1b[?25h" : "\x1b[?25l");
  }
  f.setPen(to.pen.fg, to.pen.bg, to.pen.attrs, !initialized);
  if (!initialized || to.bracketedPaste !== last.bracketedPaste) {
    f.append(to.bracketedPaste ? "\x1b[?2004h" : "\x1b[?2004l");
  }
  if (!initialized || to.mouseReporting !== last.mouseReporting) {
    f.append(
      switchMode(from ? from.mouseReporting : 0, to.mouseReporting, [1003, 1002, 1001, 1000]),
    );
  }
  if (!initialized || to.focusEvents !== last.focusEvents) {
    f.append(to.focusEvents ? "\x1b[?1004h" : "\x1b[?1004l");
  }
  if (!initialized || to.mouseEncoding !== last.mouseEncoding) {
    f.append(switchMode(from ? from.mouseEncoding : 0, to.mouseEncoding, [1015, 1006, 1005]));
  }
  return f.out;
}

/** OSC 0, or OSC 1 and OSC 2 when the icon name differs from the title. */
function titles(fb: Framebuffer, prefix: string): string {
  if (fb.iconName === fb.title) return `\x1b]0;${prefix}${fb.title}\x07`;
  return `\x1b]1;${fb.iconName}\x07\x1b]2;${prefix}${fb.title}\x07`;
}

/** mosh's mouse mode switch: all off when none, else the old one off and the new one on. */
function switchMode(old: number, mode: number, allOff: number[]): string {
  if (mode === 0) return allOff.map((m) => `\x1b[?${m}l`).join("");
  return (old !== 0 ? `\x1b[?${old}l` : "") + `\x1b[?${mode}h`;
}

function blankRow(width: number): Row {
  let row = BLANK_ROW_CACHE.get(width);
  if (!row) BLANK_ROW_CACHE.set(width, row = Row.blank(width));
  return row;
}

/** Draws rows of the target frame over what the terminal is assumed to show. */
class RowPainter {
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

  constructor(f: FrameWriter, to: Framebuffer, initialized: boolean, ech: boolean, bce: boolean) {
    this.#f = f;
    this.#to = to;
    this.#initialized = initialized;
    this.#ech = ech;
    this.#bce = bce;
    this.#old = [];
    this.#oldWrap = new Array(to.height).fill(false);
  }

  /**
   * The scroll shortcut (§7.1 step 6): if the new top row is an old row further down, scroll
   * the terminal instead of redrawing. Returns the first row still to draw.
   */
  scroll(last: Framebuffer): number {
    const to = this.#to, h = to.height, f = this.#f;
    for (let y = 0; y < h; y++) {
      this.#old[y] = last.rows[y];
      this.#oldWrap[y] = last.rows[y].wrap;
    }
    if (to.rows[0] === last.rows[0]) return 0;
    const scrolled = last.rows.indexOf(to.rows[0]);
    if (scrolled <= 0) return 0;
    let height = 1;
    while (scrolled + height < h && to.rows[height].equals(last.rows[scrolled + height])) height++;
    const bottom = scrolled + height - 1;

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
    const prevWrapped = y > 0 && to.rows[y - 1].wrap;
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

  /** After row `y`: continue into the next row if it wraps, else CR LF if the cursor is past the end. */
  #end(y: number, wroteLast: boolean): boolean {
    const f = this.#f;
    if (!wroteLast || y >= this.#to.height - 1) return false;
    f.row++;
    f.col = 0;
    if (this.#to.rows[y].wrap) return true;
    f.append("\r\n");
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

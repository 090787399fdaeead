/**
 * `newFrame`: the escape string that turns a terminal showing one frame into one showing
 * another. mosh's `Display::new_frame` (docs/protocol.md §7), a pure function of two
 * frames.
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
 * Two extensions, which leave the output exactly as above when unused:
 * - frames on the alternate screen (`Framebuffer.main`, from an emulator with the alternate
 *   screen on): entering it draws the hidden main screen first, so that the terminal's own
 *   main screen is that one, then `CSI 0 m CSI ? 1049 h` (an alternate screen cleared on the
 *   default background) and the frame over it; leaving it is `CSI ? 1049 l`, after which the
 *   terminal shows the main screen it saved (`from.main`) and the frame is drawn relative to
 *   it. A change of the hidden main screen (a resize) is drawn by leaving, drawing, entering.
 *   After either switch the cursor and pen are taken as unknown.
 * - `scrollbackSafe`: nothing drawn pushes lines into the terminal's own history. The full
 *   clear is `CSI 1 J` from the last row (with `CSI K` for its end) instead of `CSI 2 J`,
 *   which tmux (scroll-on-clear, on by default since 3.3), VTE and xterm (cdXtraScroll) push
 *   into history, as tmux does `CSI J` from home; and on the main screen the scroll shortcut
 *   deletes lines at the second row instead of feeding lines at the bottom of a region, which
 *   terminals keep as history (tmux for any region). The alternate screen has no history, so
 *   its shortcut is unchanged. History is written on purpose by `historyFrame`
 *   (`history_frame.ts`).
 *
 * @module
 */

import type { Framebuffer } from "./framebuffer.ts";
import { FrameWriter, UNKNOWN } from "./frame_writer.ts";
import { DEFAULT_COLOR } from "./renditions.ts";
import { blankRow, RowPainter, type ScrollShortcut } from "./row_painter.ts";

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
  /**
   * Never push anything into the terminal's own history (scrollback): no `CSI 2 J`, no line
   * feeds at the bottom of a region on the main screen. Default false (mosh's output).
   */
  scrollbackSafe?: boolean;
  /**
   * The terminal's top row continues the newest line of its history (a soft wrap that
   * `historyFrame` made): keep it so, never erasing that row from its first column. Default
   * false.
   */
  topRowContinues?: boolean;
}

/** Leaves the alternate screen; the terminal restores its main screen, cursor and pen. */
export const LEAVE_ALTERNATE = "\x1b[?1049l";

/**
 * The escapes that turn a terminal showing `from` into one showing `to`; with `from` null, the
 * escapes that draw `to` on a terminal in any state but showing its main screen (the initial
 * frame): `to.main`, or `to`, is drawn on the screen shown. A terminal left on the alternate
 * screen by an earlier frame must leave it first ({@link LEAVE_ALTERNATE}).
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
  const f = new FrameWriter(to.width, to.rows);
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

  const initialized = from !== null && to.width === from.width && to.height === from.height;
  if (!initialized) {
    // Nothing is assumed of the terminal, its height included (it may lag the window's).
    f.heightUnknown = opts.scrollbackSafe ?? false;
    if (from?.main) f.append(LEAVE_ALTERNATE);
    clearScreen(f, to, opts);
    paintScreen(f, null, to.main ?? to, opts);
    if (to.main) enterAlternate(f, to, opts);
  } else {
    f.row = last.cursor.row;
    // The terminal may be waiting to wrap in the last column, where moves and erases misbehave.
    f.col = last.cursor.col === last.width - 1 ? UNKNOWN : last.cursor.col;
    f.assumePen(last.pen.fg, last.pen.bg, last.pen.attrs);
    f.cursorVisible = last.cursor.visible;
    f.alternate = last.main !== null;
    drawScreens(f, from, to, opts, opts.topRowContinues ?? false);
  }
  finish(f, from, to, initialized);
  return f.out;
}

/**
 * Draws `to`'s screens on a terminal showing `from` (same size), switching between the main
 * and the alternate screen as needed. `f` holds what the terminal is assumed to have: cursor,
 * pen, visibility. `topContinues`: the main screen's top row continues the terminal's history.
 */
function drawScreens(
  f: FrameWriter,
  from: Framebuffer,
  to: Framebuffer,
  opts: DisplayOptions,
  topContinues = false,
): void {
  if (from.main === null && to.main === null) {
    paintScreen(f, from, to, opts, topContinues);
  } else if (from.main === null) {
    paintScreen(f, from, to.main!, opts, topContinues);
    enterAlternate(f, to, opts);
  } else if (to.main === null) {
    leaveAlternate(f);
    paintScreen(f, from.main, to, opts, topContinues);
  } else if (from.sameMain(to)) {
    paintScreen(f, from, to, opts); // the alternate screen: no history to continue
  } else {
    leaveAlternate(f);
    paintScreen(f, from.main, to.main, opts, topContinues);
    enterAlternate(f, to, opts);
  }
}

/**
 * Draws the rows of `to` (one screen) over `shows` (what the terminal shows, or null for
 * unknown: every cell is drawn).
 */
function paintScreen(
  f: FrameWriter,
  shows: Framebuffer | null,
  to: Framebuffer,
  opts: DisplayOptions,
  topContinues = false,
): void {
  f.setRows(to.rows);
  const draw = new RowPainter(
    f,
    to,
    shows !== null,
    opts.ech ?? true,
    opts.bce ?? true,
    topContinues,
  );
  let y = 0;
  if (shows) {
    // The alternate screen has no history: line feeds are safe there.
    const how: ScrollShortcut = opts.scrollbackSafe && !f.alternate ? "deleteLine" : "lineFeed";
    y = draw.scroll(shows, how);
  }
  let continued = false;
  for (; y < to.height; y++) continued = draw.row(y, continued);
}

/** Clears the whole screen and homes the cursor, assuming nothing about the terminal. */
function clearScreen(f: FrameWriter, to: Framebuffer, opts: DisplayOptions): void {
  if (opts.scrollbackSafe) {
    const h = to.height, w = to.width;
    f.append(`\x1b[r\x1b[0m\x1b[${h};${Math.max(w - 1, 1)}H\x1b[1J\x1b[K\x1b[H`);
  } else {
    f.append("\x1b[r\x1b[0m\x1b[H\x1b[2J");
  }
  f.row = f.col = 0;
  f.assumePen(DEFAULT_COLOR, DEFAULT_COLOR, 0);
  f.cursorVisible = false;
  f.append("\x1b[?25l");
}

/**
 * Switches to a cleared alternate screen and draws `to` on it. The main screen is drawn: the
 * cursor goes where `to.main` has it first, as it was when the application switched.
 */
function enterAlternate(f: FrameWriter, to: Framebuffer, opts: DisplayOptions): void {
  const c = to.main!.cursor;
  if (c.row !== f.row || c.col !== f.col) f.silentMove(c.row, c.col);
  f.setPen(DEFAULT_COLOR, DEFAULT_COLOR, 0, true);
  f.append("\x1b[?1049h");
  f.alternate = true;
  f.forgetCursor();
  f.setRows(to.rows);
  const draw = new RowPainter(f, to, true, opts.ech ?? true, opts.bce ?? true);
  draw.assume(new Array(to.height).fill(blankRow(to.width)));
  let continued = false;
  for (let y = 0; y < to.height; y++) continued = draw.row(y, continued);
}

/** Switches back to the main screen: the cursor and pen are whatever the terminal saved. */
function leaveAlternate(f: FrameWriter): void {
  f.append(LEAVE_ALTERNATE);
  f.alternate = false;
  f.forgetCursor();
  f.forgetPen();
}

/** Puts the cursor, visibility, pen and input modes where `to` has them. */
function finish(f: FrameWriter, from: Framebuffer | null, to: Framebuffer, initialized: boolean) {
  const last = from ?? to;
  f.setRows(to.rows);
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

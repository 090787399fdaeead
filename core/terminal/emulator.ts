/**
 * `Emulator`: a terminal emulator that reads an application's output and yields immutable
 * `Framebuffer` snapshots. The server runs one over the pty's output; the client runs one over
 * the server's diffs.
 *
 * It is xterm.js's parser and buffer (fast and complete) bent to behave like mosh 1.4.0's
 * emulator wherever the difference would show on screen, because our server's screens are
 * compared with Debian's mosh-server's, and our diffs are drawn by Debian's mosh-client:
 * - no alternate screen (`CSI ? 47/1047/1049 h/l` are ignored, so vi and less draw on the main
 *   screen, as under mosh), unless turned on (below); no character sets (line drawing relies
 *   on UTF-8);
 * - only the DEC private modes mosh knows, with mosh's effects (`emulator_modes.ts`);
 * - mosh's answers to DA and DSR, and no other answers (colour queries, DECRQM, DECRQSS…);
 * - sequences mosh ignores are ignored: REP, SCOSC/SCORC (`CSI s`/`u`), CNL/CPL, HPR/VPR,
 *   window operations, SGR with colon sub-parameters, xterm's OSC colour and link commands;
 * - mosh's UTF-8 decoding and glibc's character widths (`utf8_decoder.ts`, `wcwidth.ts`);
 * - BEL, unknown controls and sequences, and erasing clear a pending wrap, as in mosh;
 * - resizing cuts or extends rows on the right and bottom, without reflow.
 *
 * Known differences that remain: a combining mark after a cursor movement or a control starts
 * a new cell here (mosh adds it to the cell at its remembered position); soft reset and
 * save/restore cursor follow xterm; a resize forgets a pending wrap (mosh keeps the flag); a
 * one-column terminal is emulated two columns wide (xterm.js's minimum).
 *
 * Two extensions, both off by default (then everything is exactly as above), for a client that
 * understands them (native scrollback, docs/scrollback.md):
 * - **History** (`historyLimit` > 0): every line that leaves the top of the main screen is
 *   numbered and the newest `historyLimit` are kept ({@link Emulator.historyRows}). A line
 *   leaves by a line feed, index, next line or autowrap at the bottom of a scrolling region
 *   that starts at the first row, or by `CSI S` in such a region: xterm's rule (xterm.js's
 *   too, but for `CSI S`, which it does not save). Not history: scrolls of a region that
 *   starts lower (tmux saves those too), delete line (xterm saves it at the first row, and
 *   only with a scroll bar), reverse index and `CSI T` (lines leave at the bottom), erasing
 *   (as xterm by default: tmux, whose scroll-on-clear is on by default since 3.3, and xterm
 *   with cdXtraScroll push the screen into history on `CSI 2 J` and on `CSI J` from home;
 *   `CSI 3 J` takes nothing back from the log: its lines are numbered, and may already be on
 *   the user's terminal), anything on the alternate screen, resizing.
 * - **The alternate screen** (`altScreen`): 47, 1047 and 1049 as xterm.js has them (1049 also
 *   saves and restores the cursor; the alternate screen starts empty each time, where xterm
 *   keeps it between 47 switches), with the scrolling region and tab stops shared as in xterm.
 *   Snapshots then carry the hidden main screen (`Framebuffer.main`).
 *
 * @module
 */

import type { IUnicodeVersionProvider } from "@xterm/headless";
import { Framebuffer } from "./framebuffer.ts";
import { newFrame } from "./display.ts";
import { ModeState } from "./emulator_modes.ts";
import { penOf, RowCache } from "./snapshot.ts";
import { HistoryLog } from "./history.ts";
import { MoshUtf8Decoder } from "./utf8_decoder.ts";
import { charWidth } from "./wcwidth.ts";
import { type XtermAttrs, type XtermBuffer, XtermHandle } from "./xterm_internals.ts";
import type { Renditions } from "./renditions.ts";
import type { Row } from "./row.ts";

/** Widths for xterm.js: glibc's, with a lone combining mark taking one column as in mosh. */
export const MOSH_UNICODE: IUnicodeVersionProvider = {
  version: "glibc-mosh",
  wcwidth: (cp: number) => Math.max(0, charWidth(cp)) as 0 | 1 | 2,
  charProperties(cp: number, preceding: number): number {
    // xterm packs (state << 3) | (width << 1) | shouldJoin.
    const w = cp < 0x300 ? 1 : charWidth(cp);
    if (w > 0) return w << 1;
    const precedingWidth = (preceding >> 1) & 3;
    return precedingWidth ? (precedingWidth << 1) | 1 : 2;
  },
};

const encoder = new TextEncoder();
/** xterm.js needs two columns at least; a one-column terminal is emulated two columns wide. */
const MIN_WIDTH = 2;

/** Each emulator's xterm handle, for {@link xtermHandleOf}. */
const HANDLES = new WeakMap<Emulator, XtermHandle>();

/**
 * The xterm.js handle behind an emulator, for tests that check the emulator against xterm's
 * own state (the history's reference model). Not part of the terminal module's interface.
 */
export function xtermHandleOf(e: Emulator): XtermHandle {
  return HANDLES.get(e)!;
}

/** What an emulator does beyond mosh's; both can be changed later. */
export interface EmulatorOptions {
  /** Keep this many lines of history; 0 (the default): none, and none are counted. */
  historyLimit?: number;
  /** Honour the alternate screen (47, 1047, 1049). Default false, as mosh. */
  altScreen?: boolean;
}

/** A terminal emulator over `@xterm/headless`, synchronous, with mosh's behaviour. */
export class Emulator {
  readonly #x: XtermHandle;
  readonly #modes: ModeState;
  readonly #cache = new RowCache();
  #replies = "";
  #last: Framebuffer | null = null;
  #dirty = true;
  #penWords: [number, number] = [-1, -1];
  #pen: Renditions | null = null;
  #history: HistoryLog;
  #altScreen = false;

  /** @throws RangeError for a size below 1x1 or a history limit that is not a whole number ≥ 0 */
  constructor(width: number, height: number, options: EmulatorOptions = {}) {
    checkSize(width, height);
    this.#history = new HistoryLog(0);
    this.#x = new XtermHandle(Math.max(width, MIN_WIDTH), height, MOSH_UNICODE);
    this.#x.setDecoder(new MoshUtf8Decoder());
    HANDLES.set(this, this.#x);
    this.#modes = new ModeState(this.#x, (s) => this.#replies += s);
    this.#modes.onAltScreen = (mode, on) => {
      if (this.#altScreen) this.#switchScreen(mode, on);
    };
    this.setHistoryLimit(options.historyLimit ?? 0);
    this.setAltScreen(options.altScreen ?? false);
  }

  /** Lines of history kept at most; 0 when history is off. */
  get historyLimit(): number {
    return this.#history.limit;
  }

  /**
   * Keeps the newest `n` lines of history from now on (the oldest beyond go at once); 0 turns
   * history off: no line is counted or kept until it is turned on again. Line numbers go on
   * from where they were.
   * @throws RangeError unless `n` is a whole number ≥ 0
   */
  setHistoryLimit(n: number): void {
    this.#history.setLimit(n);
    const log = this.#history, x = this.#x;
    x.scrollOut = n === 0
      ? null
      : (line, wraps, extent) => log.push(line._data, line._combined, x.cols, wraps, extent);
  }

  /** Number of lines that ever entered history: the next line's number. Never decreases. */
  get historyEnd(): number {
    return this.#history.end;
  }

  /** Number of the oldest line of history kept. */
  get historyStart(): number {
    return this.#history.start;
  }

  /**
   * History lines `from` (inclusive) to `to` (exclusive), oldest first, as immutable rows as
   * wide as the screen was when each left it, soft-wrapped if the line after continued it.
   * @throws RangeError unless `historyStart <= from <= to <= historyEnd`
   */
  historyRows(from: number, to: number): Row[] {
    return this.#history.rows(from, to);
  }

  /** Bytes the kept history takes (its pages and per-line numbers). */
  get historyBytes(): number {
    return this.#history.bytes;
  }

  /** Whether the alternate screen is honoured. */
  get altScreen(): boolean {
    return this.#altScreen;
  }

  /**
   * Honours the alternate screen from now on, or not (as mosh). Turning it off while the
   * alternate screen is shown goes back to the main screen, as `CSI ? 1047 l` would.
   */
  setAltScreen(on: boolean): void {
    this.#altScreen = on;
    if (!on && this.#x.altActive) this.#switchScreen(1047, false);
  }

  get width(): number {
    return this.#x.cols;
  }
  get height(): number {
    return this.#x.rows;
  }

  /**
   * Whether the application asked for application cursor keys (DECCKM), read without taking a
   * snapshot: the server needs it for every keystroke, also while output floods in.
   */
  get appCursorKeys(): boolean {
    return this.#modes.appCursorKeys;
  }

  /** Feeds the application's output. */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#dirty = true;
    this.#x.parse(bytes);
  }

  /**
   * Takes what the emulator answered the application (DA, DSR), to be written back to the pty;
   * the server never sends these to the client.
   */
  takeReplies(): Uint8Array {
    const r = encoder.encode(this.#replies);
    this.#replies = "";
    return r;
  }

  /**
   * Changes the size as mosh does: rows are cut or extended (with the pen's background) on the
   * right and at the bottom, soft wraps are forgotten when the width changes, the cursor moves
   * inside, and the scrolling region is reset. Nothing reflows. On the alternate screen, the
   * hidden main screen is resized the same way.
   */
  resize(width: number, height: number): void {
    checkSize(width, height);
    width = Math.max(width, MIN_WIDTH);
    const x = this.#x;
    if (width === x.cols && height === x.rows) return;
    this.#dirty = true;
    x.touchCells();
    const buffers = x.altActive ? [x.normalBuffer, x.buffer] : [x.buffer];
    // The column shown, even when waiting to wrap.
    const cursors = buffers.map((b) => [Math.min(b.x, x.cols - 1), b.y]);
    const oldRows = x.rows;
    for (const b of buffers) {
      for (let y = 0; y < oldRows; y++) {
        const line = lineOf(b, y);
        if (width !== x.cols) line.isWrapped = false;
        line.resize(width, x.eraseCell());
      }
      b.y = 0; // so that xterm removes rows from the bottom, not above the cursor
    }
    x.terminal.resize(width, height);
    for (const [i, b] of buffers.entries()) {
      for (let y = oldRows; y < height; y++) lineOf(b, y).fill(x.eraseCell());
      b.x = Math.min(cursors[i][0], width - 1);
      b.y = Math.min(cursors[i][1], height - 1);
    }
    x.forgetLastPrinted();
  }

  /**
   * The current screen. Cheap when little changed: unchanged rows are the previous snapshot's
   * `Row` objects, and with nothing written since, the previous snapshot itself.
   */
  snapshot(): Framebuffer {
    if (!this.#dirty && this.#last) return this.#last;
    const x = this.#x, cols = x.cols, height = x.rows, m = this.#modes;
    const buf = x.buffer;
    const rows = this.#rows(buf);
    const fb = new Framebuffer({
      width: cols,
      height,
      rows,
      cursor: { row: buf.y, col: Math.min(buf.x, cols - 1), visible: m.cursorVisible },
      pen: this.#penFor(x.pen),
      reverseVideo: m.reverseVideo,
      bracketedPaste: m.bracketedPaste,
      mouseReporting: m.mouseReporting,
      focusEvents: m.focusEvents,
      mouseEncoding: m.mouseEncoding,
      altScroll: m.altScroll,
      appCursorKeys: m.appCursorKeys,
      appKeypad: x.decModes.applicationKeypad,
      title: m.title,
      iconName: m.iconName,
      titleInitialized: m.titleInitialized,
      bellCount: m.bellCount,
      clipboard: m.clipboard,
    });
    const full = x.altActive ? this.#withMain(fb) : fb;
    const last = this.#last;
    this.#dirty = false;
    if (last && sameSnapshot(last, full)) return last;
    this.#last = full;
    return full;
  }

  /** The rows of a buffer's screen, soft wraps from the lines below. */
  #rows(buf: XtermBuffer): Row[] {
    const cols = this.#x.cols, height = this.#x.rows;
    const rows: Row[] = new Array(height);
    let next = lineOf(buf, 0);
    for (let y = 0; y < height; y++) {
      const line = next;
      next = y + 1 < height ? lineOf(buf, y + 1) : line;
      rows[y] = this.#cache.row(line, cols, y + 1 < height && next.isWrapped);
    }
    return rows;
  }

  /** `fb` (the alternate screen) with the hidden main screen, the last one if unchanged. */
  #withMain(fb: Framebuffer): Framebuffer {
    const normal = this.#x.normalBuffer;
    const rows = this.#rows(normal);
    const cursor = {
      row: normal.y,
      col: Math.min(normal.x, fb.width - 1),
      visible: fb.cursor.visible,
    };
    const main = fb.with({ rows, cursor });
    const was = this.#last?.main;
    return fb.with({ main: was && sameSnapshot(was, main) ? was : main });
  }

  /** What 47, 1047 and 1049 set (`on`) or reset do, when the alternate screen is honoured. */
  #switchScreen(mode: 47 | 1047 | 1049, on: boolean): void {
    const x = this.#x;
    if (on) {
      if (mode === 1049) x.saveCursor();
      x.showAlternate();
    } else {
      x.showNormal();
      if (mode === 1049) x.restoreCursor();
    }
    x.forgetLastPrinted();
    this.#dirty = true;
  }

  /**
   * Puts the emulator into `fb`'s state: a full reset, then the screen drawn from nothing with
   * `newFrame(null, fb)`, then the state a diff cannot carry (bell count, key modes, alternate
   * scroll) set. Afterwards `snapshot()` equals `fb`. Scrolling region, tab stops, saved cursor
   * and character attributes of the application are not part of a frame and start afresh.
   * History is not touched.
   * @throws RangeError for a frame on the alternate screen when it is not honoured
   */
  load(fb: Framebuffer): void {
    checkAlternate(fb, this.#altScreen);
    this.#x.reset();
    this.#modes.reset();
    this.#modes.bellCount = 0;
    this.resize(fb.width, fb.height);
    this.write(encoder.encode(newFrame(null, fb)));
    this.#adopt(fb);
  }

  /**
   * Puts the emulator, which shows `from` (its latest snapshot, or an equal frame), into `to`'s
   * state by drawing only the difference, as a client does with a diff: much cheaper than
   * {@link load} when the two are alike, since nothing is reset and redrawn. The state a diff
   * cannot carry is set as `load` sets it.
   * @returns whether `snapshot()` now equals `to`; if not, {@link load} it.
   * @throws RangeError for a frame on the alternate screen when it is not honoured
   */
  moveTo(from: Framebuffer, to: Framebuffer): boolean {
    checkAlternate(to, this.#altScreen);
    if (from.width !== to.width || from.height !== to.height) return false;
    if (from.width !== this.width || from.height !== this.height) return false;
    this.write(encoder.encode(newFrame(from, to)));
    this.#adopt(to);
    const now = this.snapshot();
    return now.equals(to) && now.appCursorKeys === to.appCursorKeys &&
      now.appKeypad === to.appKeypad && now.altScroll === to.altScroll;
  }

  /** Takes `fb`'s state that drawing cannot set: bells, titles, key modes, alternate scroll. */
  #adopt(fb: Framebuffer): void {
    const m = this.#modes;
    m.bellCount = fb.bellCount;
    m.title = fb.title;
    m.iconName = fb.iconName;
    m.titleInitialized = fb.titleInitialized;
    m.clipboard = fb.clipboard;
    m.appCursorKeys = fb.appCursorKeys;
    m.altScroll = fb.altScroll;
    this.#x.decModes.applicationKeypad = fb.appKeypad;
    this.#replies = "";
    this.#dirty = true;
  }

  #penFor(a: XtermAttrs): Renditions {
    if (a.fg !== this.#penWords[0] || a.bg !== this.#penWords[1] || !this.#pen) {
      this.#penWords = [a.fg, a.bg];
      this.#pen = penOf(a);
    }
    return this.#pen;
  }
}

/** Line `y` of a buffer's screen. */
function lineOf(b: XtermBuffer, y: number) {
  return b.lines.get(b.ybase + y)!;
}

function checkAlternate(fb: Framebuffer, honoured: boolean): void {
  if (fb.main !== null && !honoured) {
    throw new RangeError(
      "Cannot show a frame on the alternate screen: this emulator does not honour it (setAltScreen)",
    );
  }
}

function sameRowObjects(a: readonly Row[], b: readonly Row[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkSize(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`Cannot make a ${width}x${height} terminal`);
  }
}

/** The same rows by reference (the main screen's too) and the same everything else. */
function sameSnapshot(a: Framebuffer, b: Framebuffer): boolean {
  if (!sameRowObjects(a.rows, b.rows) || a.main !== b.main) return false;
  return a.sameDrawState(b) && a.title === b.title && a.iconName === b.iconName &&
    a.titleInitialized === b.titleInitialized && a.clipboard === b.clipboard &&
    a.bellCount === b.bellCount && a.appCursorKeys === b.appCursorKeys &&
    a.appKeypad === b.appKeypad && a.altScroll === b.altScroll;
}

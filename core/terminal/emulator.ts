/**
 * `Emulator`: a terminal emulator that reads an application's output and yields immutable
 * `Framebuffer` snapshots. The server runs one over the pty's output; the client runs one over
 * the server's diffs.
 *
 * It is xterm.js's parser and buffer (fast and complete) bent to behave like mosh 1.4.0's
 * emulator wherever the difference would show on screen, because our server's screens are
 * compared with Debian's mosh-server's, and our diffs are drawn by Debian's mosh-client:
 * - no alternate screen (`CSI ? 47/1047/1049 h/l` are ignored, so vi and less draw on the main
 *   screen, as under mosh); no character sets (line drawing relies on UTF-8);
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
 * @module
 */

import type { IUnicodeVersionProvider } from "@xterm/headless";
import { Framebuffer } from "./framebuffer.ts";
import { newFrame } from "./display.ts";
import { ModeState } from "./emulator_modes.ts";
import { penOf, RowCache } from "./snapshot.ts";
import { MoshUtf8Decoder } from "./utf8_decoder.ts";
import { charWidth } from "./wcwidth.ts";
import { type XtermAttrs, XtermHandle } from "./xterm_internals.ts";
import type { Renditions } from "./renditions.ts";
import type { Row } from "./row.ts";

/** Widths for xterm.js: glibc's, with a lone combining mark taking one column as in mosh. */
const MOSH_UNICODE: IUnicodeVersionProvider = {
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

  constructor(width: number, height: number) {
    checkSize(width, height);
    this.#x = new XtermHandle(Math.max(width, MIN_WIDTH), height, MOSH_UNICODE);
    this.#x.setDecoder(new MoshUtf8Decoder());
    this.#modes = new ModeState(this.#x, (s) => this.#replies += s);
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
   * inside, and the scrolling region is reset. Nothing reflows.
   */
  resize(width: number, height: number): void {
    checkSize(width, height);
    width = Math.max(width, MIN_WIDTH);
    const x = this.#x;
    if (width === x.cols && height === x.rows) return;
    this.#dirty = true;
    const buf = x.buffer;
    const cx = Math.min(buf.x, x.cols - 1), cy = buf.y; // the column shown, even when waiting to wrap
    const oldRows = x.rows;
    for (let y = 0; y < oldRows; y++) {
      const line = x.line(y);
      if (width !== x.cols) line.isWrapped = false;
      line.resize(width, x.eraseCell());
    }
    buf.y = 0; // so that xterm removes rows from the bottom, not above the cursor
    x.terminal.resize(width, height);
    for (let y = oldRows; y < height; y++) x.line(y).fill(x.eraseCell());
    const now = x.buffer;
    now.x = Math.min(cx, width - 1);
    now.y = Math.min(cy, height - 1);
    x.forgetLastPrinted();
  }

  /**
   * The current screen. Cheap when little changed: unchanged rows are the previous snapshot's
   * `Row` objects, and with nothing written since, the previous snapshot itself.
   */
  snapshot(): Framebuffer {
    if (!this.#dirty && this.#last) return this.#last;
    const x = this.#x, cols = x.cols, height = x.rows, m = this.#modes;
    const rows: Row[] = new Array(height);
    let next = x.line(0);
    for (let y = 0; y < height; y++) {
      const line = next;
      next = y + 1 < height ? x.line(y + 1) : line;
      rows[y] = this.#cache.row(line, cols, y + 1 < height && next.isWrapped);
    }
    const buf = x.buffer;
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
    const last = this.#last;
    this.#dirty = false;
    if (last && sameSnapshot(last, fb)) return last;
    this.#last = fb;
    return fb;
  }

  /**
   * Puts the emulator into `fb`'s state: a full reset, then the screen drawn from nothing with
   * `newFrame(null, fb)`, then the state a diff cannot carry (bell count, key modes, alternate
   * scroll) set. Afterwards `snapshot()` equals `fb`. Scrolling region, tab stops, saved cursor
   * and character attributes of the application are not part of a frame and start afresh.
   */
  load(fb: Framebuffer): void {
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
   */
  moveTo(from: Framebuffer, to: Framebuffer): boolean {
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

function checkSize(width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1)) {
    throw new RangeError(`Cannot make a ${width}x${height} terminal`);
  }
}

/** The same rows by reference and the same everything else. */
function sameSnapshot(a: Framebuffer, b: Framebuffer): boolean {
  if (a.rows.length !== b.rows.length) return false;
  for (let i = 0; i < a.rows.length; i++) if (a.rows[i] !== b.rows[i]) return false;
  return a.sameDrawState(b) && a.title === b.title && a.iconName === b.iconName &&
    a.titleInitialized === b.titleInitialized && a.clipboard === b.clipboard &&
    a.bellCount === b.bellCount && a.appCursorKeys === b.appCursorKeys &&
    a.appKeypad === b.appKeypad && a.altScroll === b.altScroll;
}

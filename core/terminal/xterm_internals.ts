/**
 * The one place that reaches inside `@xterm/headless` (6.0.0). Everything else goes through
 * `XtermHandle`.
 *
 * Why internals at all: the public `Terminal.write()` parses on a timer, and core/ must be
 * synchronous, so we call the input handler's `parse()` directly. Reading cells through the
 * public buffer API allocates per cell; snapshots read each line's packed `_data` instead, which
 * also tells cheaply whether a line changed. A few behaviours must match mosh's emulator, not
 * xterm's: the UTF-8 decoder (U+FFFD counts), BEL and other controls clearing the pending wrap,
 * resizing without reflow. Each member used is checked when the handle is built, so an
 * upgrade of xterm.js that renames one fails loudly at construction (and in
 * `tests/core/terminal/xterm_internals_test.ts`), not silently later.
 *
 * Two more reasons to reach inside: history (a line leaving the top of the normal screen is
 * handed to {@link XtermHandle.scrollOut} before xterm, which keeps no scrollback here, reuses
 * it), and the alternate screen, switched by the emulator rather than by xterm's own mode
 * handler so that only the modes mosh knows are ever set.
 *
 * @module
 */

// First, so that xterm.js loads with the host it is shown (see xterm_host.ts); used below, so
// that the import is not dropped as unused.
import { restoreHost } from "./xterm_host.ts";
import * as xtermModule from "@xterm/headless/lib-headless/xterm-headless.mjs";
import type * as XtermApi from "@xterm/headless";
import type { IUnicodeVersionProvider, Terminal } from "@xterm/headless";

restoreHost();

/**
 * xterm.js, loaded as the package's ES module rather than its `main` (CommonJS) file: Deno
 * loads CommonJS through its Node module loader, which builds Node's `process` as well. With
 * the ES module and xterm_host.ts, each idle program is about 2 MB smaller (61.6-62.6 MB
 * against 63.6-65.0 MB, side by side). The typings are the package's.
 */
export const xterm = xtermModule as unknown as typeof XtermApi;

/** The packed attribute pair xterm keeps per cell and for its pen. */
export interface XtermAttrs {
  fg: number;
  bg: number;
  extended?: unknown;
}

/** The parts of xterm's `BufferLine` we use. */
export interface XtermLine {
  /** Three numbers per cell: content (code point, combined flag, width), fg, bg. */
  _data: Uint32Array;
  /** Text of cells whose content has the combined flag, by column. */
  _combined: Record<number, string>;
  length: number;
  /** The line continues the previous one (the previous one soft-wrapped). */
  isWrapped: boolean;
  resize(cols: number, fill: unknown): boolean;
  fill(fill: unknown): void;
  setCellFromCodepoint(col: number, cp: number, width: number, attrs: XtermAttrs): void;
}

/** The parts of xterm's `Buffer` we use. */
export interface XtermBuffer {
  lines: { get(i: number): XtermLine | undefined; length: number };
  /** Tab stops by column (the terminal's; shared by both buffers here). */
  tabs: Record<number, boolean | undefined>;
  x: number;
  y: number;
  ybase: number;
  scrollTop: number;
  scrollBottom: number;
  getNullCell(attrs?: XtermAttrs): unknown;
}

/**
 * Called with each line that leaves the top of the normal screen by a scroll whose region
 * starts at the first row, before xterm reuses or drops it; `wraps` says whether the line that
 * now follows it (the next one in the region, or the new blank one) continues it; `extent`,
 * when not -1, that every cell from that column on is empty on the default background (see
 * {@link XtermHandle.epoch}).
 */
export type ScrollOut = (line: XtermLine, wraps: boolean, extent: number) => void;

/** A CSI parameter list as the parser hands it to handlers. */
export interface XtermParams {
  params: Int32Array;
  length: number;
  hasSubParams(index: number): boolean;
}

/** Function identifier of an escape sequence, as xterm's registration takes it. */
export interface SequenceId {
  prefix?: string;
  intermediates?: string;
  final: string;
}

/** A streaming UTF-8 decoder with xterm's `Utf8ToUtf32` interface. */
export interface Utf8Decoder {
  decode(input: Uint8Array, target: Uint32Array): number;
  clear(): void;
}

// Content word layout of a cell (xterm's Content enum).
/** Code point bits of a cell's content word. */
export const CODEPOINT_MASK = 0x1fffff;
/** The cell's text is in `_combined`. */
export const IS_COMBINED = 0x200000;
/** Code point or combined flag: the cell has content. */
export const HAS_CONTENT = 0x3fffff;
/** Shift of the width bits. */
export const WIDTH_SHIFT = 22;
/** Colour mode bits of an fg/bg word: default, P16, P256, RGB. */
export const CM_MASK = 0x3000000;
/** RGB colour mode. */
export const CM_RGB = 0x3000000;

/** Bytes we hand to one `parse()` call; the parse buffer is sized for it. */
const PARSE_SLICE = 64 * 1024;

/** xterm's untyped internals; only this module touches them. */
// deno-lint-ignore no-explicit-any
type Core = Record<string, any>;

/** A synchronous xterm.js terminal and typed access to the internals we rely on. */
export class XtermHandle {
  readonly terminal: Terminal;
  readonly #core: Core;
  readonly #inputHandler: Core;
  readonly #parser: Core;
  /** Where lines that leave the top of the normal screen go; null: nowhere (no history). */
  scrollOut: ScrollOut | null = null;
  /**
   * Extents: a line that the short line-feed path blanked (on the default background) and
   * that only the short print path wrote since carries this epoch and the column after the
   * last cell written, so that history need not look for where its text ends. Anything else
   * that changes cells moves the epoch on ({@link touchCells}), and every line's extent is
   * then unknown.
   */
  epoch = 0;

  /**
   * @param scrollback lines of xterm's own scrollback: 0 for the emulator (history is ours);
   *   tests use one as a stand-in for a user's terminal
   */
  constructor(cols: number, rows: number, unicode: IUnicodeVersionProvider, scrollback = 0) {
    this.terminal = new xterm.Terminal({
      cols,
      rows,
      scrollback,
      allowProposedApi: true,
      logLevel: "off",
      // A Windows pty backend other than conpty turns off reflow on resize (mosh does not
      // reflow) and makes new rows appear at the bottom; it has no other effect.
      windowsPty: { backend: "winpty", buildNumber: 99999 },
    });
    this.terminal.unicode.register(unicode);
    this.terminal.unicode.activeVersion = unicode.version;
    // deno-lint-ignore no-explicit-any
    this.#core = (this.terminal as any)._core;
    this.#inputHandler = this.#core?._inputHandler;
    this.#parser = this.#inputHandler?._parser;
    checkInternals(this.#core);
    fastCopyFrom(this.#core._bufferService.buffer.lines.get(0));
    fastLineFeed(this.#core, this);
    fastPrint(this.#core, this);
    watchScrolls(this.#core, this);
    // One slice can decode to one more code point than it has bytes (a pending sequence that
    // turns into U+FFFD); leave room.
    this.#inputHandler._parseBuffer = new Uint32Array(PARSE_SLICE + 16);
  }

  /** Something changed cells other than the short paths: every known extent is void. */
  touchCells(): void {
    this.epoch++;
  }

  /** The column from which `line` is known to be empty on the default background, or -1. */
  extentOf(line: XtermLine): number {
    const l = line as XtermLine & Extent;
    return l._dmEpoch === this.epoch ? l._dmEnd! : -1;
  }

  /** Replaces xterm's UTF-8 decoder. */
  setDecoder(decoder: Utf8Decoder): void {
    this.#inputHandler._utf8Decoder = decoder;
  }

  /**
   * A full reset: xterm's (which keeps the parser's state), the parser's and the decoder's,
   * so that a sequence cut short before the reset does not swallow what follows.
   */
  reset(): void {
    this.touchCells();
    this.terminal.reset();
    this.#parser.reset();
    this.#inputHandler._utf8Decoder.clear();
  }

  /**
   * Makes the next combining mark start a cell instead of joining the last printed one. xterm
   * joins a mark to the cell left of the cursor with the width of the last printed character,
   * which is wrong once the cursor moved without a control (a resize clamps it).
   */
  forgetLastPrinted(): void {
    this.#parser.precedingJoinState = 0;
  }

  /** Parses bytes now, synchronously. */
  parse(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += PARSE_SLICE) {
      const result = this.#inputHandler.parse(bytes.subarray(at, at + PARSE_SLICE));
      if (result !== undefined) throw new Error("xterm.js parser paused: an async handler ran");
    }
  }

  get cols(): number {
    return this.#core._bufferService.cols;
  }
  get rows(): number {
    return this.#core._bufferService.rows;
  }
  /** The active buffer: the normal one, or the alternate one while it is shown. */
  get buffer(): XtermBuffer {
    return this.#core._bufferService.buffer;
  }
  /** The normal buffer, shown or not. */
  get normalBuffer(): XtermBuffer {
    return this.#core._bufferService.buffers.normal;
  }
  /** Whether the alternate buffer is shown. */
  get altActive(): boolean {
    const bs = this.#core._bufferService;
    return bs.buffer !== bs.buffers.normal;
  }
  /** Visible line `y` (0-based). */
  line(y: number): XtermLine {
    const b = this.buffer;
    return b.lines.get(b.ybase + y)!;
  }
  /** Line `y` (0-based) of the normal screen, shown or not. */
  normalLine(y: number): XtermLine {
    const b = this.normalBuffer;
    return b.lines.get(b.ybase + y)!;
  }

  /**
   * Shows the alternate buffer, as xterm.js does for 47 and 1047: filled with empty cells on
   * the pen's background, the cursor where it was. Nothing if it is shown already. The
   * scrolling region and tab stops are the terminal's, not the screen's (as in xterm), so they
   * come along.
   */
  showAlternate(): void {
    const bs = this.#core._bufferService;
    const normal = bs.buffers.normal, alt = bs.buffers.alt;
    if (bs.buffer === alt) return;
    // xterm.js resizes an empty (hidden) alternate buffer without shrinking its line list; a
    // list longer than the screen keeps a line of scrollback, and `CSI 1 J` in the last cell
    // then reads past its end and throws.
    if (alt.lines.length === 0) alt.lines.maxLength = this.rows;
    bs.buffers.activateAltBuffer(this.#inputHandler._eraseAttrData());
    alt.scrollTop = normal.scrollTop;
    alt.scrollBottom = normal.scrollBottom;
    alt.tabs = normal.tabs;
  }
  /** Shows the normal buffer again; the alternate one is cleared (xterm.js keeps no copy). */
  showNormal(): void {
    const bs = this.#core._bufferService;
    const normal = bs.buffers.normal, alt = bs.buffers.alt;
    if (bs.buffer === normal) return;
    const top = alt.scrollTop, bottom = alt.scrollBottom;
    bs.buffers.activateNormalBuffer();
    normal.scrollTop = top;
    normal.scrollBottom = bottom;
  }
  /** DECSC on the active buffer: position, pen and character set. */
  saveCursor(): void {
    this.#inputHandler.saveCursor();
  }
  /** DECRC on the active buffer. */
  restoreCursor(): void {
    this.#inputHandler.restoreCursor();
  }
  /** The pen. Read it afresh: resets replace the object. */
  get pen(): XtermAttrs {
    return this.#inputHandler._curAttrData;
  }
  /** What an erase writes with the current pen: an empty cell with the pen's background. */
  eraseCell(): unknown {
    const bg = this.pen.bg & ~0xfc000000;
    return this.buffer.getNullCell({ fg: 0, bg });
  }
  /** DEC private modes xterm itself acts on. */
  get decModes(): { wraparound: boolean; origin: boolean; applicationKeypad: boolean } {
    return this.#core.coreService.decPrivateModes;
  }
  /** ANSI modes: insert (IRM). */
  get ansiModes(): { insertMode: boolean } {
    return this.#core.coreService.modes;
  }

  /** Adds a CSI handler; it runs before xterm's own and returns true to stop them. */
  csi(id: SequenceId, fn: (p: XtermParams) => boolean): void {
    this.#core.registerCsiHandler(id, fn);
  }
  esc(id: SequenceId, fn: () => boolean): void {
    this.#core.registerEscHandler(id, fn);
  }
  osc(ident: number, fn: (data: string) => boolean): void {
    this.#core.registerOscHandler(ident, fn);
  }
  dcs(id: SequenceId, fn: () => boolean): void {
    this.#core.registerDcsHandler(id, fn);
  }
  /** Replaces the handler of a C0/C1 control. */
  execute(code: number, fn: () => void): void {
    this.#parser.setExecuteHandler(String.fromCharCode(code), fn);
  }
  /**
   * Runs `fn` instead of designating a character set (`ESC ( 0` and the like). xterm has a
   * handler per designation; replacing the method they call is cheaper than overriding each.
   */
  onCharsetDesignation(fn: () => void): void {
    this.#inputHandler.selectCharset = (): boolean => (fn(), true);
  }

  /** Runs `fn` for every control, CSI and ESC sequence that has no handler. */
  onUnhandled(fn: () => void): void {
    this.#parser.setExecuteHandlerFallback(fn);
    this.#parser.setCsiHandlerFallback(fn);
    this.#parser.setEscHandlerFallback(fn);
  }
}

let copyFromPatched = false;

/**
 * Makes `BufferLine.copyFrom` keep the line's empty combined-character and extended-attribute
 * maps instead of allocating two new objects. With no scrollback, every line feed at the
 * bottom copies a blank line into the recycled top line, so output like `seq` allocated two
 * objects a line and spent a fifth of its time in the garbage collector. Behaviour is the
 * same: the maps end up with the same entries as the source's.
 */
function fastCopyFrom(line: { copyFrom?: unknown } | undefined): void {
  if (copyFromPatched || !line) return;
  const proto = Object.getPrototypeOf(line) as Record<string, unknown>;
  const original = proto.copyFrom;
  if (typeof original !== "function") {
    throw new Error("@xterm/headless internals changed: BufferLine.copyFrom");
  }
  const isEmpty = (o: Record<string, unknown>): boolean => {
    for (const _ in o) return false;
    return true;
  };
  proto.copyFrom = function (this: XtermLineInternals, src: XtermLineInternals): void {
    if (this.length !== src.length || !isEmpty(src._combined) || !isEmpty(src._extendedAttrs)) {
      (original as (this: XtermLineInternals, s: XtermLineInternals) => void).call(this, src);
      return;
    }
    this._data.set(src._data);
    if (!isEmpty(this._combined)) this._combined = {};
    if (!isEmpty(this._extendedAttrs)) this._extendedAttrs = {};
    this.isWrapped = src.isWrapped;
  };
  copyFromPatched = true;
}

/**
 * Gives the line feed at the bottom of a full-screen scrolling region a short path: the top
 * line is recycled as the new blank bottom line, and nothing else happens. xterm's own path
 * does the same and then fires three events (trim, scroll, line feed) through two forwarding
 * layers, allocating an event object, for listeners that only a renderer, markers or an API
 * user would have. Output like `seq` is one line feed per few bytes, so this was a sixth of
 * its time. Any other case (a region, a listener, scrollback) takes xterm's path. The top line
 * goes to {@link XtermHandle.scrollOut} first when it is the normal screen's.
 */
function fastLineFeed(core: Core, handle: XtermHandle): void {
  const ih = core._inputHandler, bs = core._bufferService;
  const original = ih.lineFeed;
  const listened = (emitter: Core | undefined): boolean => emitter?._size !== 0;
  need(typeof original === "function", "_inputHandler.lineFeed");
  need(typeof ih._eraseAttrData === "function", "_inputHandler._eraseAttrData");
  const lines0 = bs.buffer.lines;
  need(typeof lines0._startIndex === "number" && Array.isArray(lines0._array), "CircularList");
  need(lines0.onTrimEmitter?._size === 0 && core._onScroll?._size === 0, "Emitter._size");
  need(core._onLineFeed?._size === 0, "CoreTerminal._onLineFeed");
  ih.lineFeed = function (this: Core): boolean {
    const buf = bs.buffer, lines = buf.lines;
    if (
      buf.y !== buf.scrollBottom || buf.scrollTop !== 0 || buf.ybase !== 0 ||
      lines._length !== lines._maxLength || buf.scrollBottom !== lines._length - 1 ||
      bs.isUserScrolling || this._optionsService.rawOptions.convertEol ||
      listened(lines.onTrimEmitter) || listened(core._onScroll) || listened(core._onLineFeed)
    ) {
      return original.call(this);
    }
    const attr = this._eraseAttrData();
    let blank = bs._cachedBlankLine;
    if (
      !blank || blank.length !== bs.cols || blank.getFg(0) !== attr.fg ||
      blank.getBg(0) !== attr.bg
    ) {
      blank = bs._cachedBlankLine = buf.getBlankLine(attr, false);
    }
    blank.isWrapped = false;
    const out = handle.scrollOut;
    if (out !== null && buf === bs.buffers.normal) {
      // xterm's splice leaves `_startIndex` past the end; it is only ever used modulo the length.
      const max = lines._maxLength, top = lines._array[lines._startIndex % max];
      const next = max > 1 && lines._array[(lines._startIndex + 1) % max].isWrapped;
      out(top, next, handle.extentOf(top));
    }
    lines._startIndex = (lines._startIndex + 1) % lines._maxLength;
    const fresh = lines._array[(lines._startIndex + lines._length - 1) % lines._maxLength];
    fresh.copyFrom(blank);
    // Blank on the default background: nothing written yet.
    fresh._dmEpoch = (attr.bg & CM_MASK) === 0 ? handle.epoch : -1;
    fresh._dmEnd = 0;
    buf.ydisp = buf.ybase;
    if (buf.x >= bs.cols) buf.x--;
    return true;
  };
}

/**
 * Gives a run of printable ASCII that fits on the line a short path: the cells are written
 * straight into the line's packed words. xterm's own loop asks the unicode provider for every
 * character's width, checks links, a screen reader, the charset, insert mode and wrapping per
 * character, and calls a method per cell; typical output is mostly such runs. Anything else
 * (other characters, a wrap, insert mode, a charset, a link, a screen reader) takes xterm's
 * path. Needs a unicode provider that makes printable ASCII one column wide and never
 * joining, which is checked here (and any provider worth the name does). It keeps the line's
 * extent ({@link XtermHandle.epoch}); xterm's path voids all of them.
 */
function fastPrint(core: Core, handle: XtermHandle): void {
  const ih = core._inputHandler, bs = core._bufferService;
  const original = ih.print, unicode = ih._unicodeService;
  need(typeof original === "function", "_inputHandler.print");
  need(typeof unicode?.charProperties === "function", "_inputHandler._unicodeService");
  need(typeof ih._charsetService === "object" && typeof ih._coreService === "object", "services");
  for (let c = 0x20; c < 0x7f; c++) {
    for (const before of [0, 2, 3, 4, 5]) if (unicode.charProperties(c, before) !== ASCII) return;
  }
  ih.print = function (this: Core, data: Uint32Array, start: number, end: number): void {
    const buf = this._activeBuffer, x0 = buf.x, attr = this._curAttrData;
    if (
      end <= start || x0 + end - start > bs.cols || this._charsetService.charset ||
      this._coreService.modes.insertMode || this._optionsService.rawOptions.screenReaderMode ||
      attr.extended.urlId
    ) {
      handle.touchCells();
      return original.call(this, data, start, end);
    }
    for (let i = start; i < end; i++) {
      if (data[i] < 0x20 || data[i] > 0x7e) {
        handle.touchCells();
        return original.call(this, data, start, end);
      }
    }
    const line = buf.lines.get(buf.ybase + buf.y), d: Uint32Array = line._data;
    // Half of a wide character on either side of the run becomes an empty cell, as in xterm.
    if (x0 > 0 && d[(x0 - 1) * 3] >>> WIDTH_SHIFT === 2) {
      line.setCellFromCodepoint(x0 - 1, 0, 1, attr);
    }
    const fg = attr.fg, bg = attr.bg, extended = bg & HAS_EXTENDED;
    for (let i = start, o = x0 * 3; i < end; i++, o += 3) {
      d[o] = data[i] | (1 << WIDTH_SHIFT);
      d[o + 1] = fg;
      d[o + 2] = bg;
      if (extended) line._extendedAttrs[o / 3] = attr.extended;
    }
    const x = buf.x = x0 + end - start;
    if (line._dmEpoch === handle.epoch && x > line._dmEnd) line._dmEnd = x;
    this._parser.precedingJoinState = ASCII;
    if (x < bs.cols && d[x * 3] >>> WIDTH_SHIFT === 0 && !(d[x * 3] & HAS_CONTENT)) {
      line.setCellFromCodepoint(x, 0, 1, attr);
    }
  };
}

/**
 * Sends the lines that leave the top of the normal screen by xterm's own paths to
 * {@link XtermHandle.scrollOut}: its scroll (line feed, index, next line and autowrap at the
 * bottom of a region that starts at the first row: xterm.js's rule for its scrollback, which
 * is xterm's) and scroll up (`CSI S`, which xterm.js does not save and xterm does, up to the
 * region's height). Delete line, reverse index, scroll down and erases never lose the top
 * line this way, and the alternate screen never has history.
 */
function watchScrolls(core: Core, handle: XtermHandle): void {
  const bs = core._bufferService;
  const scroll = bs.scroll;
  need(typeof scroll === "function", "_bufferService.scroll");
  need(typeof bs.buffers?.activateAltBuffer === "function", "_bufferService.buffers");
  need(typeof core._inputHandler.saveCursor === "function", "_inputHandler.saveCursor");
  need(typeof core._inputHandler.restoreCursor === "function", "_inputHandler.restoreCursor");
  bs.scroll = function (this: Core, eraseAttr: unknown, isWrapped = false): void {
    const out = handle.scrollOut, buf = this.buffer;
    if (out !== null && buf === this.buffers.normal && buf.scrollTop === 0) {
      const lines = buf.lines, top = lines.get(buf.ybase);
      const next = buf.scrollBottom > 0 ? lines.get(buf.ybase + 1).isWrapped : isWrapped;
      out(top, next, handle.extentOf(top));
    }
    scroll.call(this, eraseAttr, isWrapped);
    // xterm may have reused the top line object as the new bottom line: its extent is void.
    (buf.lines.get(buf.ybase + buf.scrollBottom) as Extent)._dmEpoch = -1;
  };
  // Runs after the emulator's own handlers for `CSI S` (they cap the count), before xterm's.
  core.registerCsiHandler({ final: "S" }, (p: XtermParams): boolean => {
    const out = handle.scrollOut, buf = bs.buffer;
    if (out === null || buf !== bs.buffers.normal || buf.scrollTop !== 0) return false;
    const n = Math.min(Math.max(p.params[0], 1), buf.scrollBottom + 1);
    const lines = buf.lines;
    for (let y = 0; y < n; y++) {
      const line = lines.get(buf.ybase + y);
      const next = y + 1 <= buf.scrollBottom && lines.get(buf.ybase + y + 1).isWrapped;
      out(line, next, handle.extentOf(line));
    }
    return false;
  });
  // xterm's sequences that change cells (the others that do, mosh ignores): they void the
  // short paths' extents. Each runs after the emulator's own handlers, before xterm's.
  for (const final of "@PXJK") {
    core.registerCsiHandler({ final }, (): boolean => (handle.touchCells(), false));
  }
}

/** xterm's packed character properties of a one-column, non-joining character. */
const ASCII = 1 << 1;
/** The bg flag of a cell or pen whose attributes go on in `_extendedAttrs`. */
const HAS_EXTENDED = 0x10000000;

/** Throws, naming `what`, unless this xterm.js build has it. */
function need(ok: boolean, what: string): void {
  if (!ok) throw new Error(`@xterm/headless internals changed: ${what} is missing`);
}

/** The extent a line carries (see {@link XtermHandle.epoch}). */
interface Extent {
  _dmEpoch?: number;
  _dmEnd?: number;
}

interface XtermLineInternals {
  _data: Uint32Array;
  _combined: Record<string, unknown>;
  _extendedAttrs: Record<string, unknown>;
  length: number;
  isWrapped: boolean;
}

/** Throws if a member this module uses is missing from this xterm.js build. */
function checkInternals(core: Core): void {
  need(typeof core === "object" && core !== null, "Terminal._core");
  const ih = core._inputHandler;
  need(typeof ih?.parse === "function", "_inputHandler.parse");
  need(typeof ih._utf8Decoder?.decode === "function", "_inputHandler._utf8Decoder.decode");
  need(ih._parseBuffer instanceof Uint32Array, "_inputHandler._parseBuffer");
  need(typeof ih._curAttrData?.fg === "number", "_inputHandler._curAttrData");
  need(typeof ih.selectCharset === "function", "_inputHandler.selectCharset");
  const p = ih._parser;
  for (
    const f of ["setExecuteHandler", "setExecuteHandlerFallback", "setCsiHandlerFallback", "reset"]
  ) {
    need(typeof p?.[f] === "function", `_parser.${f}`);
  }
  need(typeof p.setEscHandlerFallback === "function", "_parser.setEscHandlerFallback");
  need(typeof p.precedingJoinState === "number", "_parser.precedingJoinState");
  for (const f of ["registerCsiHandler", "registerEscHandler", "registerOscHandler"]) {
    need(typeof core[f] === "function", `_core.${f}`);
  }
  need(typeof core.registerDcsHandler === "function", "_core.registerDcsHandler");
  const bs = core._bufferService;
  need(typeof bs?.cols === "number" && typeof bs.rows === "number", "_bufferService.cols/rows");
  const b = bs.buffer;
  need(typeof b?.x === "number" && typeof b.ybase === "number", "buffer.x/ybase");
  need(typeof b.scrollTop === "number" && typeof b.getNullCell === "function", "buffer");
  const line = b.lines?.get(0);
  need(line?._data instanceof Uint32Array, "BufferLine._data");
  need(typeof line._combined === "object" && typeof line.isWrapped === "boolean", "BufferLine");
  for (const f of ["resize", "fill", "setCellFromCodepoint"]) {
    need(typeof line[f] === "function", `BufferLine.${f}`);
  }
  const modes = core.coreService?.decPrivateModes;
  need(typeof modes?.wraparound === "boolean", "coreService.decPrivateModes");
  need(typeof core.coreService.modes?.insertMode === "boolean", "coreService.modes");
}

/**
 * The emulator's own state and the escape sequences where it follows mosh 1.4.0 rather than
 * xterm.js: DEC private modes, ANSI modes, device answers, titles and clipboard, the bell,
 * reset, DECALN, and the sequences mosh ignores (see `emulator.ts` for the list and why).
 *
 * Handlers are registered on the xterm parser; one returning true stops xterm's own handler.
 *
 * @module
 */

import type { MouseEncoding, MouseReporting } from "./framebuffer.ts";
import type { SequenceId, XtermHandle, XtermParams } from "./xterm_internals.ts";

/** mosh keeps at most this many characters of an OSC string, its "0;" prefix included. */
const MAX_OSC_TITLE = 256;
/** Sequences xterm.js implements and mosh ignores (apart from clearing a pending wrap). */
const IGNORED_CSI: readonly SequenceId[] = [
  { final: "E" }, // CNL
  { final: "F" }, // CPL
  { final: "a" }, // HPR
  { final: "b" }, // REP
  { final: "e" }, // VPR
  { final: "s" }, // SCOSC
  { final: "u" }, // SCORC
  { final: "t" }, // window operations
  { prefix: "?", final: "J" }, // DECSED
  { prefix: "?", final: "K" }, // DECSEL
  { prefix: "?", final: "n" }, // DSR, DEC form
  { intermediates: "$", final: "p" }, // DECRQM
  { prefix: "?", intermediates: "$", final: "p" },
  { intermediates: "'", final: "}" }, // DECIC
  { intermediates: "'", final: "~" }, // DECDC
  { intermediates: '"', final: "q" }, // DECSCA
  { intermediates: " ", final: "@" }, // SL
  { intermediates: " ", final: "A" }, // SR
  { intermediates: " ", final: "q" }, // DECSCUSR
];
/** xterm.js's OSC commands that mosh ignores: colours (some answer queries) and hyperlinks. */
const IGNORED_OSC = [4, 8, 10, 11, 12, 104, 110, 111, 112];

/** Modes, titles, clipboard and bell count: the emulator state that is not in xterm's buffer. */
export class ModeState {
  cursorVisible = true;
  reverseVideo = false;
  bracketedPaste = false;
  mouseReporting: MouseReporting = 0;
  focusEvents = false;
  mouseEncoding: MouseEncoding = 0;
  altScroll = false;
  appCursorKeys = false;
  title = "";
  iconName = "";
  titleInitialized = false;
  clipboard = "";
  bellCount = 0;
  /** What 47, 1047 and 1049 do; nothing by default (mosh ignores them). */
  onAltScreen: (mode: 47 | 1047 | 1049, on: boolean) => void = () => {};
  readonly #x: XtermHandle;

  /** Registers the handlers on `x`; `reply` receives answers for the application. */
  constructor(x: XtermHandle, reply: (s: string) => void) {
    this.#x = x;
    const clamp = (): void => this.#clearPendingWrap();
    const swallow = (): boolean => (clamp(), true);
    const pass = (): boolean => (clamp(), false);

    x.csi({ prefix: "?", final: "h" }, (p) => this.#decPrivate(p, true));
    x.csi({ prefix: "?", final: "l" }, (p) => this.#decPrivate(p, false));
    x.csi({ final: "h" }, (p) => this.#ansi(p, true));
    x.csi({ final: "l" }, (p) => this.#ansi(p, false));
    x.csi({ final: "c" }, () => (clamp(), reply("\x1b[?62c"), true));
    x.csi({ prefix: ">", final: "c" }, () => (clamp(), reply("\x1b[>1;10;0c"), true));
    x.csi({ final: "n" }, (p) => {
      clamp();
      const b = x.buffer;
      if (p.params[0] === 5) reply("\x1b[0n");
      if (p.params[0] === 6) reply(`\x1b[${b.y + 1};${Math.min(b.x, x.cols - 1) + 1}R`);
      return true;
    });
    // mosh ignores the whole SGR when a parameter has ':' sub-parameters.
    x.csi({ final: "m" }, (p) => {
      for (let i = 0; i < p.length; i++) if (p.hasSubParams(i)) return true;
      return false;
    });
    for (const final of "JKST") x.csi({ final }, pass);
    // xterm.js repeats SU, SD, IL, DL, CHT and CBT once per count, up to 2^31 - 1 times, so ten
    // bytes of output would hang the emulator for hours. Past the screen's size more repeats
    // change nothing (mosh's framebuffer stops there too): cap the count before xterm sees it.
    const cap = (limit: () => number) => (p: XtermParams): boolean => {
      if (p.params[0] > limit()) p.params[0] = limit();
      return false;
    };
    for (const final of "STLM") x.csi({ final }, cap(() => x.rows));
    for (const final of "IZ") x.csi({ final }, cap(() => x.cols));
    x.csi({ intermediates: "!", final: "p" }, () => {
      this.cursorVisible = true;
      this.appCursorKeys = false;
      return pass();
    });
    for (const id of IGNORED_CSI) x.csi(id, swallow);

    // Character sets: mosh ignores designations (line drawing arrives as UTF-8).
    x.onCharsetDesignation(clamp);
    x.esc({ final: "c" }, () => (this.reset(), false)); // RIS: xterm resets its part
    x.esc({ final: "7" }, pass); // DECSC saves the column, not the pending wrap
    x.esc({ intermediates: "#", final: "8" }, () => (this.#alignmentPattern(), swallow()));

    const title = (data: string, prefix: number, icon: boolean, window: boolean): boolean => {
      const t = [...data].slice(0, MAX_OSC_TITLE - prefix).join("");
      this.titleInitialized = true;
      if (icon) this.iconName = t;
      if (window) this.title = t;
      return true;
    };
    x.osc(0, (d) => title(d, 2, true, true));
    x.osc(1, (d) => title(d, 2, true, false));
    x.osc(2, (d) => title(d, 2, false, true));
    x.osc(-1, (d) => title(d, 1, true, true)); // "ESC ] ; title": mosh takes it as 0
    x.osc(52, (d) => {
      if (d.startsWith("c;")) this.clipboard = d.slice(2);
      return true;
    });
    for (const id of IGNORED_OSC) x.osc(id, () => true);
    x.dcs({ intermediates: "$", final: "q" }, () => true); // DECRQSS would answer

    x.execute(0x07, () => {
      this.bellCount++;
      clamp();
    });
    x.onUnhandled(clamp);
  }

  /** What a full reset (RIS) does to this state: mosh keeps the bell count and icon name. */
  reset(): void {
    this.cursorVisible = true;
    this.reverseVideo = false;
    this.bracketedPaste = false;
    this.mouseReporting = 0;
    this.focusEvents = false;
    this.mouseEncoding = 0;
    this.altScroll = false;
    this.appCursorKeys = false;
    this.title = "";
    this.clipboard = "";
  }

  /** mosh clears "next print will wrap" on most sequences; xterm keeps its cursor past the end. */
  #clearPendingWrap(): void {
    const b = this.#x.buffer, cols = this.#x.cols;
    if (b.x >= cols) b.x = cols - 1;
  }

  /** DECSET/DECRST, with mosh's set of modes and effects. Always handled. */
  #decPrivate(p: XtermParams, on: boolean): boolean {
    const x = this.#x;
    for (let i = 0; i < p.length; i++) {
      const mode = p.params[i];
      switch (mode) {
        case 9:
        case 1000:
        case 1001:
        case 1002:
        case 1003:
          this.mouseReporting = on ? mode : 0;
          break;
        case 1005:
        case 1006:
        case 1015:
          this.mouseEncoding = on ? mode : 0;
          break;
        case 1:
          this.appCursorKeys = on;
          break;
        case 3: // 80/132 columns: mosh only clears the screen and homes the cursor
          x.touchCells();
          this.#home();
          for (let y = 0; y < x.rows; y++) {
            const line = x.line(y);
            line.fill(x.eraseCell());
            line.isWrapped = false;
          }
          break;
        case 5:
          this.reverseVideo = on;
          break;
        case 6: // origin mode: home first, relative to the old mode
          this.#home();
          x.decModes.origin = on;
          break;
        case 7:
          x.decModes.wraparound = on;
          break;
        case 25:
          this.cursorVisible = on;
          break;
        case 1004:
          this.focusEvents = on;
          break;
        case 1007:
          this.altScroll = on;
          break;
        case 2004:
          this.bracketedPaste = on;
          break;
        case 47:
        case 1047:
        case 1049:
          this.onAltScreen(mode, on);
          break;
      }
    }
    return true;
  }

  /** SM/RM: mosh knows only insert mode (4). */
  #ansi(p: XtermParams, on: boolean): boolean {
    this.#clearPendingWrap();
    for (let i = 0; i < p.length; i++) if (p.params[i] === 4) this.#x.ansiModes.insertMode = on;
    return true;
  }

  #home(): void {
    const b = this.#x.buffer;
    b.y = this.#x.decModes.origin ? b.scrollTop : 0;
    b.x = 0;
  }

  /** DECALN as mosh does it: every cell an `E` on the pen's background; the cursor stays. */
  #alignmentPattern(): void {
    const x = this.#x;
    const attrs = { fg: 0, bg: x.pen.bg & ~0xfc000000 };
    x.touchCells();
    for (let y = 0; y < x.rows; y++) {
      const line = x.line(y);
      for (let col = 0; col < x.cols; col++) line.setCellFromCodepoint(col, 0x45, 1, attrs);
      line.isWrapped = false;
    }
  }
}

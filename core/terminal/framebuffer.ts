/**
 * `Framebuffer`: an immutable snapshot of a terminal: rows of cells, the cursor, the pen, the
 * modes a client must mirror, titles, bell count and clipboard; and, while the alternate
 * screen is shown, the main screen it hides (`main`), which a peer needs to mirror both.
 *
 * Snapshots share unchanged `Row` objects, so the transport can keep many states cheaply and
 * `equals` is quick when little changed. `with(...)` builds a modified copy; the client uses it
 * to draw overlays (prediction underlines, the notification bar) on top of a server frame.
 *
 * @module
 */

import { Renditions } from "./renditions.ts";
import { Row } from "./row.ts";

/** The mouse reporting mode (DECSET 9, 1000, 1001, 1002, 1003), 0 for none. */
export type MouseReporting = 0 | 9 | 1000 | 1001 | 1002 | 1003;
/** The mouse encoding (DECSET 1005, 1006, 1015), 0 for the default. */
export type MouseEncoding = 0 | 1005 | 1006 | 1015;

/** Where the cursor is (0-based) and whether it is shown. */
export interface Cursor {
  readonly row: number;
  readonly col: number;
  readonly visible: boolean;
}

/** Everything a framebuffer holds; the argument of `new Framebuffer` and `with`. */
export interface FramebufferState {
  readonly width: number;
  readonly height: number;
  readonly rows: readonly Row[];
  readonly cursor: Cursor;
  /** The application's current pen (mosh compares and transmits it). */
  readonly pen: Renditions;
  /** DECSCNM (DECSET 5). */
  readonly reverseVideo: boolean;
  /** DECSET 2004. */
  readonly bracketedPaste: boolean;
  readonly mouseReporting: MouseReporting;
  /** DECSET 1004. */
  readonly focusEvents: boolean;
  readonly mouseEncoding: MouseEncoding;
  /** DECSET 1007 (mosh compares it but never transmits it). */
  readonly altScroll: boolean;
  /** DECCKM: not transmitted; the server needs it to translate arrow keys. */
  readonly appCursorKeys: boolean;
  /** DECKPAM (`ESC =`): not transmitted. */
  readonly appKeypad: boolean;
  readonly title: string;
  readonly iconName: string;
  /** Whether an OSC 0, 1 or 2 ever set the title (only then is it sent). */
  readonly titleInitialized: boolean;
  readonly bellCount: number;
  /** The last OSC 52 payload for the `c` selection, as the application sent it. */
  readonly clipboard: string;
  /**
   * While the alternate screen is shown (the emulator's `setAltScreen(true)` and `CSI ? 1049
   * h`): the main screen it hides, its rows and cursor, with this frame's size and other state
   * and no `main` of its own. Null (or absent) on the main screen, always so with the
   * alternate screen off, as in mosh.
   */
  readonly main?: Framebuffer | null;
}

/** An immutable terminal snapshot. */
export class Framebuffer implements FramebufferState {
  readonly width: number;
  readonly height: number;
  readonly rows: readonly Row[];
  readonly cursor: Cursor;
  readonly pen: Renditions;
  readonly reverseVideo: boolean;
  readonly bracketedPaste: boolean;
  readonly mouseReporting: MouseReporting;
  readonly focusEvents: boolean;
  readonly mouseEncoding: MouseEncoding;
  readonly altScroll: boolean;
  readonly appCursorKeys: boolean;
  readonly appKeypad: boolean;
  readonly title: string;
  readonly iconName: string;
  readonly titleInitialized: boolean;
  readonly bellCount: number;
  readonly clipboard: string;
  readonly main: Framebuffer | null;

  /**
   * @throws RangeError when the rows do not match the size, the cursor is off screen, or a
   *   hidden main screen has another size or a main screen of its own
   */
  constructor(s: FramebufferState) {
    if (s.rows.length !== s.height || s.rows.some((r) => r.width !== s.width)) {
      throw new RangeError(`Framebuffer rows do not make ${s.width}x${s.height}`);
    }
    const c = s.cursor;
    if (c.row < 0 || c.row >= s.height || c.col < 0 || c.col >= s.width) {
      throw new RangeError(`cursor (${c.row}, ${c.col}) outside ${s.width}x${s.height}`);
    }
    this.width = s.width;
    this.height = s.height;
    this.rows = s.rows;
    this.cursor = s.cursor;
    this.pen = s.pen;
    this.reverseVideo = s.reverseVideo;
    this.bracketedPaste = s.bracketedPaste;
    this.mouseReporting = s.mouseReporting;
    this.focusEvents = s.focusEvents;
    this.mouseEncoding = s.mouseEncoding;
    this.altScroll = s.altScroll;
    this.appCursorKeys = s.appCursorKeys;
    this.appKeypad = s.appKeypad;
    this.title = s.title;
    this.iconName = s.iconName;
    this.titleInitialized = s.titleInitialized;
    this.bellCount = s.bellCount;
    this.clipboard = s.clipboard;
    const main = s.main ?? null;
    if (main && (main.width !== s.width || main.height !== s.height || main.main !== null)) {
      throw new RangeError(`the hidden main screen does not fit ${s.width}x${s.height}`);
    }
    this.main = main;
  }

  /** Whether the alternate screen is shown (and `main` holds the main screen). */
  get alternate(): boolean {
    return this.main !== null;
  }

  /** A fresh terminal's screen: empty cells, cursor home and shown, default modes. */
  static blank(width: number, height: number): Framebuffer {
    const row = Row.blank(width);
    return new Framebuffer({
      ...BLANK_STATE,
      width,
      height,
      rows: Array.from({ length: height }, () => row),
    });
  }

  /**
   * A copy with some fields replaced.
   * @example
   * ```ts
   * import { Framebuffer } from "./framebuffer.ts";
   * const fb = Framebuffer.blank(80, 24);
   * const titled = fb.with({ title: "vi", iconName: "vi", titleInitialized: true });
   * if (titled.equals(fb) || titled.rows !== fb.rows) throw new Error("rows are shared");
   * ```
   */
  with(changes: Partial<FramebufferState>): Framebuffer {
    return new Framebuffer({ ...this, ...changes });
  }

  /** A copy with row `index` replaced. */
  withRow(index: number, row: Row): Framebuffer {
    const rows = this.rows.slice();
    rows[index] = row;
    return this.with({ rows });
  }

  /**
   * This frame at another size, as a terminal resize leaves it (mosh's `Framebuffer::resize`,
   * and what `Emulator.resize` does): rows cut or extended on the right and at the bottom with
   * empty cells on the pen's background, soft wraps forgotten when the width changes (and on
   * the last row), the cursor moved inside.
   */
  resized(width: number, height: number): Framebuffer {
    if (width === this.width && height === this.height) return this;
    const bg = this.pen.bg;
    const rows = Array.from({ length: height }, (_, y) => {
      if (y >= this.height) return Row.blank(width, bg);
      const row = this.rows[y];
      return width !== this.width || y === height - 1 ? row.resized(width, bg) : row;
    });
    const c = this.cursor;
    const cursor = {
      row: Math.min(c.row, height - 1),
      col: Math.min(c.col, width - 1),
      visible: c.visible,
    };
    const main = this.main ? this.main.resized(width, height) : null;
    return this.with({ width, height, rows, cursor, main });
  }

  /**
   * Whether the two frames look the same to a client: what mosh's `Framebuffer::operator==`
   * compares (rows, title, clipboard, bell count, the display part of the draw state), plus the
   * icon name and whether a title was set, which `Display` also transmits. Rows are compared by
   * reference first. Application cursor keys, keypad mode and alternate scroll are not compared:
   * they are never transmitted (mosh compares alternate scroll, so that toggling it alone makes a
   * new state whose diff is empty; we do not). On the alternate screen, the hidden main
   * screens must be the same too ({@link sameMain}).
   */
  equals(other: Framebuffer): boolean {
    if (this === other) return true;
    return this.sameDrawState(other) &&
      this.title === other.title &&
      this.iconName === other.iconName &&
      this.titleInitialized === other.titleInitialized &&
      this.clipboard === other.clipboard &&
      this.bellCount === other.bellCount &&
      this.sameRows(other) &&
      this.sameMain(other);
  }

  /**
   * Whether the hidden main screens are the same: none, or the same rows and cursor (the rest
   * of a hidden main screen is its frame's).
   */
  sameMain(o: Framebuffer): boolean {
    const a = this.main, b = o.main;
    if (a === b) return true;
    if (a === null || b === null) return false;
    return a.cursor.row === b.cursor.row && a.cursor.col === b.cursor.col && a.sameRows(b);
  }

  /**
   * Same size, cursor, pen and transmitted modes (mosh's `DrawState::operator==`, but for
   * 1007), and the same screen shown (main or alternate).
   */
  sameDrawState(o: Framebuffer): boolean {
    return this.width === o.width && this.height === o.height &&
      (this.main === null) === (o.main === null) &&
      this.cursor.row === o.cursor.row && this.cursor.col === o.cursor.col &&
      this.cursor.visible === o.cursor.visible && this.reverseVideo === o.reverseVideo &&
      this.pen.equals(o.pen) && this.bracketedPaste === o.bracketedPaste &&
      this.mouseReporting === o.mouseReporting && this.focusEvents === o.focusEvents &&
      this.mouseEncoding === o.mouseEncoding;
  }

  /** Whether every row equals the other frame's row at the same index. */
  sameRows(o: Framebuffer): boolean {
    if (this.rows === o.rows) return true;
    if (this.rows.length !== o.rows.length) return false;
    for (let i = 0; i < this.rows.length; i++) if (!this.rows[i].equals(o.rows[i])) return false;
    return true;
  }

  /** The screen as text, one line per row (empty cells as spaces). For tests and debugging. */
  toText(): string {
    return this.rows.map((r) => r.toText()).join("\n");
  }
}

/** The state of a freshly reset terminal, without size and rows. */
export const BLANK_STATE: Omit<FramebufferState, "width" | "height" | "rows"> = {
  cursor: { row: 0, col: 0, visible: true },
  pen: Renditions.DEFAULT,
  reverseVideo: false,
  bracketedPaste: false,
  mouseReporting: 0,
  focusEvents: false,
  mouseEncoding: 0,
  altScroll: false,
  appCursorKeys: false,
  appKeypad: false,
  title: "",
  iconName: "",
  titleInitialized: false,
  bellCount: 0,
  clipboard: "",
  main: null,
};

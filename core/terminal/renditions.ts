/**
 * `Renditions`: a cell's colours and attributes, and their SGR encoding.
 *
 * Colours are one number each: {@link DEFAULT_COLOR}, a palette index (`palette(n)`, n 0..255;
 * the 16 ANSI colours are indices 0..15 however the application chose them), or 24-bit RGB
 * (`rgb(r, g, b)`). As in mosh, the palette form does not remember whether it came from `31`,
 * `91` or `38;5;1`: the encoding is chosen when the pen is written out (docs/protocol.md §7.3).
 *
 * @module
 */

/** The terminal's default colour. */
export const DEFAULT_COLOR = 0;
/** Flag of a palette colour; the index is in the low 8 bits. */
export const PALETTE_FLAG = 0x1000000;
/** Flag of an RGB colour; the colour is in the low 24 bits. */
export const RGB_FLAG = 0x2000000;

/** A palette colour, n in 0..255 (0..7 ANSI, 8..15 bright, 16..255 the 256-colour cube). */
export function palette(n: number): number {
  return PALETTE_FLAG | (n & 0xff);
}

/** A 24-bit colour. */
export function rgb(r: number, g: number, b: number): number {
  return RGB_FLAG | ((r & 0xff) << 16) | ((g & 0xff) << 8) | (b & 0xff);
}

/** What kind of colour a number is. */
export function colorKind(color: number): "default" | "palette" | "rgb" {
  return color & RGB_FLAG ? "rgb" : color & PALETTE_FLAG ? "palette" : "default";
}

/** Attribute bits. */
export const Attr = {
  bold: 1,
  faint: 2,
  italic: 4,
  underline: 8,
  blink: 16,
  inverse: 32,
  invisible: 64,
  strikethrough: 128,
} as const;

/** Attribute bits in the order their SGR parameters are written, with those parameters. */
const SGR_ATTRS: readonly [number, string][] = [
  [Attr.bold, ";1"],
  [Attr.faint, ";2"],
  [Attr.italic, ";3"],
  [Attr.underline, ";4"],
  [Attr.blink, ";5"],
  [Attr.inverse, ";7"],
  [Attr.invisible, ";8"],
  [Attr.strikethrough, ";9"],
];

/** Colours and attributes of a cell or of the pen. Immutable. */
export class Renditions {
  /** No colours, no attributes. */
  static readonly DEFAULT: Renditions = new Renditions(DEFAULT_COLOR, DEFAULT_COLOR, 0);

  constructor(
    /** Foreground colour. */
    readonly fg: number,
    /** Background colour. */
    readonly bg: number,
    /** Attribute bits ({@link Attr}). */
    readonly attrs: number,
  ) {}

  /** Whether the attribute bit `attr` is set. */
  has(attr: number): boolean {
    return (this.attrs & attr) !== 0;
  }

  equals(other: Renditions): boolean {
    return this.fg === other.fg && this.bg === other.bg && this.attrs === other.attrs;
  }

  /** What an erase operation leaves with this pen: its background alone (BCE). */
  erased(): Renditions {
    return this.fg === DEFAULT_COLOR && this.attrs === 0
      ? this
      : new Renditions(DEFAULT_COLOR, this.bg, 0);
  }

  /** The SGR sequence that sets exactly this pen: `ESC [ 0 ; … m` (see {@link sgr}). */
  sgr(): string {
    return sgr(this.fg, this.bg, this.attrs);
  }
}

/**
 * The complete reset-and-set SGR sequence for a pen, as mosh's `Renditions::sgr` writes it:
 * `CSI 0`, the attributes in the order 1 2 3 4 5 7 8 9, then foreground, then background.
 * Palette colours 0..7 are `3n`/`4n`, the others `38;5;n`/`48;5;n` (so bright colours travel
 * as `38;5;8..15`, like mosh); RGB is `38;2;r;g;b`. mosh 1.4.0 ignores faint (2) and
 * strikethrough (9) and emits neither; we emit them (mosh's parser skips them harmlessly).
 */
export function sgr(fg: number, bg: number, attrs: number): string {
  let s = "\x1b[0";
  if (attrs !== 0) {
    for (const [bit, code] of SGR_ATTRS) if (attrs & bit) s += code;
  }
  if (fg !== DEFAULT_COLOR) s += colorParams(fg, 30, 38);
  if (bg !== DEFAULT_COLOR) s += colorParams(bg, 40, 48);
  return s + "m";
}

function colorParams(color: number, base: number, extended: number): string {
  if (color & RGB_FLAG) {
    return `;${extended};2;${(color >> 16) & 0xff};${(color >> 8) & 0xff};${color & 0xff}`;
  }
  const n = color & 0xff;
  return n < 8 ? `;${base + n}` : `;${extended};5;${n}`;
}

/**
 * fast-check generators of terminal output: printable ASCII, UTF-8 (wide, emoji, combining
 * marks, unprintables, invalid bytes), C0 controls, cursor movement, SGR in every colour depth,
 * scrolling regions, insert and delete, erase, the alternate screen, tabs, modes, titles,
 * queries, sequences mosh ignores, and resizes, cut into writes at arbitrary byte offsets.
 */
import fc from "fast-check";

/** One thing that happens to a terminal. */
export type Step =
  | { readonly write: Uint8Array }
  | { readonly resize: { readonly width: number; readonly height: number } };

/** A terminal's starting size and what happens to it. */
export interface Session {
  readonly width: number;
  readonly height: number;
  readonly steps: readonly Step[];
}

const ESC = "\x1b";
const CSI = "\x1b[";
const range = (lo: number, hi: number) => fc.integer({ min: lo, max: hi });
const join = (parts: fc.Arbitrary<string>[]) => fc.tuple(...parts).map((p) => p.join(""));
/** A CSI parameter: absent, small, or large. */
const param = fc.oneof(
  { weight: 2, arbitrary: fc.constant("") },
  { weight: 6, arbitrary: range(0, 12).map(String) },
  { weight: 1, arbitrary: range(0, 400).map(String) },
);

/** Code points from the scripts that exercise widths: wide, zero-width, unprintable. */
const codePoint = fc.oneof(
  range(0x20, 0x7e),
  range(0xa0, 0xff),
  range(0x370, 0x3ff), // Greek, with unassigned (glibc: unprintable) holes
  range(0x300, 0x36f), // combining diacritics
  range(0x4e00, 0x4e40), // CJK (wide)
  range(0xac00, 0xac20), // Hangul (wide)
  range(0x1f600, 0x1f64f), // emoji (wide)
  range(0x1fae0, 0x1faf0), // newer emoji: unprintable for glibc 2.36
  range(0xff01, 0xff20), // fullwidth forms
  fc.constantFrom(0x200b, 0x200d, 0xfe0f, 0xfeff, 0xfffd, 0xad, 0x2028, 0xe000, 0x20dd, 0x1100),
);
const text = fc.array(codePoint, { maxLength: 24 }).map((cps) => String.fromCodePoint(...cps));
const ascii = fc.array(range(0x20, 0x7e), { maxLength: 90 }).map((cs) =>
  String.fromCharCode(...cs)
);
const c0 = fc.constantFrom(
  "\x07",
  "\b",
  "\t",
  "\n",
  "\x0b",
  "\x0c",
  "\r",
  "\x0e",
  "\x0f",
  "\x00",
  "\x7f",
);
const c1 = fc.constantFrom("\u0084", "\u0085", "\u0088", "\u008d"); // IND NEL HTS RI, 8-bit
const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) =>
  b.map((x) => x | 0x80)
);

const cursor = fc.oneof(
  join([
    fc.constant(CSI),
    param,
    fc.constantFrom("A", "B", "C", "D", "E", "F", "G", "`", "a", "d", "e"),
  ]),
  join([fc.constant(CSI), param, fc.constant(";"), param, fc.constantFrom("H", "f")]),
  fc.constantFrom(`${ESC}7`, `${ESC}8`, `${ESC}D`, `${ESC}E`, `${ESC}M`, `${CSI}s`, `${CSI}u`),
);

const color = fc.oneof(
  range(30, 37).map(String),
  range(40, 47).map(String),
  range(90, 97).map(String),
  range(100, 107).map(String),
  fc.constantFrom("39", "49"),
  join([fc.constantFrom("38;5;", "48;5;", "58;5;"), range(0, 255).map(String)]),
  fc.tuple(fc.constantFrom("38;2;", "48;2;"), range(0, 255), range(0, 255), range(0, 255))
    .map(([p, r, g, b]) => `${p}${r};${g};${b}`),
);
const sgrParam = fc.oneof(
  color,
  fc.constantFrom("", "0", "1", "2", "3", "4", "5", "7", "8", "9"),
  fc.constantFrom("21", "22", "23", "24", "25", "27", "28", "29", "53", "6"),
);
const sgr = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(sgrParam, { maxLength: 4 }).map((p) => `${CSI}${p.join(";")}m`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(`${CSI}38:2::1:2:3m`, `${CSI}4:3m`, `${CSI}1;38:5:200m`),
  },
);

const edit = fc.oneof(
  join([fc.constant(CSI), param, fc.constantFrom("L", "M", "@", "P", "X", "S", "T", "b")]),
  join([fc.constant(CSI), fc.constantFrom("", "0", "1", "2", "3"), fc.constantFrom("J", "K")]),
  join([fc.constant(CSI), param, fc.constant(";"), param, fc.constant("r")]),
  fc.constantFrom(`${CSI}r`, `${CSI}?1J`, `${CSI}?2K`, `${ESC}#8`),
);

const privateMode = fc.constantFrom(
  1,
  3,
  5,
  6,
  7,
  9,
  12,
  25,
  45,
  47,
  66,
  1000,
  1001,
  1002,
  1003,
  1004,
  1005,
  1006,
  1007,
  1015,
  1047,
  1048,
  1049,
  2004,
  2026,
);
const modes = fc.oneof(
  fc.tuple(fc.array(privateMode, { minLength: 1, maxLength: 2 }), fc.constantFrom("h", "l"))
    .map(([m, hl]) => `${CSI}?${m.join(";")}${hl}`),
  fc.constantFrom(`${CSI}4h`, `${CSI}4l`, `${CSI}20h`, `${CSI}20l`, `${ESC}=`, `${ESC}>`),
  fc.constantFrom(`${CSI}!p`, `${ESC}(0`, `${ESC}(B`, `${ESC})0`, `${CSI} q`, `${CSI}2 q`),
);
const tabs = fc.oneof(
  join([fc.constant(CSI), param, fc.constantFrom("I", "Z")]),
  fc.constantFrom("\t", `${ESC}H`, `${CSI}g`, `${CSI}0g`, `${CSI}3g`),
);
const osc = fc.oneof(
  fc.tuple(
    fc.constantFrom("0;", "1;", "2;", ";", "52;c;", "52;p;", "4;1;?", "8;;http://x", "10;?"),
    fc.oneof(ascii.map((s) => s.slice(0, 30)), text),
    fc.constantFrom("\x07", `${ESC}\\`),
  )
    .map(([cmd, body, st]) => `${ESC}]${cmd}${body}${st}`),
  fc.constant(`${ESC}]0;${"t".repeat(300)}\x07`),
);
const queries = fc.constantFrom(
  `${CSI}c`,
  `${CSI}>c`,
  `${CSI}5n`,
  `${CSI}6n`,
  `${CSI}?6n`,
  `${CSI}2$p`,
  `${ESC}P$qm${ESC}\\`,
  `${CSI}18t`,
  `${CSI}=c`,
);
const rare = fc.constantFrom(`${ESC}c`, `${CSI}?3h`, `${CSI}?3l`, `${ESC}#8`);

/** A line of text and a newline, as most programs write: the screen scrolls. */
const line = fc.tuple(fc.oneof(ascii, text), fc.constantFrom("\r\n", "\n", "\r\n\r\n"))
  .map(([t, nl]) => t + nl);

/** One piece of output: text, or a control, or an escape sequence. */
export const piece: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 10, arbitrary: ascii },
  { weight: 5, arbitrary: line },
  { weight: 6, arbitrary: text },
  { weight: 6, arbitrary: c0 },
  { weight: 1, arbitrary: c1 },
  { weight: 1, arbitrary: invalidUtf8 },
  { weight: 6, arbitrary: cursor },
  { weight: 5, arbitrary: sgr },
  { weight: 6, arbitrary: edit },
  { weight: 3, arbitrary: modes },
  { weight: 2, arbitrary: tabs },
  { weight: 2, arbitrary: osc },
  { weight: 1, arbitrary: queries },
  { weight: 1, arbitrary: rare },
);

/**
 * Output that moves lines off the top and back: long and short lines, line feeds and their
 * kin (IND, NEL, VT, FF, 8-bit IND/NEL), scrolls up and down, reverse index, insert and delete
 * line, erases, regions that start at the top and lower, and switches to and from the
 * alternate screen by each of its modes.
 */
export const scrolling: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: line },
  { weight: 3, arbitrary: fc.tuple(ascii, ascii, ascii).map((t) => t.join("")) },
  { weight: 4, arbitrary: fc.constantFrom("\n", "\r\n", "\x0b", "\x0c", `${ESC}D`, `${ESC}E`) },
  { weight: 1, arbitrary: fc.constantFrom("\u0084", "\u0085", "\u008d", `${ESC}M`) },
  { weight: 3, arbitrary: join([fc.constant(CSI), param, fc.constantFrom("S", "T", "L", "M")]) },
  {
    weight: 2,
    arbitrary: join([fc.constant(CSI), fc.constantFrom("", "0", "1", "2", "3"), fc.constant("J")]),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(range(0, 6), range(0, 12)).map(([t, b]) => `${CSI}${t || ""};${b || ""}r`),
  },
  { weight: 1, arbitrary: fc.constantFrom(`${CSI}r`, `${CSI}99;1H`, `${CSI}H`, `${CSI}1;1H`) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom(47, 1047, 1049), fc.constantFrom("h", "l"))
      .map(([m, hl]) => `${CSI}?${m}${hl}`),
  },
  { weight: 1, arbitrary: fc.constantFrom(`${ESC}7`, `${ESC}8`, `${CSI}?7l`, `${CSI}?7h`) },
);

const encoder = new TextEncoder();
function bytesOf(pieces: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = pieces.map((p) => typeof p === "string" ? encoder.encode(p) : p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const width = fc.oneof({ weight: 4, arbitrary: range(2, 24) }, {
  weight: 1,
  arbitrary: range(25, 120),
});
const height = fc.oneof({ weight: 4, arbitrary: range(1, 10) }, {
  weight: 1,
  arbitrary: range(11, 40),
});

/**
 * A session: a starting size, then the output cut into writes at random byte offsets (which
 * split UTF-8 and escape sequences), with resizes between some writes. With `scroll`, half the
 * pieces are {@link scrolling} ones.
 */
export function session(maxPieces = 40, scroll = false): fc.Arbitrary<Session> {
  const pieces = scroll ? fc.oneof(piece, scrolling) : piece;
  return fc.record({
    width,
    height,
    pieces: fc.array(pieces, { maxLength: maxPieces }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    resizes: fc.array(fc.record({ at: fc.nat(), width, height }), { maxLength: 3 }),
  }).map(({ width, height, pieces, cuts, resizes }) => {
    const bytes = bytesOf(pieces);
    const events = new Map<number, Step[]>();
    const add = (at: number, s: Step) => events.set(at, [...(events.get(at) ?? []), s]);
    const n = bytes.length + 1;
    for (const c of cuts) add(c % n, { write: new Uint8Array(0) });
    for (const r of resizes) add(r.at % n, { resize: { width: r.width, height: r.height } });
    const steps: Step[] = [];
    let from = 0;
    for (const at of [...events.keys()].sort((a, b) => a - b)) {
      if (at > from) steps.push({ write: bytes.subarray(from, at) });
      from = Math.max(from, at);
      for (const s of events.get(at)!) if ("resize" in s) steps.push(s);
    }
    if (from < bytes.length) steps.push({ write: bytes.subarray(from) });
    return { width, height, steps };
  });
}

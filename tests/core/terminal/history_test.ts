/**
 * History: the log keeps the newest lines compactly and gives back exactly the rows they were;
 * the emulator puts a line there when, and only when, it leaves the top of the main screen by
 * a scroll of a region that starts at the top (xterm's rule); and over random output the
 * emulator's history equals a slow reference model's, which steps the output a code point at
 * a time, sees lines leave by watching xterm's line objects, and takes their rows from full
 * snapshots. DENOMOSH_TERM_SEED replays a failing case; DENOMOSH_HISTORY_RUNS runs more.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Emulator, xtermHandleOf } from "../../../core/terminal/emulator.ts";
import { HistoryLog } from "../../../core/terminal/history.ts";
import type { Row } from "../../../core/terminal/row.ts";
import { palette } from "../../../core/terminal/renditions.ts";
import { piece, scrolling } from "./_streams.ts";

const ESC = "\x1b";
const enc = (s: string) => new TextEncoder().encode(s);
const seedEnv = Deno.env.get("DENOMOSH_TERM_SEED");
const params = (numRuns: number) => ({ numRuns, ...(seedEnv ? { seed: Number(seedEnv) } : {}) });

function emulator(input: string, width = 10, height = 3, historyLimit = 100): Emulator {
  const e = new Emulator(width, height, { historyLimit });
  e.write(enc(input));
  return e;
}
const texts = (e: Emulator, from = e.historyStart) =>
  e.historyRows(from, e.historyEnd).map((r) => r.toText().trimEnd() + (r.wrap ? "+" : ""));

Deno.test("history is off by default: nothing is counted, the emulator is mosh's", () => {
  const e = new Emulator(10, 2);
  e.write(enc("1\r\n2\r\n3\r\n"));
  assert.deepEqual([e.historyLimit, e.historyStart, e.historyEnd], [0, 0, 0]);
  assert.deepEqual(e.historyRows(0, 0), []);
  assert.throws(() => e.historyRows(0, 1), RangeError);
});

Deno.test("what enters history: lines that scroll off the top of the main screen", () => {
  const cases: [string, string[]][] = [
    ["1\r\n2\r\n3\r\n4\r\n5", ["1", "2"]], // line feeds at the bottom
    ["1\n2\x0b3\x0c4\n", ["1", " 2"]], // VT and FF are line feeds
    [`1\r\n2\r\n3${ESC}D${ESC}E4`, ["1", "2"]], // IND, NEL
    ["1\r\n2\r\n3\u00844", ["1"]], // 8-bit IND
    ["0123456789abcdefghijklmnopqrstu", ["0123456789+"]], // autowrap: soft-wrapped
    [`1\r\n2\r\n3${ESC}[2S`, ["1", "2"]], // CSI S
    [`1\r\n2\r\n3${ESC}[9S`, ["1", "2", "3"]], // at most the region
    [`1\r\n2\r\n3${ESC}[1;2r${ESC}[2;1H\n\n`, ["1", "2"]], // a region from the top
    [`1\r\n2\r\n3${ESC}[1;2r${ESC}[5S`, ["1", "2"]], // CSI S: at most the region
    [`1\r\n2\r\n3${ESC}[2;3r${ESC}[3;1H\n\n${ESC}[S`, []], // a region that starts lower
    [`1\r\n2\r\n3${ESC}[H${ESC}[2M${ESC}M${ESC}[T${ESC}[L`, []], // DL, RI, SD, IL
    [`1\r\n2\r\n3${ESC}[2J${ESC}[3J${ESC}[H${ESC}[J${ESC}c`, []], // erases, reset
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(texts(emulator(input)), want, JSON.stringify(input));
  }
});

Deno.test("the alternate screen has no history; the main screen's goes on around it", () => {
  const e = new Emulator(10, 2, { historyLimit: 100, altScreen: true });
  e.write(enc(`a\r\nb\r\n${ESC}[?1049h1\r\n2\r\n3\r\n${ESC}[?1049lc\r\n`));
  assert.deepEqual(texts(e), ["a", "b"]);
  const mosh = emulator(`a\r\nb\r\n${ESC}[?1049h1\r\n2\r\n3\r\n`, 10, 2);
  assert.deepEqual(texts(mosh), ["a", "b", "1", "2"], "without it, vi's lines are history");
});

Deno.test("a history row is the row the screen showed, colours, wide and combined cells too", () => {
  const e = new Emulator(12, 3, { historyLimit: 10 });
  e.write(enc(`${ESC}[1;31mred${ESC}[0m 中e\u0301 ${ESC}[44m  ${ESC}[K${ESC}[0m\r\nx\r\n`));
  const shown = e.snapshot().rows[0];
  e.write(enc("y\r\n"));
  const [row] = e.historyRows(0, 1);
  assert.ok(row.equals(shown), `${row.toText()} vs ${shown.toText()}`);
  assert.equal(row.width, 12);
  assert.ok(row.isEmpty(11) && row.bg(11) === palette(4), "trailing blanks on a colour are kept");
  assert.equal(row.fg(0), palette(1));
});

Deno.test("what changes cells after the short paths wrote a line is kept in its history row", () => {
  // A flood's line feeds and prints take short paths that note where each line's text ends;
  // any other change to cells must make the history look again.
  const cases: [string, (r: Row) => boolean][] = [
    [`${ESC}[44m${ESC}[K`, (r) => r.bg(9) === palette(4)], // EL on a colour
    [`${ESC}[44m${ESC}[4X`, (r) => r.bg(5) === palette(4)], // ECH
    [`${ESC}[1G${ESC}[3@`, (r) => r.text(5) === "c"], // ICH pushes the text right
    [`${ESC}[44m${ESC}[1G${ESC}[P`, (r) => r.bg(9) === palette(4)], // DCH fills from the right
    [`${ESC}[44m${ESC}[J`, (r) => r.bg(9) === palette(4)], // ED
    [`${ESC}[5G中`, (r) => r.text(4) === "中"], // xterm's own print
    [`${ESC}#8`, (r) => r.text(9) === "E"], // DECALN
  ];
  for (const [change, holds] of cases) {
    const e = new Emulator(10, 3, { historyLimit: 10 });
    e.write(enc("x\r\ny\r\nz\r\nabc")); // "abc" on a line the short paths blanked
    e.write(enc(`${ESC}[4G${change}${ESC}[0m\r\n\n\n`));
    const row = e.historyRows(e.historyEnd - 1, e.historyEnd)[0];
    assert.ok(holds(row), `${JSON.stringify(change)}: ${JSON.stringify(row.toText())}`);
  }
});

Deno.test("a line xterm's own scroll reuses loses the short path's note of its end", () => {
  // Found by the reference model: IND scrolls by xterm's path, which reuses the top line as
  // the new bottom one, blank on the pen's colour; the short line feed had noted it empty.
  const e = new Emulator(2, 2, { historyLimit: 10 });
  e.write(enc(`\r\n\r\n${ESC}[40m\n\u0084\r\n\r\n`));
  const rows = e.historyRows(e.historyStart, e.historyEnd);
  assert.deepEqual(rows.map((r) => r.bg(1)), [0, 0, 0, palette(0), palette(0)]);
});

Deno.test("each row keeps the width it had; the limit keeps the newest and can change", () => {
  const e = emulator("a\r\nb\r\nc", 10, 2, 4);
  e.resize(5, 2);
  e.write(enc("\r\nd\r\ne\r\n"));
  assert.deepEqual(e.historyRows(0, 4).map((r) => r.width), [10, 5, 5, 5]);
  e.write(enc("f\r\n"));
  assert.deepEqual([e.historyStart, e.historyEnd, texts(e)], [1, 5, ["b", "c", "d", "e"]]);
  assert.throws(() => e.historyRows(0, 5), RangeError);
  assert.throws(() => e.historyRows(3, 6), RangeError);
  assert.throws(() => e.historyRows(4, 3), RangeError);
  e.setHistoryLimit(1);
  assert.deepEqual([e.historyStart, e.historyEnd, texts(e)], [4, 5, ["e"]]);
  e.setHistoryLimit(0);
  e.write(enc("g\r\nh\r\n"));
  assert.deepEqual([e.historyStart, e.historyEnd], [5, 5], "off: nothing counted");
  e.setHistoryLimit(2);
  e.write(enc("i\r\n"));
  assert.deepEqual([e.historyStart, e.historyEnd, texts(e)], [5, 6, ["h"]], "numbers go on");
  assert.throws(() => e.setHistoryLimit(-1), RangeError);
  assert.throws(() => new Emulator(5, 5, { historyLimit: 1.5 }), RangeError);
});

Deno.test("the log frees pages as lines go, and stays small", () => {
  const log = new HistoryLog(5000);
  const line = new Uint32Array(80 * 3);
  for (let c = 0; c < 6; c++) line[c * 3] = 0x31 | (1 << 22); // "111111" then blanks
  for (let c = 6; c < 80; c++) line[c * 3] = 1 << 22;
  for (let i = 0; i < 20000; i++) log.push(line, {}, 80, false);
  assert.deepEqual([log.start, log.end], [15000, 20000]);
  const full = log.bytes;
  assert.ok(full < 5000 * 64, `${full} bytes for 5,000 short lines`);
  log.setLimit(10);
  assert.ok(log.bytes <= 65536 + 1024 * 21, `${log.bytes} bytes after dropping to 10 lines`);
  assert.equal(log.rows(19999, 20000)[0].toText().trimEnd(), "111111");
});

Deno.test("pages that lines leave are used again, never while a kept line is on them", () => {
  // Lines of every length, numbered, through a full history many pages over: each kept row is
  // the line it was, whatever page it went on.
  for (const limit of [1, 7, 600, 2500]) {
    const e = new Emulator(80, 2, { historyLimit: limit });
    const line = (i: number) => `${i}:` + "x".repeat((i * 37) % 70);
    let out = "";
    for (let i = 0; i < 12_000; i++) out += line(i) + "\r\n";
    e.write(enc(out));
    const kept = texts(e);
    assert.equal(kept.length, limit);
    kept.forEach((t, k) => assert.equal(t, line(e.historyStart + k), `limit ${limit}, row ${k}`));
  }
});

/** One thing the history property does to both emulators. */
type Act =
  | { readonly out: string | Uint8Array }
  | { readonly resize: readonly [number, number] }
  | { readonly limit: number };

const act: fc.Arbitrary<Act> = fc.oneof(
  {
    weight: 30,
    // Whole sequences only: raw 8-bit bytes can start a C1 sequence that spans pieces.
    arbitrary: fc.oneof({ weight: 1, arbitrary: piece }, { weight: 3, arbitrary: scrolling })
      .filter((p) => typeof p === "string").map((out) => ({ out })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 2, max: 10 }))
      .map((resize) => ({ resize })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(0)).map((limit) => ({
      limit,
    })),
  },
);

/** Whether a single step of output is one that may take lines off the top as history. */
function scrollsIntoHistory(out: string): boolean {
  if (out.length === 0) return false;
  if (out === `${ESC}D` || out === `${ESC}E`) return true;
  if (out.startsWith(`${ESC}[`) && /^\[\d*S$/.test(out.slice(1))) return true;
  if (out.includes(ESC)) return false;
  const cp = out.codePointAt(0)!;
  return cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0) ||
    ["\n", "\x0b", "\x0c", "\u0084", "\u0085"].includes(out);
}

/**
 * The reference: an emulator without history, fed one code point (or one escape sequence) at
 * a time. Before each step it notes xterm's line objects and the snapshot; a step that can
 * scroll into history and leaves the top line elsewhere took the lines above the new top
 * line with it, and those are the snapshot's rows.
 */
class ReferenceHistory {
  readonly rows: Row[] = [];
  start = 0;
  #on: boolean;
  #limit: number;
  readonly e: Emulator;

  constructor(width: number, height: number, limit: number) {
    this.e = new Emulator(width, height, { altScreen: true });
    this.#limit = limit;
    this.#on = limit > 0;
  }

  limit(n: number): void {
    this.#limit = n;
    if (n === 0) this.#on = false;
    else this.#on = true;
    this.start = n === 0 ? this.rows.length : Math.max(this.start, this.rows.length - n);
  }

  write(out: string | Uint8Array): void {
    const steps = typeof out !== "string"
      ? [...out].map((b) => Uint8Array.of(b))
      : out.includes(ESC)
      ? [out]
      : [...out];
    for (const step of steps) {
      const bytes = typeof step === "string" ? enc(step) : step;
      const history = typeof step === "string" ? scrollsIntoHistory(step) : true;
      const x = xtermHandleOf(this.e);
      const alt = x.altActive, bottom = x.buffer.scrollBottom;
      const lines = Array.from({ length: x.rows }, (_, y) => x.line(y));
      const before = this.e.snapshot();
      this.e.write(bytes);
      this.e.takeReplies();
      if (!history || alt || x.altActive) continue;
      const top = x.line(0);
      if (top === lines[0]) continue;
      let gone = lines.indexOf(top);
      if (gone <= 0 || gone > bottom) gone = bottom + 1;
      for (let y = 0; y < gone; y++) {
        const row = before.rows[y];
        this.#add(y + 1 <= bottom ? row : row.resized(row.width));
      }
    }
  }

  #add(row: Row): void {
    if (!this.#on) return;
    this.rows.push(row);
    this.start = Math.max(this.start, this.rows.length - this.#limit);
  }
}

Deno.test("the emulator's history equals a slow reference model's (property)", () => {
  const runs = Number(Deno.env.get("DENOMOSH_HISTORY_RUNS") ?? 400);
  let lines = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 30 }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(act, { minLength: 5, maxLength: 80, size: "medium" }),
      (width, height, limit, acts) => {
        const e = new Emulator(width, height, { historyLimit: limit, altScreen: true });
        const ref = new ReferenceHistory(width, height, limit);
        for (const [i, a] of acts.entries()) {
          if ("out" in a) {
            e.write(typeof a.out === "string" ? enc(a.out) : a.out);
            e.takeReplies();
            ref.write(a.out);
          } else if ("resize" in a) {
            e.resize(...a.resize);
            ref.e.resize(...a.resize);
          } else {
            e.setHistoryLimit(a.limit);
            ref.limit(a.limit);
          }
          // xterm.js prints a few odd sequences differently when they come a code point at a
          // time (a wide character that does not fit with autowrap off, then a zero-width
          // one): such a case says nothing about history.
          fc.pre(e.snapshot().equals(ref.e.snapshot()));
          const where = `after step ${i} (${JSON.stringify(a)})`;
          assert.equal(e.historyEnd, ref.rows.length, `${where}: line count`);
          assert.equal(e.historyStart, ref.start, `${where}: oldest kept`);
        }
        const got = e.historyRows(e.historyStart, e.historyEnd);
        const want = ref.rows.slice(ref.start);
        for (let n = 0; n < want.length; n++) {
          assert.ok(
            got[n].equals(want[n]),
            `line ${ref.start + n}: ${JSON.stringify(got[n].toText())} wrap ${got[n].wrap} vs ` +
              `${JSON.stringify(want[n].toText())} wrap ${want[n].wrap}`,
          );
        }
        lines += ref.rows.length;
      },
    ),
    params(runs),
  );
  assert.ok(lines > runs * 5, `the streams scrolled (${lines} lines into history)`);
});

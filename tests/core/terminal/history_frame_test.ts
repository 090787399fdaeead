/**
 * `historyFrame` puts exactly the rows given into a terminal's history, in order, with their
 * colours and soft wraps, and leaves the screen showing the target: checked on a stand-in
 * terminal (plain xterm.js with scrollback, `_model_terminal.ts`) for single cases and, as a
 * property, over random sessions on both screens, with markers, overlays the caller draws, and
 * history split over several calls. The real terminal (tmux) is in
 * tests/e2e/scrollback_test.ts. DENOMOSH_TERM_SEED replays a failing case;
 * DENOMOSH_HISTORY_FRAME_RUNS runs more.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Emulator } from "../../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { fitRows, historyFrame, historyMarkerRow } from "../../../core/terminal/history_frame.ts";
import { Attr, Renditions } from "../../../core/terminal/renditions.ts";
import { type Row, RowBuilder } from "../../../core/terminal/row.ts";
import { ModelTerminal } from "./_model_terminal.ts";
import { pushingErase } from "./_roundtrip.ts";
import { piece, scrolling } from "./_streams.ts";

const ESC = "\x1b";
const enc = (s: string) => new TextEncoder().encode(s);
const seedEnv = Deno.env.get("DENOMOSH_TERM_SEED");
const params = (numRuns: number) => ({ numRuns, ...(seedEnv ? { seed: Number(seedEnv) } : {}) });
const text = (rows: readonly Row[]) => rows.map((r) => r.toText().trimEnd() + (r.wrap ? "+" : ""));

/**
 * What differs between the model terminal and what it should show, or null. A one-row
 * screen cannot keep soft wraps between history lines (a row's continuation has nowhere to go).
 */
function difference(model: ModelTerminal, history: readonly Row[], target: Framebuffer) {
  const got = model.history();
  if (target.height === 1) history = history.map((r) => r.resized(r.width));
  if (got.length !== history.length || got.some((r, i) => !r.equals(history[i]))) {
    return `history:\n  ${JSON.stringify(text(got))}\nvs\n  ${JSON.stringify(text(history))}`;
  }
  if (model.x.altActive !== target.alternate) return `alternate ${model.x.altActive}`;
  const screen = model.screen();
  if (screen.some((r, i) => !r.equals(target.rows[i]))) {
    return `screen:\n  ${JSON.stringify(text(screen))}\nvs\n  ${JSON.stringify(text(target.rows))}`;
  }
  const c = model.cursor;
  if (c.row !== target.cursor.row || c.col !== target.cursor.col) {
    return `cursor ${JSON.stringify(c)} vs ${JSON.stringify(target.cursor)}`;
  }
  if (target.main && model.main().some((r, i) => !r.equals(target.main!.rows[i]))) {
    return `main screen:\n  ${JSON.stringify(text(model.main()))}`;
  }
  return null;
}

/** A terminal that shows `fb` (drawn from nothing), with an empty history. */
function showing(fb: Framebuffer): ModelTerminal {
  const m = new ModelTerminal(fb.width, fb.height);
  m.write(historyFrame(null, [], fb));
  assert.equal(m.history().length, 0);
  return m;
}

Deno.test("the frame on screen scrolled: line feeds at the bottom push its top rows", () => {
  const e = new Emulator(8, 3, { historyLimit: 100 });
  e.write(enc(`${ESC}[31mone${ESC}[0m\r\ntwo\r\nthree`));
  const shown = e.snapshot();
  const m = showing(shown);
  e.write(enc("\r\nfour\r\nfive"));
  const rows = e.historyRows(0, e.historyEnd);
  const out = historyFrame(shown, rows, e.snapshot());
  assert.equal(out, `${ESC}[0m${ESC}[?25l\r\n\n${ESC}[2;1Hfour\r\nfive${ESC}[?25h`);
  m.write(out);
  assert.equal(difference(m, rows, e.snapshot()), null);
  assert.deepEqual(text(m.history()), ["one", "two"]);
});

Deno.test("rows not on screen are painted at the top and pushed, a screen at a time", () => {
  const e = new Emulator(6, 3, { historyLimit: 100 });
  const shown = e.snapshot();
  const m = showing(shown);
  e.write(enc(Array.from({ length: 9 }, (_, i) => `${ESC}[3${i % 8}mline${i}`).join("\r\n")));
  const rows = e.historyRows(0, e.historyEnd);
  const out = historyFrame(shown, rows, e.snapshot());
  assert.equal(pushingErase(out), null);
  m.write(out);
  assert.equal(difference(m, rows, e.snapshot()), null);
  assert.deepEqual(text(m.history()), ["line0", "line1", "line2", "line3", "line4", "line5"]);
});

Deno.test("a long line keeps its soft wraps in history, across windows and into the screen", () => {
  const e = new Emulator(5, 3, { historyLimit: 100 });
  const shown = e.snapshot();
  const m = showing(shown);
  e.write(enc(`x\r\n${"abcdefghij".repeat(3)}klm`));
  const rows = e.historyRows(0, e.historyEnd);
  assert.deepEqual(text(rows), ["x", "abcde+", "fghij+", "abcde+", "fghij+"]);
  m.write(historyFrame(shown, rows, e.snapshot()));
  assert.equal(difference(m, rows, e.snapshot()), null);
  assert.ok(m.history()[4].wrap, "the newest history line goes on on the screen");
});

Deno.test("the notification bar drawn over the frame never reaches history", () => {
  const e = new Emulator(10, 3, { historyLimit: 100 });
  const bar = new RowBuilder(10);
  [..."mosh: wait"].forEach((ch, i) => bar.set(i, ch, new Renditions(0, 0, Attr.inverse)));
  const withBar = (fb: Framebuffer) => fb.withRow(0, bar.build());
  e.write(enc("a\r\nb\r\nc"));
  const shown = withBar(e.snapshot());
  const m = showing(shown);
  e.write(enc("\r\nd\r\ne"));
  const rows = e.historyRows(0, e.historyEnd);
  m.write(historyFrame(shown, rows, withBar(e.snapshot())));
  assert.equal(difference(m, rows, withBar(e.snapshot())), null);
  assert.deepEqual(text(m.history()), ["a", "b"]);
});

Deno.test("history goes to the main screen while the alternate one is shown, and back", () => {
  const e = new Emulator(8, 3, { historyLimit: 100, altScreen: true });
  e.write(enc(`1\r\n2\r\n3${ESC}[?1049hvi`));
  const shown = e.snapshot();
  const m = showing(shown);
  e.write(enc(`${ESC}[?1049l\r\n4\r\n5${ESC}[?1049hless`));
  const rows = e.historyRows(0, e.historyEnd);
  const out = historyFrame(shown, rows, e.snapshot());
  m.write(out);
  assert.equal(difference(m, rows, e.snapshot()), null);
  assert.deepEqual(text(m.history()), ["1", "2"]);
});

Deno.test("the marker row: grouped digits, reverse video, never wider than the screen", () => {
  const row = historyMarkerRow(987654, 80);
  assert.equal(row.toText().trimEnd(), "[… 987,654 lines not transferred …]");
  assert.ok(row.attrs(0) & Attr.inverse);
  assert.equal(historyMarkerRow(1, 80).toText().trimEnd(), "[… 1 line not transferred …]");
  assert.equal(historyMarkerRow(1234567, 20).toText().trimEnd(), "[… 1,234,567 …]");
  for (let w = 1; w < 40; w++) {
    const r = historyMarkerRow(123456789, w);
    assert.equal(r.width, w);
    assert.ok(!r.isEmpty(0), `something shows at width ${w}`);
  }
  assert.throws(() => historyMarkerRow(-1, 80), RangeError);
  assert.throws(() => historyMarkerRow(1, 0), RangeError);
});

Deno.test("rows of another width are folded into soft-wrapped pieces, or extended", () => {
  const wide = new RowBuilder(9);
  [..."ab中cdefg"].reduce(
    (x, ch) => (wide.set(x, ch, Renditions.DEFAULT), x + (ch === "中" ? 2 : 1)),
    0,
  );
  const pieces = fitRows([wide.build()], 3);
  // A wide character that does not fit leaves an empty last cell: no soft wrap can show.
  assert.deepEqual(text(pieces), ["ab", "中c+", "def+", "g"]);
  assert.deepEqual(text(fitRows([wide.build()], 4)), ["ab中+", "cdef+", "g"]);
  assert.deepEqual(text(fitRows([new RowBuilder(10).set(0, "x", Renditions.DEFAULT).build()], 4)), [
    "x",
  ]);
  const narrow = fitRows([new RowBuilder(3).set(2, "y", Renditions.DEFAULT).build()], 6);
  assert.deepEqual([narrow.length, narrow[0].width, narrow[0].toText()], [1, 6, "  y   "]);
});

Deno.test("a soft-wrapped line from a screen of another width is folded as one line, as a terminal reflows it", () => {
  // The whole-session simulator's case: 21 spaces that wrap into "0:0:" on the server's 21
  // columns reach a terminal of 20. Folding row by row left a piece of one space that cannot
  // be soft-wrapped, so the line's end became a line of its own.
  const e = new Emulator(21, 2, { historyLimit: 100 });
  e.write(enc(`${" ".repeat(21)}0:0:\r\na\r\nb`));
  const rows = e.historyRows(0, e.historyEnd);
  assert.deepEqual(text(rows), ["+", "0:0:"]);
  const target = e.snapshot().resized(20, 2);
  const m = new ModelTerminal(20, 2);
  m.write(historyFrame(null, rows, target));
  assert.deepEqual(text(m.history()), ["+", " 0:0:"]);
  assert.equal(m.history()[0].toText(), " ".repeat(20));
});

Deno.test("rows are folded a logical line at a time: a soft wrap joins a row to the next", () => {
  // Narrower screens and wider ones alike; rows that do not wrap into the next stay apart.
  const row = (s: string, wrap = false) => {
    const b = new RowBuilder(s.length);
    [...s].forEach((ch, i) => ch !== " " && b.set(i, ch, Renditions.DEFAULT));
    b.wrap = wrap;
    return b.build();
  };
  const line = [row("abcde", true), row("fghij", true), row("k    "), row("l    ")];
  assert.deepEqual(text(fitRows(line, 4)), ["abcd+", "efgh+", "ijk", "l"]);
  assert.deepEqual(text(fitRows(line, 7)), ["abcdefg+", "hijk", "l"]);
  assert.deepEqual(text(fitRows(line, 11)), ["abcdefghijk", "l"]);
  assert.deepEqual(fitRows(line, 5), line, "rows of the screen's width are kept as they are");
  // A line whose end is still on the server's screen is folded as far as it goes.
  assert.deepEqual(text(fitRows(line.slice(0, 2), 3)), ["abc+", "def+", "ghi+", "j"]);
});

Deno.test("folded to any width, history holds the same logical lines (property)", () => {
  // Printed narrow text only: a piece that a wide character does not fit in ends in an empty
  // cell, which cannot be soft-wrapped (see the test above).
  const joined = (rows: readonly Row[]) => {
    const lines: string[] = [];
    let line = "";
    for (const r of rows) {
      line += r.toText();
      if (!r.wrap) lines.push(line.trimEnd()), line = "";
    }
    return [...lines, line];
  };
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 30 }),
      fc.integer({ min: 2, max: 30 }),
      fc.array(fc.string({ unit: fc.constantFrom("a", "b", " "), maxLength: 70 })),
      (from, to, lines) => {
        const e = new Emulator(from, 2, { historyLimit: 1000 });
        e.write(enc(lines.join("\r\n") + "\r\n\r\n"));
        const rows = e.historyRows(e.historyStart, e.historyEnd);
        const folded = fitRows(rows, to);
        assert.ok(folded.every((r) => r.width === to));
        assert.deepEqual(joined(folded), joined(rows));
      },
    ),
    params(300),
  );
});

/** Random sessions drawn on the model terminal: what `historyFrame` is for. */
Deno.test("history written into a terminal is exactly the rows given, and the screen the target (property)", () => {
  const runs = Number(Deno.env.get("DENOMOSH_HISTORY_FRAME_RUNS") ?? 700);
  const frame = fc.record({
    out: fc.array(fc.oneof(piece, scrolling, scrolling), { maxLength: 12 }),
    skip: fc.nat({ max: 6 }),
    split: fc.nat({ max: 8 }),
    bar: fc.boolean(),
  });
  let pushed = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 24 }),
      fc.integer({ min: 1, max: 8 }),
      fc.boolean(),
      fc.array(frame, { minLength: 1, maxLength: 10 }),
      (width, height, alt, frames) => {
        const e = new Emulator(width, height, { historyLimit: 10_000, altScreen: alt });
        const m = new ModelTerminal(width, height);
        const history: Row[] = [];
        let shown: Framebuffer | null = null;
        let sent = 0;
        const bar = new RowBuilder(width);
        [..."mosh!".slice(0, width)].forEach((ch, i) =>
          bar.set(i, ch, new Renditions(0, 0, Attr.inverse))
        );
        const draw = (rows: Row[], target: Framebuffer) => {
          const topRowContinues = history.length > 0 && history[history.length - 1].wrap;
          const out = historyFrame(shown, rows, target, { topRowContinues });
          assert.equal(pushingErase(out), null, JSON.stringify(out));
          m.write(out);
          history.push(...rows);
          shown = target;
          const problem = difference(m, history, target);
          assert.equal(problem, null, `${problem}\nafter ${JSON.stringify(out)}`);
        };
        for (const f of frames) {
          for (const p of f.out) e.write(typeof p === "string" ? enc(p) : p);
          e.takeReplies();
          let rows = e.historyRows(sent, e.historyEnd);
          sent = e.historyEnd;
          if (f.skip > 0 && rows.length > f.skip) {
            rows = [historyMarkerRow(f.skip, width), ...rows.slice(f.skip)];
          }
          let target = e.snapshot();
          if (f.bar) target = target.withRow(0, bar.build());
          if (f.split > 0 && f.split < rows.length && shown) {
            draw(rows.slice(0, f.split), shown);
            rows = rows.slice(f.split);
          }
          draw(rows, target);
          pushed += rows.length;
        }
      },
    ),
    params(runs),
  );
  assert.ok(pushed > runs * 3, `the sessions pushed history (${pushed} rows)`);
});

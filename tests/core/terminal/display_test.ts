/**
 * `newFrame` writes what mosh's `Display::new_frame` writes (docs/protocol.md §7): its order,
 * cursor moves, pens, titles, modes, the scroll shortcut and soft wraps; and a deliberately naive
 * full redraw agrees with the frames it reproduces.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { newFrame } from "../../../core/terminal/display.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { Attr, palette, Renditions } from "../../../core/terminal/renditions.ts";
import { RowBuilder } from "../../../core/terminal/row.ts";
import { session } from "./_streams.ts";
import { checkRoundTrip, EmulatorPool, frameDifference } from "./_roundtrip.ts";

const ESC = "\x1b";
const enc = (s: string) => new TextEncoder().encode(s);
const MODES_OFF = `${ESC}[?2004l${ESC}[?1003l${ESC}[?1002l${ESC}[?1001l${ESC}[?1000l` +
  `${ESC}[?1004l${ESC}[?1015l${ESC}[?1006l${ESC}[?1005l`;

function frames(width: number, height: number, ...outputs: string[]): Framebuffer[] {
  const e = new Emulator(width, height);
  return outputs.map((o) => (e.write(enc(o)), e.snapshot()));
}
const at = (fb: Framebuffer, row: number, col: number, visible = true) =>
  fb.with({ cursor: { row, col, visible } });

Deno.test("the initial frame assumes nothing, in mosh's order", () => {
  const fb = at(Framebuffer.blank(4, 3), 1, 2);
  assert.equal(
    newFrame(null, fb),
    `${ESC}[?5l${ESC}[r${ESC}[0m${ESC}[H${ESC}[2J${ESC}[?25l` +
      `${ESC}[K\n${ESC}[K\n${ESC}[K${ESC}[2;3H${ESC}[?25h${ESC}[0m${MODES_OFF}`,
  );
  const [drawn] = frames(5, 2, `${ESC}]0;t\x07${ESC}[?5h${ESC}[1;31mab${ESC}[0m  c${ESC}[2;2H`);
  assert.equal(
    newFrame(null, drawn),
    `${ESC}]0;t\x07${ESC}[?5h${ESC}[r${ESC}[0m${ESC}[H${ESC}[2J${ESC}[?25l` +
      `${ESC}[0;1;31mab${ESC}[0m  c\r\n${ESC}[K${ESC}[C${ESC}[?25h${ESC}[0m${MODES_OFF}`,
  );
});

Deno.test("an unchanged frame needs nothing; bells ring once however many", () => {
  const fb = Framebuffer.blank(80, 24);
  assert.equal(newFrame(fb, fb), "");
  assert.equal(newFrame(fb, Framebuffer.blank(80, 24)), "");
  assert.equal(newFrame(fb, fb.with({ bellCount: 3 })), "\x07");
});

Deno.test("cursor moves: CR and LF, BS, CUF, else CUP; never BS after the last column", () => {
  const fb = at(Framebuffer.blank(80, 24), 5, 10);
  assert.equal(newFrame(fb, at(fb, 5, 7)), "\b\b\b");
  assert.equal(newFrame(fb, at(fb, 7, 0)), "\r\n\n");
  assert.equal(newFrame(fb, at(fb, 5, 20)), `${ESC}[10C`);
  assert.equal(newFrame(fb, at(fb, 20, 30)), `${ESC}[21;31H`);
  assert.equal(newFrame(fb, at(fb, 5, 4)), `${ESC}[6;5H`, "five back: CUP");
  assert.equal(newFrame(fb, at(fb, 5, 10, false)), `${ESC}[?25l`);
  const last = at(fb, 5, 79);
  assert.equal(newFrame(last, at(fb, 5, 77)), `${ESC}[6;78H`, "the terminal may wait to wrap");
});

Deno.test("the pen is set in full when it changes", () => {
  const fb = Framebuffer.blank(10, 2);
  const red = new Renditions(palette(9), 0, Attr.bold | Attr.underline);
  assert.equal(newFrame(fb, fb.with({ pen: red })), `${ESC}[0;1;4;38;5;9m`);
  assert.equal(newFrame(fb.with({ pen: red }), fb), `${ESC}[0m`);
});

Deno.test("titles: OSC 0 when icon and title agree, else OSC 1 and 2; a prefix; or none", () => {
  const fb = Framebuffer.blank(10, 2);
  const both = fb.with({ title: "vi", iconName: "vi", titleInitialized: true });
  assert.equal(newFrame(fb, both), `${ESC}]0;vi\x07`);
  const split = both.with({ iconName: "i" });
  assert.equal(newFrame(both, split), `${ESC}]1;i\x07${ESC}]2;vi\x07`);
  assert.equal(newFrame(fb, both, { titlePrefix: "[mosh] " }), `${ESC}]0;[mosh] vi\x07`);
  assert.equal(newFrame(fb, both, { titles: false }), "");
  assert.equal(newFrame(fb, fb.with({ title: "x" })), "", "a title never set is not sent");
  assert.equal(newFrame(fb, fb.with({ titleInitialized: true })), `${ESC}]0;\x07`);
});

Deno.test("clipboard, reverse video and mouse modes change as mosh changes them", () => {
  const fb = Framebuffer.blank(10, 2);
  assert.equal(newFrame(fb, fb.with({ clipboard: "aGk=" })), `${ESC}]52;c;aGk=\x07`);
  assert.equal(newFrame(fb, fb.with({ reverseVideo: true })), `${ESC}[?5h`);
  const m1000 = fb.with({ mouseReporting: 1000 });
  assert.equal(newFrame(fb, m1000), `${ESC}[?1000h`);
  assert.equal(newFrame(m1000, fb.with({ mouseReporting: 1002 })), `${ESC}[?1000l${ESC}[?1002h`);
  assert.equal(newFrame(m1000, fb), `${ESC}[?1003l${ESC}[?1002l${ESC}[?1001l${ESC}[?1000l`);
  const sgr = fb.with({ mouseEncoding: 1006, focusEvents: true, bracketedPaste: true });
  assert.equal(newFrame(fb, sgr), `${ESC}[?2004h${ESC}[?1004h${ESC}[?1006h`);
  assert.equal(
    newFrame(sgr, fb),
    `${ESC}[?2004l${ESC}[?1004l${ESC}[?1015l${ESC}[?1006l${ESC}[?1005l`,
  );
});

Deno.test("scrolling the whole screen from the last row is CR and line feeds", () => {
  const [a, b] = frames(6, 3, "1\r\n2\r\n3", "\r\n4\r\n5");
  assert.equal(newFrame(a, b), `${ESC}[0m\r\n\n${ESC}[?25l${ESC}[2;1H4\r\n5${ESC}[?25h`);
});

Deno.test("scrolling part of the screen uses a scrolling region, then resets it", () => {
  const [a, b] = frames(6, 4, "1\r\n2\r\n3\r\nend", `${ESC}[1;3r${ESC}[3;1H\n${ESC}[r${ESC}[4;4H`);
  assert.equal(
    newFrame(a, b),
    `${ESC}[0m${ESC}[1;3r${ESC}[?25l${ESC}[3;1H\n${ESC}[r${ESC}[4;4H${ESC}[?25h`,
  );
});

Deno.test("empty cells are erased and printed spaces printed; options fall back to spaces", () => {
  const fb = Framebuffer.blank(10, 1);
  const row = new RowBuilder(10).set(0, "a", Renditions.DEFAULT).set(3, "b", Renditions.DEFAULT)
    .set(4, " ", Renditions.DEFAULT).set(5, "c", Renditions.DEFAULT).build();
  const to = fb.withRow(0, row).with({ cursor: { row: 0, col: 6, visible: true } });
  assert.equal(
    newFrame(fb, to),
    `a${ESC}[?25l${ESC}[2Cb c${ESC}[?25h`,
    "unchanged empties skipped",
  );
  const gap = fb.withRow(0, row.edit().set(1, "x", Renditions.DEFAULT).build());
  // A run of empties is erased, and like mosh the cell after it is drawn even if unchanged.
  assert.equal(newFrame(gap, to), `${ESC}[?25l${ESC}[C${ESC}[2X${ESC}[2Cb${ESC}[2C${ESC}[?25h`);
  assert.equal(newFrame(gap, to, { ech: false }), `${ESC}[?25l${ESC}[C  b${ESC}[2C${ESC}[?25h`);
  const blue = new Renditions(0, palette(4), 0);
  const bg = fb.withRow(0, new RowBuilder(10).set(9, "z", blue).set(2, "", blue).build());
  assert.equal(
    newFrame(fb, bg, { bce: false }),
    `${ESC}[?25l${ESC}[2C${ESC}[0;44m ${ESC}[0m${ESC}[6X${ESC}[6C${ESC}[0;44mz\r${ESC}[?25h${ESC}[0m`,
    "without BCE a coloured empty cell is a space; CR leaves the last column",
  );
});

Deno.test("a soft-wrapped row continues into the next without a cursor move", () => {
  const [a, b] = frames(4, 3, "", "abcdef");
  assert.ok(b.rows[0].wrap);
  assert.equal(newFrame(a, b), `abc${ESC}[?25l${ESC}[1;4Hdef${ESC}[?25h`);
  const [c] = frames(4, 4, "abcdef\r\n\r\nxy");
  const fresh = newFrame(null, c);
  assert.ok(fresh.includes(`abc${ESC}[1;4Hdef${ESC}[K\r\n`), JSON.stringify(fresh));
});

/**
 * The naive reference: clear everything, then each cell with its own CUP and full SGR (an empty
 * cell by ECH), then the cursor and the modes. Slow and obviously right; it ignores soft wraps.
 */
function naiveFrame(fb: Framebuffer): string {
  let s = `${ESC}[r${ESC}[0m${ESC}[H${ESC}[2J`;
  for (let y = 0; y < fb.height; y++) {
    const row = fb.rows[y];
    for (let x = 0; x < fb.width; x++) {
      if (row.cell(x).width === 0) continue;
      s += `${ESC}[${y + 1};${x + 1}H` + row.renditions(x).sgr();
      s += row.isEmpty(x) ? `${ESC}[X` : row.text(x);
    }
  }
  const c = fb.cursor, on = (b: boolean) => b ? "h" : "l";
  s += `${ESC}[${c.row + 1};${c.col + 1}H${ESC}[?25${on(c.visible)}${fb.pen.sgr()}`;
  s += `${ESC}[?5${on(fb.reverseVideo)}${ESC}[?2004${on(fb.bracketedPaste)}${ESC}[?1004${
    on(fb.focusEvents)
  }`;
  if (fb.mouseReporting) s += `${ESC}[?${fb.mouseReporting}h`;
  if (fb.mouseEncoding) s += `${ESC}[?${fb.mouseEncoding}h`;
  if (fb.titleInitialized) s += `${ESC}]1;${fb.iconName}\x07${ESC}]2;${fb.title}\x07`;
  if (fb.clipboard) s += `${ESC}]52;c;${fb.clipboard}\x07`;
  return s;
}

Deno.test("newFrame's client and a naive full redraw agree on every frame (property)", () => {
  const pool = new EmulatorPool();
  fc.assert(
    fc.property(session(25), (s) => {
      const [server, fast, slow] = [0, 1, 2].map(() => pool.take(s.width, s.height));
      try {
        let prev = server.snapshot();
        for (const step of s.steps) {
          if ("write" in step) server.write(step.write);
          else server.resize(step.resize.width, step.resize.height);
          const cur = server.snapshot();
          if (cur.width !== prev.width || cur.height !== prev.height) {
            fast.resize(cur.width, cur.height);
          }
          fast.write(enc(newFrame(prev, cur)));
          slow.load(Framebuffer.blank(cur.width, cur.height));
          slow.write(enc(naiveFrame(cur)));
          const unwrap = (fb: Framebuffer) =>
            fb.with({
              bellCount: 0,
              rows: fb.rows.map((r) => Object.assign(r.edit(), { wrap: false }).build()),
            });
          assert.equal(frameDifference(unwrap(fast.snapshot()), unwrap(slow.snapshot())), null);
          prev = cur;
        }
      } finally {
        pool.give(server, fast, slow);
      }
    }),
    { numRuns: 150 },
  );
});

/** Runs outputs through the round trip as separate steps and returns the diffs. */
function diffsOf(width: number, height: number, ...outputs: string[]): string[] {
  const diffs: string[] = [];
  checkRoundTrip(
    { width, height, steps: outputs.map((o) => ({ write: enc(o) })) },
    new EmulatorPool(),
    { fresh: "every", onDiff: (d) => diffs.push(d) },
  );
  return diffs;
}

Deno.test("soft wraps: set, kept across cursor moves, cleared, and re-set after a scroll", () => {
  // The row below a wrapped row starts empty: print a space to wrap, then erase it.
  const [a] = frames(4, 3, "abcdX\b\x1b[X");
  assert.ok(a.rows[0].wrap && a.rows[1].isEmpty(0));
  assert.ok(diffsOf(4, 3, "abcdX\b\x1b[X")[0].endsWith(`d \r${ESC}[4X${ESC}[?25h`));
  // Moving the cursor past a wrapped pair must not use line feeds (they would unwrap it).
  const [, b, c] = frames(4, 5, "x\r\nabcdef\r\n", `${ESC}[1;1H`, `${ESC}[4;1H`);
  assert.ok(b.rows[1].wrap);
  assert.equal(newFrame(b, c), `${ESC}[4;1H`);
  assert.equal(diffsOf(4, 5, "x\r\nabcdef\r\n", `${ESC}[1;1H`, `${ESC}[4;1H`)[2], `${ESC}[4;1H`);
  // Unwrapping a row whose last cell stays: rewrite it and CR LF.
  const [d, e] = frames(4, 3, "abcdef", `${ESC}[2;1H${ESC}[2K`);
  assert.ok(d.rows[0].wrap && !e.rows[0].wrap);
  assert.ok(diffsOf(4, 3, "abcdef", `${ESC}[2;1H${ESC}[2K`)[1].includes("d\r\n"));
  // A scroll whose last moved row wraps into a row the scroll brought in.
  const out = ["1\r\n2\r\nabcdef", `${ESC}[1;3r${ESC}[3;1H\n${ESC}[r${ESC}[2;1Habcdgh`];
  const [, g] = frames(4, 4, ...out);
  assert.ok(g.rows[1].wrap && g.toText().startsWith("2   \nabcd\ngh  \nef  "), g.toText());
  const diff = diffsOf(4, 4, ...out)[1];
  assert.ok(diff.includes(`${ESC}[1;3r`) && diff.includes("dgh"), JSON.stringify(diff));
});

/** Frames from an emulator with the alternate screen on. */
function altFrames(width: number, height: number, ...outputs: string[]): Framebuffer[] {
  const e = new Emulator(width, height, { altScreen: true });
  return outputs.map((o) => (e.write(enc(o)), e.snapshot()));
}

Deno.test("entering the alternate screen: the main screen, then 1049 and the frame on it", () => {
  const [a, b] = altFrames(6, 2, "ab", `cd${ESC}[?1049h${ESC}[2;2Hvi`);
  assert.equal(
    newFrame(a, b),
    `cd${ESC}[0m${ESC}[?1049h${ESC}[?25l${ESC}[2;2Hvi${ESC}[?25h`,
    "cd drawn on the main screen before switching; the alternate one starts empty",
  );
});

Deno.test("leaving it: 1049 and the frame relative to the main screen it restores", () => {
  const [, b, c] = altFrames(6, 2, "ab", `${ESC}[?1049hvi`, `${ESC}[?1049lX`);
  assert.equal(
    newFrame(b, c),
    `${ESC}[?1049l${ESC}[?25l${ESC}[1;3H${ESC}[0mX${ESC}[?25h`,
    "only the X: the terminal restores ab itself; cursor and pen are then unknown",
  );
});

Deno.test("a resize on the alternate screen redraws the hidden main screen too", () => {
  const e = new Emulator(6, 2, { altScreen: true });
  e.write(enc(`main${ESC}[?1049halt`));
  const a = e.snapshot();
  e.resize(5, 3);
  const b = e.snapshot();
  const out = newFrame(a, b);
  assert.ok(out.startsWith(`${ESC}[?1049l${ESC}[r${ESC}[0m${ESC}[H${ESC}[2J`), out);
  assert.ok(out.includes("main") && out.includes(`${ESC}[?1049h`), out);
  const client = new Emulator(6, 2, { altScreen: true });
  client.load(a);
  client.resize(5, 3);
  client.write(enc(out));
  assert.equal(frameDifference(client.snapshot(), b), null);
});

Deno.test("scrollback-safe: the full clear is CSI 1 J from the last row, never CSI 2 J", () => {
  const fb = at(Framebuffer.blank(4, 3), 1, 2);
  assert.equal(
    newFrame(null, fb, { scrollbackSafe: true }),
    `${ESC}[?5l${ESC}[r${ESC}[0m${ESC}[3;3H${ESC}[1J${ESC}[K${ESC}[H${ESC}[?25l` +
      `${ESC}[K${ESC}[B${ESC}[K${ESC}[B${ESC}[K${ESC}[2;3H${ESC}[?25h${ESC}[0m${MODES_OFF}`,
  );
});

Deno.test("scrollback-safe: a repaint read by a terminal shorter than the frame pushes nothing into its history", () => {
  // The window went 5 -> 6 -> 5 rows: the repaint made for 6 reaches the terminal at 5 rows.
  // Rows reached by a move down (after "one", the blank row) and by the end of a full row.
  const full = "x".repeat(20), alsoFull = "y".repeat(20);
  const [fb] = frames(20, 6, `one\r\n${full}\r\nthree\r\n\r\n${alsoFull}\r\nsix`);
  const out = newFrame(null, fb, { scrollbackSafe: true });
  const user = new Emulator(20, 5, { historyLimit: 100 });
  user.write(enc("a\r\nb\r\nc\r\nd\r\ne"));
  user.write(enc(out));
  assert.equal(user.historyEnd, 0, JSON.stringify(out));
  // The rows that fit are the frame's; the last row is whatever was drawn over it last.
  const shown = user.snapshot().rows.map((r) => r.toText().trimEnd());
  assert.deepEqual(shown.slice(0, 4), ["one", full, "three", ""]);
  // On a terminal of its size, the repaint is the frame (the repaint on a window of the size
  // that came next draws it right).
  const right = new Emulator(20, 6, { historyLimit: 100 });
  right.write(enc(out));
  assert.equal(frameDifference(right.snapshot(), fb), null);
  assert.equal(right.historyEnd, 0);
});

Deno.test("scrollback-safe: on the main screen, the scroll shortcut deletes lines at row 2", () => {
  const [a, b] = frames(6, 4, "1\r\n2\r\n3\r\n4", "\r\n5\r\n6");
  const safe = newFrame(a, b, { scrollbackSafe: true });
  assert.equal(safe, `${ESC}[0m${ESC}[?25l${ESC}[2;1H${ESC}[2M${ESC}[1;1H3\r\n\n5\r\n6${ESC}[?25h`);
  const [c, d] = frames(
    6,
    4,
    "1\r\n2\r\n3\r\nend",
    `${ESC}[1;3r${ESC}[3;1H\n${ESC}[r${ESC}[4;4H`,
  );
  assert.equal(
    newFrame(c, d, { scrollbackSafe: true }),
    `${ESC}[0m${ESC}[1;3r${ESC}[?25l${ESC}[2;1H${ESC}[M${ESC}[r${ESC}[1;1H2${ESC}[4;4H${ESC}[?25h`,
    "inside the region 1..3",
  );
  const [e, f] = altFrames(6, 3, `${ESC}[?1049h1\r\n2\r\n3`, "\r\n4");
  assert.equal(
    newFrame(e, f, { scrollbackSafe: true }),
    newFrame(e, f),
    "the alternate screen has no history: line feeds as usual",
  );
});

/**
 * The emulator behaves like mosh 1.4.0's where it shows (docs/protocol.md §7.5): no alternate
 * screen, mosh's answers and modes, ignored sequences, titles, pending wrap, wide and combining
 * characters, resizing without reflow; and `load` puts it in any state it can produce. With the
 * alternate screen turned on, 47, 1047 and 1049 work as in xterm.js, the main screen comes back
 * exactly as it was, and snapshots carry it while hidden.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { palette } from "../../../core/terminal/renditions.ts";
import { piece, scrolling, session } from "./_streams.ts";
import { frameDifference } from "./_roundtrip.ts";

const ESC = "\x1b";
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function run(input: string, width = 10, height = 3): Emulator {
  const e = new Emulator(width, height);
  e.write(enc(input));
  return e;
}
const screen = (e: Emulator) => e.snapshot().toText();

Deno.test("the alternate screen does not exist: programs draw on the main screen", () => {
  for (const mode of ["47", "1047", "1049"]) {
    const e = run(`before${ESC}[?${mode}hafter`);
    assert.equal(screen(e).split("\n")[0], "beforeafte");
    e.write(enc(`${ESC}[?${mode}l`));
    assert.equal(screen(e).split("\n")[1], "r         ", "leaving it restores nothing");
  }
});

Deno.test("mosh's answers to DA and DSR, and no others", () => {
  const e = run(`${ESC}[c${ESC}[>c${ESC}[5n${ESC}[2;4H${ESC}[6n`);
  assert.equal(dec(e.takeReplies()), `${ESC}[?62c${ESC}[>1;10;0c${ESC}[0n${ESC}[2;4R`);
  assert.equal(e.takeReplies().length, 0, "taken");
  e.write(
    enc(`${ESC}[?6n${ESC}]4;1;?\x07${ESC}]10;?\x07${ESC}[2$p${ESC}P$qm${ESC}\\${ESC}[18t${ESC}[=c`),
  );
  assert.equal(dec(e.takeReplies()), "");
  assert.equal(screen(e), " ".repeat(10) + "\n" + " ".repeat(10) + "\n" + " ".repeat(10));
});

Deno.test("sequences mosh ignores are ignored", () => {
  const cases: [string, string][] = [
    [`ab${ESC}[3b`, "ab"], // REP
    [`ab${ESC}[s${ESC}[1;5H${ESC}[ucd`, "ab  cd"], // SCOSC/SCORC
    [`${ESC}(0qqq${ESC}(B`, "qqq"], // DEC line drawing
    [`${ESC}[38:2::255:0:0mx`, "x"],
    [`ab${ESC}[2Ecd`, "abcd"], // CNL
    [`ab${ESC}[2acd`, "abcd"], // HPR
    [`ab${ESC}[20hc\nd`, "abc"], // LNM: LF stays LF
  ];
  for (const [input, first] of cases) {
    const e = run(input);
    assert.equal(screen(e).split("\n")[0].trimEnd(), first, JSON.stringify(input));
  }
  assert.equal(run(`${ESC}[38:2::255:0:0mx`).snapshot().rows[0].fg(0), 0, "colon SGR: no colour");
  assert.equal(run(`${ESC}[31mx`).snapshot().rows[0].fg(0), palette(1));
});

Deno.test("modes: mosh's set, with mosh's effects", () => {
  const e = run(
    `${ESC}[?1;5;25l${ESC}[?2004h${ESC}[?1002h${ESC}[?1006h${ESC}[?1004h${ESC}[?1007h${ESC}=`,
  );
  let fb = e.snapshot();
  assert.equal(fb.appCursorKeys, false);
  assert.deepEqual(
    [fb.reverseVideo, fb.cursor.visible, fb.bracketedPaste, fb.mouseReporting, fb.mouseEncoding],
    [false, false, true, 1002, 1006],
  );
  assert.deepEqual([fb.focusEvents, fb.altScroll, fb.appKeypad], [true, true, true]);
  e.write(enc(`${ESC}[?1;5;25h${ESC}[?9h${ESC}[?1000l${ESC}[?1015h${ESC}[?1005l${ESC}>`));
  fb = e.snapshot();
  assert.deepEqual(
    [fb.appCursorKeys, fb.reverseVideo, fb.cursor.visible, fb.mouseReporting, fb.mouseEncoding],
    [true, true, true, 0, 0],
    "resetting any mouse mode resets the mouse mode",
  );
  assert.equal(fb.appKeypad, false);
  const c = run(`xyz${ESC}[?3h`);
  assert.equal(screen(c).trim(), "", "DECSET 3 clears the screen");
  assert.deepEqual(c.snapshot().cursor, { row: 0, col: 0, visible: true });
});

Deno.test("titles, icon name and clipboard follow OSC 0, 1, 2 and 52 as mosh reads them", () => {
  const e = run(`${ESC}]0;both\x07`);
  let fb = e.snapshot();
  assert.deepEqual([fb.title, fb.iconName, fb.titleInitialized], ["both", "both", true]);
  e.write(enc(`${ESC}]1;icon${ESC}\\${ESC}]2;window\x07${ESC}]52;c;aGk=\x07${ESC}]52;p;no\x07`));
  fb = e.snapshot();
  assert.deepEqual([fb.title, fb.iconName, fb.clipboard], ["window", "icon", "aGk="]);
  e.write(enc(`${ESC}];semi\x07`));
  assert.equal(e.snapshot().title, "semi");
  e.write(enc(`${ESC}]2;${"x".repeat(300)}\x07`));
  assert.equal(e.snapshot().title.length, 254, "mosh keeps 256 characters with the '2;'");
  e.write(enc(`\x07\x07${ESC}c`));
  fb = e.snapshot();
  assert.deepEqual(
    [fb.title, fb.iconName, fb.titleInitialized, fb.clipboard, fb.bellCount],
    ["", "semi", true, "", 2],
    "a reset clears title and clipboard, keeps the icon name and the bell count",
  );
});

Deno.test("pending wrap: printing in the last column waits; BEL and EL clear it as in mosh", () => {
  const e = run("0123456789", 10, 3);
  assert.deepEqual(e.snapshot().cursor, { row: 0, col: 9, visible: true });
  e.write(enc("a"));
  assert.equal(screen(e), "0123456789\na         \n          ");
  assert.ok(e.snapshot().rows[0].wrap, "the row wrapped");
  assert.ok(!e.snapshot().rows[1].wrap);
  assert.equal(screen(run("0123456789\x07x")).split("\n")[0], "012345678x", "BEL");
  assert.equal(screen(run(`0123456789${ESC}[K`)).split("\n")[0], "012345678 ", "EL");
  assert.equal(screen(run(`0123456789${ESC}[31mx`)).split("\n")[1].trim(), "x", "SGR keeps it");
  assert.equal(screen(run("0123456789\tx")).split("\n")[1].trim(), "x", "HT keeps it");
});

Deno.test("wide and combining characters, as mosh stores them", () => {
  const wide = run("012345678中", 10, 2);
  assert.equal(screen(wide), "012345678 \n中        ", "a wide character that does not fit wraps");
  assert.ok(!wide.snapshot().rows[0].wrap, "and the row is not marked wrapped (as in mosh)");
  assert.ok(wide.snapshot().rows[0].isEmpty(9));
  const combining = run("e\u0301\r\n\u0301x", 10, 2).snapshot();
  assert.equal(combining.rows[0].text(0), "e\u0301");
  assert.equal(combining.rows[1].text(0), "\u00a0\u0301", "a lone mark sits on a no-break space");
  assert.equal(combining.rows[1].text(1), "x");
  const zalgo = run("a" + "\u0301".repeat(40)).snapshot().rows[0].text(0);
  assert.equal(new TextEncoder().encode(zalgo).length, 33, "marks stop at 32 bytes");
  assert.equal(screen(run("a\u0378b\xff")).slice(0, 3), "ab\xff", "unprintable: nothing");
  const invalid = new Emulator(10, 1);
  invalid.write(Uint8Array.from([0x61, 0xc3, 0x28, 0x62]));
  assert.equal(screen(invalid).slice(0, 4), "a\ufffd(b", "invalid UTF-8: U+FFFD");
});

Deno.test("resizing cuts and extends on the right and at the bottom, without reflow", () => {
  const e = run(`${ESC}[44m0123456789abc${ESC}[3;1Hlast`, 10, 3);
  e.resize(6, 2);
  let fb = e.snapshot();
  assert.equal(fb.toText(), "012345\nabc   ", "the bottom row is cut, not the top");
  assert.deepEqual(fb.cursor, { row: 1, col: 4, visible: true });
  assert.ok(!fb.rows[0].wrap, "a width change forgets soft wraps");
  e.resize(8, 3);
  fb = e.snapshot();
  assert.equal(fb.toText(), "012345  \nabc     \n        ", "nothing comes back");
  assert.equal(fb.rows[0].bg(7), palette(4), "new cells take the pen's background");
  assert.equal(fb.rows[2].bg(0), palette(4));
});

Deno.test("DECALN fills the screen with E on the pen's background, leaving the cursor", () => {
  const fb = run(`${ESC}[2;3H${ESC}[1;41m${ESC}#8`, 4, 2).snapshot();
  assert.equal(fb.toText(), "EEEE\nEEEE");
  assert.deepEqual([fb.rows[1].bg(0), fb.rows[1].attrs(0)], [palette(1), 0]);
  assert.deepEqual(fb.cursor, { row: 1, col: 2, visible: true });
});

Deno.test("load puts an emulator in the state of any frame it produced (property)", () => {
  const source = new Emulator(10, 4), target = new Emulator(3, 3);
  fc.assert(
    fc.property(session(20, true), fc.boolean(), (s, alt) => {
      source.setAltScreen(alt);
      target.setAltScreen(alt);
      source.load(Framebuffer.blank(s.width, s.height));
      for (const step of s.steps) {
        if ("write" in step) source.write(step.write);
        else source.resize(step.resize.width, step.resize.height);
      }
      const fb = source.snapshot();
      target.load(fb);
      const got = target.snapshot();
      assert.equal(frameDifference(got, fb), null);
      assert.equal(got.bellCount, fb.bellCount);
      assert.deepEqual(
        [got.appCursorKeys, got.appKeypad, got.altScroll],
        [fb.appCursorKeys, fb.appKeypad, fb.altScroll],
      );
    }),
    { numRuns: 300 },
  );
});

Deno.test("an emulator's resize leaves the frame Framebuffer.resized computes (property)", () => {
  const e = new Emulator(10, 4);
  fc.assert(
    fc.property(
      session(20, true),
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 30 }),
      fc.boolean(),
      (s, w, h, alt) => {
        e.setAltScreen(alt);
        e.load(Framebuffer.blank(s.width, s.height));
        for (const step of s.steps) if ("write" in step) e.write(step.write);
        const before = e.snapshot();
        e.resize(w, h);
        const after = e.snapshot();
        assert.ok(
          after.equals(before.resized(Math.max(w, 2), h)),
          frameDifference(after, before.resized(Math.max(w, 2), h)) ?? "",
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("appCursorKeys follows DECCKM without a snapshot, and agrees with the snapshot", () => {
  const e = new Emulator(80, 24);
  assert.equal(e.appCursorKeys, false);
  e.write(new TextEncoder().encode("\x1b[?1h"));
  assert.deepEqual([e.appCursorKeys, e.snapshot().appCursorKeys], [true, true]);
  e.write(new TextEncoder().encode("\x1b[?1l"));
  assert.deepEqual([e.appCursorKeys, e.snapshot().appCursorKeys], [false, false]);
});

Deno.test("with the alternate screen on, 1049 saves the cursor and shows an empty screen", () => {
  const e = new Emulator(10, 3, { altScreen: true });
  e.write(enc(`main${ESC}[2;3H${ESC}[31m${ESC}[?1049h`));
  let fb = e.snapshot();
  assert.ok(fb.alternate);
  assert.equal(fb.toText().trim(), "", "empty");
  assert.deepEqual(fb.cursor, { row: 1, col: 2, visible: true }, "the cursor stays");
  assert.equal(fb.main!.toText().split("\n")[0], "main      ");
  assert.deepEqual(fb.main!.cursor, { row: 1, col: 2, visible: true });
  e.write(enc(`${ESC}[0m${ESC}[Hvi here${ESC}[3;5H${ESC}[?1049l`));
  fb = e.snapshot();
  assert.ok(!fb.alternate && fb.main === null);
  assert.equal(fb.toText(), "main      \n          \n          ", "the main screen is back");
  assert.deepEqual(fb.cursor, { row: 1, col: 2, visible: true }, "and the cursor");
  assert.equal(fb.pen.fg, palette(1), "and the pen");
});

Deno.test("47 and 1047 switch without the cursor; the region and tab stops are shared", () => {
  for (const mode of ["47", "1047"]) {
    const e = new Emulator(10, 4, { altScreen: true });
    e.write(enc(`a${ESC}[2;3r${ESC}[3g${ESC}[5G${ESC}H${ESC}[?${mode}h`));
    assert.ok(e.snapshot().alternate, mode);
    e.write(enc(`${ESC}[3;1H\n\nx\rb\tc${ESC}[?${mode}l`));
    const fb = e.snapshot();
    assert.equal(fb.toText().split("\n")[0], "a         ", mode);
    assert.deepEqual(fb.cursor, { row: 2, col: 5, visible: true }, `${mode}: cursor from alt`);
    e.write(enc(`${ESC}[?${mode}h`));
    assert.equal(e.snapshot().toText().trim(), "", `${mode}: the alternate screen starts empty`);
  }
});

Deno.test("turning the alternate screen off goes back to the main screen; frames need it", () => {
  const e = new Emulator(10, 2, { altScreen: true });
  e.write(enc(`main${ESC}[?1049halt`));
  const alt = e.snapshot();
  e.setAltScreen(false);
  assert.deepEqual([e.snapshot().alternate, e.snapshot().toText().split("\n")[0]], [
    false,
    "main      ",
  ]);
  const off = new Emulator(10, 2);
  assert.throws(() => off.load(alt), /alternate screen/);
  assert.throws(() => off.moveTo(off.snapshot(), alt), /alternate screen/);
  off.setAltScreen(true);
  off.load(alt);
  assert.ok(off.snapshot().equals(alt));
});

Deno.test("an alternate screen shown after a shrink erases its last cell (xterm.js)", () => {
  const e = new Emulator(2, 3, { altScreen: true });
  e.resize(2, 2);
  e.write(enc(`${ESC}[?47h${ESC}[2;2H${ESC}[1J\n\n\n`));
  assert.equal(e.snapshot().toText(), "  \n  ");
});

const altOut = fc.oneof(piece, scrolling).filter((p) =>
  typeof p === "string" && !(p.includes("[?") && /47|1049/.test(p)) && !p.includes(`${ESC}c`)
);

Deno.test("leaving the alternate screen brings the main screen back exactly (property)", () => {
  const e = new Emulator(10, 4);
  fc.assert(
    fc.property(
      session(20, true),
      fc.constantFrom("47", "1047", "1049"),
      fc.array(altOut, { maxLength: 30 }),
      (s, mode, inside) => {
        e.setAltScreen(true);
        e.setHistoryLimit(0);
        e.load(Framebuffer.blank(s.width, s.height));
        for (const step of s.steps) {
          if ("write" in step) e.write(step.write);
          else e.resize(step.resize.width, step.resize.height);
        }
        e.write(enc(`${ESC}[?1049l${ESC}[?47l`));
        e.setHistoryLimit(100);
        const main = e.snapshot();
        e.write(enc(`${ESC}[?${mode}h`));
        assert.ok(e.snapshot().main!.sameRows(main), "hidden, the main screen is unchanged");
        for (const out of inside) e.write(enc(out as string));
        e.write(enc(`${ESC}[?${mode}l`));
        const back = e.snapshot();
        assert.ok(back.sameRows(main), frameDifference(back, main) ?? "");
        assert.equal(e.historyEnd, 0, "nothing of the alternate screen is history");
        e.takeReplies();
      },
    ),
    { numRuns: 400 },
  );
});

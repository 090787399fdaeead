/**
 * The SGR encoding of a pen (docs/protocol.md §7.3): a complete reset-and-set in mosh's order,
 * bright colours as 256-colour indices, and a round trip through the emulator for any pen.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Attr,
  colorKind,
  DEFAULT_COLOR,
  palette,
  Renditions,
  rgb,
  sgr,
} from "../../../core/terminal/renditions.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";

const ESC = "\x1b";

Deno.test("pens are written as mosh writes them", () => {
  assert.equal(Renditions.DEFAULT.sgr(), `${ESC}[0m`);
  assert.equal(sgr(palette(1), DEFAULT_COLOR, Attr.bold), `${ESC}[0;1;31m`);
  assert.equal(sgr(palette(200), DEFAULT_COLOR, 0), `${ESC}[0;38;5;200m`);
  assert.equal(sgr(rgb(1, 2, 3), DEFAULT_COLOR, 0), `${ESC}[0;38;2;1;2;3m`);
  assert.equal(sgr(DEFAULT_COLOR, palette(17), 0), `${ESC}[0;48;5;17m`);
  assert.equal(sgr(DEFAULT_COLOR, palette(4), 0), `${ESC}[0;44m`);
  assert.equal(sgr(palette(9), DEFAULT_COLOR, 0), `${ESC}[0;38;5;9m`, "bright red as 256-colour");
  const all = Object.values(Attr).reduce((a, b) => a | b, 0);
  assert.equal(
    sgr(palette(7), rgb(255, 0, 128), all),
    `${ESC}[0;1;2;3;4;5;7;8;9;37;48;2;255;0;128m`,
  );
});

Deno.test("an application's colours come back in mosh's form, whatever form it used", () => {
  const cases: [string, string][] = [
    ["91", "0;38;5;9"], // bright red, as mosh sends it [verified in the protocol notes]
    ["31", "0;31"],
    ["38;5;1", "0;31"], // palette 0..7 by index: the ANSI form
    ["1;4;7;38;5;200;48;2;10;20;30", "0;1;4;7;38;5;200;48;2;10;20;30"],
    ["102", "0;48;5;10"],
    ["2;9", "0;2;9"], // faint and strikethrough: kept, though mosh ignores them
    ["1;22", "0"],
    ["5;25;8;28;3;23", "0"],
  ];
  for (const [app, wire] of cases) {
    const e = new Emulator(10, 2);
    e.write(new TextEncoder().encode(`${ESC}[${app}m`));
    assert.equal(e.snapshot().pen.sgr(), `${ESC}[${wire}m`, `CSI ${app} m`);
  }
});

const color = fc.oneof(
  fc.constant(DEFAULT_COLOR),
  fc.integer({ min: 0, max: 255 }).map(palette),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([r, g, b]) => rgb(r, g, b)),
);
const pen = fc.tuple(color, color, fc.nat(255)).map(([fg, bg, a]) => new Renditions(fg, bg, a));

Deno.test("any pen survives being written out and read back by the emulator (property)", () => {
  const e = new Emulator(10, 2);
  fc.assert(
    fc.property(pen, (p) => {
      e.write(new TextEncoder().encode(`${ESC}[31;1;48;5;3m` + p.sgr()));
      const got = e.snapshot().pen;
      assert.ok(got.equals(p), `${JSON.stringify(got)} != ${JSON.stringify(p)}`);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("colour kinds and erased pens", () => {
  assert.equal(colorKind(DEFAULT_COLOR), "default");
  assert.equal(colorKind(palette(0)), "palette");
  assert.equal(colorKind(rgb(0, 0, 0)), "rgb");
  const p = new Renditions(palette(1), palette(4), Attr.bold | Attr.underline);
  assert.ok(p.erased().equals(new Renditions(DEFAULT_COLOR, palette(4), 0)));
  assert.ok(p.has(Attr.bold) && !p.has(Attr.italic));
  assert.equal(Renditions.DEFAULT.erased(), Renditions.DEFAULT);
});

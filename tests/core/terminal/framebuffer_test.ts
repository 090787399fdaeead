/**
 * Rows and framebuffers: value equality with identity first, what `equals` compares (and does
 * not), copies with `with` and `RowBuilder`, and the sharing of unchanged rows between
 * snapshots that makes keeping many states cheap.
 */
import assert from "node:assert/strict";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { Attr, palette, Renditions } from "../../../core/terminal/renditions.ts";
import { Row, RowBuilder } from "../../../core/terminal/row.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";

const RED = new Renditions(palette(1), 0, Attr.bold);
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("rows compare by content, whatever their text tables hold", () => {
  const a = new RowBuilder(6).set(0, "e\u0301", RED).set(2, "中", Renditions.DEFAULT, 2).build();
  const b = new RowBuilder(6).set(2, "中", Renditions.DEFAULT, 2).set(0, "x\u0301", RED)
    .set(0, "e\u0301", RED).build();
  assert.ok(a.equals(b) && b.equals(a));
  assert.ok(!a.equals(a.edit().set(0, "o\u0301", RED).build()), "other combined text");
  assert.ok(!a.equals(a.edit().setRenditions(0, Renditions.DEFAULT).build()), "other renditions");
  assert.equal(a.toText(), "e\u0301 中  ");
  assert.deepEqual(a.cell(2), { text: "中", width: 2, renditions: Renditions.DEFAULT });
  assert.equal(a.cell(3).width, 0, "right half of a wide cell");
  assert.equal(a.text(1), "");
  assert.ok(a.isEmpty(1) && !a.isEmpty(0));
});

Deno.test("a row builder keeps wide cells whole and empties the halves it breaks", () => {
  const wide = new RowBuilder(4).set(1, "中", RED, 2).build();
  const left = wide.edit().set(1, "a", RED).build();
  assert.equal(left.toText(), " a  ");
  assert.ok(left.isEmpty(2) && !left.isWide(1));
  const right = wide.edit().set(2, "b", RED).build();
  assert.equal(right.toText(), "  b ");
  assert.ok(right.isEmpty(1));
  assert.throws(() => wide.edit().set(3, "中", RED, 2), RangeError);
  const erased = wide.edit().set(1, "", RED).build();
  assert.ok(
    erased.isEmpty(1) && erased.bg(1) === 0 && erased.fg(1) === 0,
    "empty cells keep the background only",
  );
});

Deno.test("a soft wrap needs a grapheme in the last column", () => {
  const b = new RowBuilder(3);
  b.wrap = true;
  assert.equal(b.build().wrap, false);
  b.set(2, "x", RED);
  assert.equal(b.build().wrap, true);
  assert.ok(!b.build().equals(Row.blank(3)));
});

Deno.test("framebuffer equality is what a client can see", () => {
  const fb = Framebuffer.blank(10, 3);
  assert.ok(fb.equals(Framebuffer.blank(10, 3)));
  const differs = [
    fb.with({ cursor: { row: 1, col: 0, visible: true } }),
    fb.with({ cursor: { row: 0, col: 0, visible: false } }),
    fb.with({ pen: RED }),
    fb.with({ reverseVideo: true }),
    fb.with({ bracketedPaste: true }),
    fb.with({ mouseReporting: 1002 }),
    fb.with({ focusEvents: true }),
    fb.with({ mouseEncoding: 1006 }),
    fb.with({ title: "t", titleInitialized: true }),
    fb.with({ iconName: "i" }),
    fb.with({ bellCount: 1 }),
    fb.with({ clipboard: "aGk=" }),
    fb.withRow(2, new RowBuilder(10).set(0, "x", RED).build()),
  ];
  for (const [i, other] of differs.entries()) {
    assert.ok(!fb.equals(other) && !other.equals(fb), `${i}`);
  }
  // Not transmitted, so not compared.
  assert.ok(fb.equals(fb.with({ appCursorKeys: true, appKeypad: true, altScroll: true })));
  assert.throws(() => fb.with({ cursor: { row: 3, col: 0, visible: true } }), RangeError);
  assert.throws(() => fb.with({ rows: fb.rows.slice(1) }), RangeError);
});

Deno.test("snapshots share unchanged rows, and an unchanged screen is the same snapshot", () => {
  const e = new Emulator(20, 5);
  e.write(enc("one\r\ntwo\r\nthree"));
  const a = e.snapshot();
  assert.equal(e.snapshot(), a, "nothing written");
  e.write(enc("\x1b[1m")); // the pen changes, no cell does
  const b = e.snapshot();
  assert.ok(b.rows.every((r, i) => r === a.rows[i]));
  e.write(enc("\x1b[2;1Htoo"));
  const c = e.snapshot();
  assert.deepEqual(c.rows.map((r, i) => r === b.rows[i]), [true, false, true, true, true]);
  e.write(enc("\x1b[5;1H\n")); // scroll: the rows move, and keep their identity
  const d = e.snapshot();
  assert.deepEqual(d.rows.slice(0, 3), c.rows.slice(1, 4));
  e.write(enc("\x1b[1;1Htoo\x1b[5;1H"));
  const again = e.snapshot();
  assert.ok(again.equals(d), "rewriting the same cells changes nothing");
  assert.equal(again.rows[0], d.rows[0], "nor the row's identity");
});

Deno.test("a cell is as wide as its character; resizing cuts, extends and unwraps", () => {
  const row = new RowBuilder(4).set(0, "中", RED).set(2, "😀", RED).build();
  assert.deepEqual([row.cell(0).width, row.cell(1).width, row.cell(2).width], [2, 0, 2]);
  const cut = row.resized(3);
  assert.ok(cut.isEmpty(2) && !cut.isWide(2), "a wide character losing its right half");
  const blue = palette(4);
  const wider = row.resized(6, blue);
  assert.equal(wider.toText(), "中😀  ");
  assert.deepEqual([wider.bg(4), wider.bg(5), wider.isEmpty(5)], [blue, blue, true]);
  const wrapped = Object.assign(new RowBuilder(2).set(1, "x", RED), { wrap: true }).build();
  const fb = Framebuffer.blank(2, 3).withRow(0, wrapped).with({
    cursor: { row: 2, col: 1, visible: true },
  });
  const small = fb.resized(2, 1);
  assert.deepEqual([small.height, small.rows[0].wrap, small.cursor.row], [1, false, 0]);
  assert.equal(fb.resized(2, 3), fb);
  assert.equal(fb.resized(2, 5).rows[0], wrapped, "rows are kept when the width stays");
});

Deno.test("a row builder reads back its cells as the built row would", () => {
  const b = new RowBuilder(5).set(0, "e\u0301", RED).set(1, "中", Renditions.DEFAULT, 2)
    .set(3, "", RED);
  const row = b.build();
  for (let c = 0; c < 5; c++) assert.deepEqual(b.cell(c), row.cell(c), `column ${c}`);
  assert.deepEqual(b.cell(2), { text: "", width: 0, renditions: Renditions.DEFAULT });
});

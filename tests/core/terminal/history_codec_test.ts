/**
 * The history rows' wire form: any rows round-trip exactly (wide characters, combining marks,
 * every kind of colour and attribute, soft wraps), rows from the emulator are small, and the
 * decoder takes nothing else: garbage, truncations, controls in text, overlong numbers and
 * out-of-bound sizes give null, never an exception, and nothing it returns can carry an escape
 * sequence to the user's terminal.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkHistoryRows,
  decodeHistoryRows,
  encodeHistoryRows,
  HistoryEncoder,
  MAX_HISTORY_CELLS,
  MAX_HISTORY_ROWS,
  MAX_HISTORY_WIDTH,
} from "../../../core/terminal/history_codec.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { Attr, palette, Renditions, rgb } from "../../../core/terminal/renditions.ts";
import { type Row, RowBuilder } from "../../../core/terminal/row.ts";

const seedEnv = Deno.env.get("DENOMOSH_TERM_SEED");
const params = (numRuns: number) => ({ numRuns, ...(seedEnv ? { seed: Number(seedEnv) } : {}) });
const enc = (s: string) => new TextEncoder().encode(s);

const colour = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 255 }).map(palette),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([r, g, b]) => rgb(r, g, b)),
);
const renditions = fc.tuple(colour, colour, fc.nat(255)).map(([fg, bg, a]) =>
  new Renditions(fg, bg, a)
);
const narrowText = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.constantFrom("é", "e\u0301", "\u00a0\u0301", "a\u0301\u0302\u0303", "ж", "\ufffd", "\u00ad"),
  fc.array(fc.constantFrom("\u0301", "\u0308", "\u20dd"), { maxLength: 14 }).map((m) =>
    "o" + m.join("")
  ),
);
const wideText = fc.constantFrom("中", "가", "😀", "！", "👍\u0301");
type CellSpec = { text: string; wide: boolean; r: Renditions } | { empty: number };
const cellSpec: fc.Arbitrary<CellSpec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(narrowText, renditions).map(([text, r]) => ({ text, wide: false, r })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(wideText, renditions).map(([text, r]) => ({ text, wide: true, r })),
  },
  { weight: 2, arbitrary: colour.map((empty) => ({ empty })) },
);
/** Any row: cells of every kind, renditions of every kind, a soft wrap when it can have one. */
export const anyRow: fc.Arbitrary<Row> = fc.tuple(
  fc.integer({ min: 1, max: 100 }),
  fc.array(cellSpec, { maxLength: 110 }),
  fc.boolean(),
).map(([width, cells, wrap]) => {
  const b = new RowBuilder(width);
  let x = 0;
  for (const c of cells) {
    if ("empty" in c) {
      if (x >= width) break;
      b.set(x++, "", new Renditions(0, c.empty, 0));
    } else {
      const w = c.wide ? 2 : 1;
      if (x + w > width) break;
      b.set(x, c.text, c.r);
      x += w;
    }
  }
  b.wrap = wrap;
  return b.build();
});

/** Whether any cell's text holds a control character. */
const hasControl = (rows: readonly Row[]) =>
  rows.some((r) => {
    for (let x = 0; x < r.width; x++) {
      for (const ch of r.text(x)) {
        const cp = ch.codePointAt(0)!;
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return true;
      }
    }
    return false;
  });

Deno.test("any rows come back exactly (property)", () => {
  fc.assert(
    fc.property(fc.array(anyRow, { maxLength: 12 }), (rows) => {
      const back = decodeHistoryRows(encodeHistoryRows(rows));
      assert.ok(back, "decodes");
      assert.equal(back.length, rows.length);
      for (const [i, r] of rows.entries()) {
        assert.ok(back[i].equals(r), `row ${i}: ${JSON.stringify(r.toText())}`);
      }
    }),
    params(2000),
  );
});

Deno.test("an encoder's message of its newest rows is theirs, and its size is known (property)", () => {
  fc.assert(
    fc.property(fc.array(anyRow, { maxLength: 12 }), fc.nat(), (rows, pick) => {
      const e = new HistoryEncoder();
      for (const row of rows) e.add(row);
      assert.equal(e.count, rows.length);
      const first = pick % (rows.length + 1);
      assert.ok(e.fits(first));
      const message = e.message(first);
      assert.equal(e.size(first), message.length);
      const back = decodeHistoryRows(message);
      assert.ok(back, "the message decodes");
      assert.equal(back.length, rows.length - first);
      back.forEach((r, i) => assert.ok(r.equals(rows[first + i]), `row ${first + i}`));
    }),
    params(1000),
  );
});

Deno.test("an encoder takes more than a message holds; only the part taken must fit", () => {
  const wide = new RowBuilder(MAX_HISTORY_WIDTH).set(0, "x", Renditions.DEFAULT).build();
  const e = new HistoryEncoder();
  const fitting = MAX_HISTORY_CELLS / MAX_HISTORY_WIDTH;
  for (let i = 0; i <= fitting; i++) e.add(wide);
  assert.equal(e.fits(0), false);
  assert.throws(() => e.message(0), RangeError);
  assert.equal(e.fits(1), true);
  assert.equal(decodeHistoryRows(e.message(1))!.length, fitting);
  const many = new HistoryEncoder();
  const narrow = new RowBuilder(1).build();
  for (let i = 0; i <= MAX_HISTORY_ROWS; i++) many.add(narrow);
  assert.equal(many.fits(0), false);
  assert.throws(() => many.message(0), RangeError);
  assert.equal(decodeHistoryRows(many.message(1))!.length, MAX_HISTORY_ROWS);
  // The varint of the count grows with it: sizes stay exact across its lengths.
  for (const first of [1, 2, many.count - 127, many.count - 128, many.count - 1, many.count]) {
    assert.equal(many.size(first), many.message(first).length, `from row ${first}`);
  }
});

Deno.test("rows from the emulator are small: seq and coloured ls lines", () => {
  const e = new Emulator(80, 2, { historyLimit: 100 });
  e.write(enc("123456\r\n"));
  e.write(
    enc(
      "-rwxr-xr-x 1 root root    97 Nov 24 01:31 \x1b[01;32mprogram-1\x1b[0m -> " +
        "\x1b[01;36mlink-1\x1b[0m\r\n\r\n",
    ),
  );
  const [seq, ls] = e.historyRows(0, 2);
  const one = (r: Row) => encodeHistoryRows([r]).length - 2; // less version and count
  assert.equal(one(seq), 14);
  assert.ok(one(ls) < 90, `${one(ls)} bytes for a coloured ls line`);
});

Deno.test("garbage never throws, and what decodes holds no control character (property)", () => {
  let decoded = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const rows = decodeHistoryRows(bytes);
      if (rows) assert.ok(!hasControl(rows));
    }),
    params(5000),
  );
  fc.assert(
    fc.property(
      fc.array(anyRow, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
      (rows, flips) => {
        const bytes = encodeHistoryRows(rows);
        for (const [at, b] of flips) bytes[at % bytes.length] = b;
        const back = decodeHistoryRows(bytes);
        if (back) {
          assert.ok(!hasControl(back));
          decoded++;
        }
      },
    ),
    params(3000),
  );
  assert.ok(decoded > 300, `altered messages that still decode: ${decoded}`);
});

Deno.test("checking takes exactly what decoding takes, and counts its rows (property)", () => {
  const same = (bytes: Uint8Array) =>
    assert.equal(checkHistoryRows(bytes), decodeHistoryRows(bytes)?.length ?? null);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), same), params(3000));
  fc.assert(
    fc.property(
      fc.array(anyRow, { maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
      fc.nat(),
      (rows, flips, cut) => {
        const bytes = encodeHistoryRows(rows);
        same(bytes);
        for (const [at, b] of flips) bytes[at % bytes.length] = b;
        same(bytes);
        same(bytes.subarray(0, cut % (bytes.length + 1)));
      },
    ),
    params(2000),
  );
  // A soft wrap set on any row of two (kept only where the last column holds a grapheme).
  let refused = 0;
  fc.assert(
    fc.property(anyRow, anyRow, (a, b) => {
      const bytes = encodeHistoryRows([a, b]);
      const second = 2 + encodeHistoryRows([a]).length - 2;
      for (const at of [3 + (a.width >= 128 ? 1 : 0), second + 1 + (b.width >= 128 ? 1 : 0)]) {
        const wrapped = bytes.slice();
        wrapped[at] = 1;
        same(wrapped);
        if (checkHistoryRows(wrapped) === null) refused++;
      }
    }),
    params(2000),
  );
  assert.ok(refused > 100, `wraps refused: ${refused}`);
});

Deno.test("every truncated prefix and any trailing byte are rejected", () => {
  const rows = fc.sample(fc.array(anyRow, { minLength: 1, maxLength: 3 }), {
    numRuns: 30,
    seed: 7,
  });
  for (const rs of rows) {
    const bytes = encodeHistoryRows(rs);
    for (let n = 0; n < bytes.length; n++) {
      assert.equal(decodeHistoryRows(bytes.subarray(0, n)), null, `prefix of ${n}`);
    }
    assert.equal(decodeHistoryRows(Uint8Array.of(...bytes, 0)), null, "trailing byte");
  }
});

Deno.test("the decoder takes only the closed format", () => {
  const ok = (...b: number[]) => decodeHistoryRows(Uint8Array.from(b));
  // version 1, one row 3 wide, no wrap, one ASCII segment of "hi" in default colours
  assert.equal(ok(1, 1, 3, 0, 1, 1, 0, 0, 0, 2, 0x68, 0x69)![0].toText(), "hi ");
  assert.equal(ok(2, 1, 3, 0, 1, 1, 0, 0, 0, 2, 0x68, 0x69), null, "version");
  assert.equal(ok(1, 1, 3, 0, 1, 1, 0, 0, 0, 2, 0x1b, 0x5b), null, "ESC in an ASCII run");
  assert.equal(ok(1, 1, 3, 0, 1, 2, 0, 0, 0, 1, 2, 0x1b), null, "ESC in a text cell");
  assert.equal(ok(1, 1, 3, 0, 1, 2, 0, 0, 0, 1, 4, 0xc2, 0x9b), null, "C1 CSI in a text cell");
  assert.equal(ok(1, 1, 3, 0, 1, 2, 0, 0, 0, 1, 4, 0xc3, 0x28), null, "invalid UTF-8");
  assert.equal(ok(1, 1, 3, 0, 1, 2, 0, 0, 0, 1, 6, 0xe4, 0xb8, 0xad), null, "narrow 中");
  assert.equal(ok(1, 1, 3, 0, 1, 2, 0, 0, 0, 1, 3, 0x61), null, "wide a");
  assert.equal(ok(1, 1, 2, 0, 1, 1, 0, 0, 0, 3, 0x61, 0x61, 0x61), null, "too many cells");
  assert.equal(ok(1, 1, 3, 1, 1, 1, 0, 0, 0, 2, 0x68, 0x69), null, "wrap, last column empty");
  assert.ok(ok(1, 1, 2, 1, 1, 1, 0, 0, 0, 2, 0x68, 0x69)![0].wrap, "wrap, last column full");
  assert.equal(ok(1, 1, 3, 2, 0), null, "unknown flags");
  assert.equal(ok(1, 1, 3, 0, 1, 3, 0, 1), null, "unknown segment");
  assert.equal(ok(1, 1, 3, 0, 1, 0, 3, 1), null, "unknown colour kind");
  assert.equal(ok(1, 1, 3, 0, 1, 0, 0, 0), null, "an empty run of nothing");
  assert.equal(ok(1, 0x81, 0x00, 3, 0, 0), null, "overlong count");
  assert.equal(ok(1, 1, 0, 0, 0), null, "zero width");
  const wide = MAX_HISTORY_WIDTH + 1;
  assert.equal(ok(1, 1, 0x80 | (wide & 0x7f), wide >> 7, 0, 0), null, "too wide");
  assert.ok(
    ok(1, 1, 0x80 | (MAX_HISTORY_WIDTH & 0x7f), MAX_HISTORY_WIDTH >> 7, 0, 0),
    "as wide as allowed",
  );
  // Rows that claim more cells than a message may hold, however short the message.
  const many = Math.floor(MAX_HISTORY_CELLS / MAX_HISTORY_WIDTH) + 1;
  const row = [0x80 | (MAX_HISTORY_WIDTH & 0x7f), MAX_HISTORY_WIDTH >> 7, 0, 0];
  const count = [0x80 | (many & 0x7f), many >> 7];
  assert.equal(ok(1, ...count, ...Array.from({ length: many }, () => row).flat()), null);
  assert.throws(
    () => encodeHistoryRows([new RowBuilder(2).set(0, "a\x1b", Renditions.DEFAULT).build()]),
    RangeError,
  );
  assert.ok(Attr.bold); // attributes are a byte: every bit decodes (see the round trip)
});

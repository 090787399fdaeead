/**
 * Pins what `core/terminal/xterm_internals.ts` assumes about @xterm/headless's internals: a
 * synchronous parse, the packed cell layout, soft-wrap marks, the replaceable decoder and
 * handlers. An xterm.js upgrade that changes any of these fails here, by name.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { xterm } from "../../../core/terminal/xterm_internals.ts";
import { session } from "./_streams.ts";
import {
  CM_MASK,
  CM_RGB,
  CODEPOINT_MASK,
  IS_COMBINED,
  WIDTH_SHIFT,
  XtermHandle,
} from "../../../core/terminal/xterm_internals.ts";

const UNICODE = {
  version: "test",
  wcwidth: (cp: number) => (cp >= 0x4e00 && cp < 0xa000 ? 2 : cp === 0x301 ? 0 : 1) as 0 | 1 | 2,
  charProperties(cp: number, preceding: number): number {
    const w = cp >= 0x4e00 && cp < 0xa000 ? 2 : cp === 0x301 ? 0 : 1;
    if (w === 0 && preceding) return (((preceding >> 1) & 3) << 1) | 1;
    return w << 1;
  },
};
const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parse() is synchronous and fills the packed cells as assumed", () => {
  const x = new XtermHandle(6, 3, UNICODE);
  x.parse(enc("a\x1b[31mb\x1b[38;5;200mc\x1b[38;2;1;2;3md\x1b[0m中"));
  const d = x.line(0)._data;
  assert.equal(d[0] & CODEPOINT_MASK, 0x61);
  assert.equal(d[0] >>> WIDTH_SHIFT, 1);
  assert.equal(d[1] & CM_MASK, 0, "default colour mode");
  assert.equal(d[4] & CM_MASK, 0x1000000, "P16 colour mode");
  assert.equal(d[4] & 0xff, 1);
  assert.equal(d[7] & CM_MASK, 0x2000000, "P256 colour mode");
  assert.equal(d[7] & 0xff, 200);
  assert.equal(d[10] & CM_MASK, CM_RGB);
  assert.equal(d[10] & 0xffffff, 0x010203);
  assert.equal(d[12] >>> WIDTH_SHIFT, 2, "wide cell");
  assert.equal(d[15] >>> WIDTH_SHIFT, 0, "its right half");
  assert.deepEqual([x.buffer.x, x.buffer.y], [6, 0], "the cursor waits past the last column");
});

Deno.test("combined cells, soft-wrap marks, pen and modes are where we read them", () => {
  const x = new XtermHandle(4, 3, UNICODE);
  x.parse(enc("e\u0301xyzw\x1b[1;44m"));
  const line = x.line(0);
  assert.ok(line._data[0] & IS_COMBINED);
  assert.equal(line._combined[0], "e\u0301");
  assert.equal(x.line(1).isWrapped, true, "the next line carries the wrap");
  assert.equal(x.pen.fg & 0x8000000, 0x8000000, "bold in the pen's fg flags");
  assert.equal(x.pen.bg & CM_MASK, 0x1000000);
  x.parse(enc("\x1b[?7l\x1b[4h\x1b[?6h"));
  assert.deepEqual([x.decModes.wraparound, x.ansiModes.insertMode, x.decModes.origin], [
    false,
    true,
    true,
  ]);
});

Deno.test("the decoder, handlers and charset designation can be replaced", () => {
  const x = new XtermHandle(10, 2, UNICODE);
  const seen: string[] = [];
  x.setDecoder({
    decode(input: Uint8Array, target: Uint32Array): number {
      for (let i = 0; i < input.length; i++) target[i] = input[i] === 0x21 ? 0x3f : input[i];
      return input.length;
    },
    clear() {},
  });
  x.csi({ final: "b" }, () => (seen.push("REP"), true));
  x.esc({ final: "c" }, () => (seen.push("RIS"), true));
  x.osc(-1, (d) => (seen.push(`OSC ;${d}`), true));
  x.execute(0x07, () => seen.push("BEL"));
  x.onUnhandled(() => seen.push("unhandled"));
  x.onCharsetDesignation(() => seen.push("charset"));
  x.parse(enc("!\x1b[3b\x1bc\x1b];t\x07\x07\x1b[5y\x1b(0q"));
  assert.deepEqual(seen, ["REP", "RIS", "OSC ;t", "BEL", "unhandled", "charset"]);
  assert.equal(x.line(0)._data[0] & CODEPOINT_MASK, 0x3f, "our decoder ran");
  assert.equal(x.line(0)._data[3] & CODEPOINT_MASK, 0x71, "no line drawing");
});

Deno.test("a build missing an internal fails when the handle is made, naming it", () => {
  // Hide `_inputHandler.parse` from every new terminal for the duration of the test.
  // deno-lint-ignore no-explicit-any
  const core = (new xterm.Terminal() as any)._core;
  const proto = Object.getPrototypeOf(core._inputHandler);
  const parse = proto.parse;
  try {
    delete proto.parse;
    assert.throws(() => new XtermHandle(4, 2, UNICODE), /internals changed: _inputHandler\.parse/);
  } finally {
    proto.parse = parse;
  }
  new XtermHandle(4, 2, UNICODE); // and all is well again
});

type Ext = { _extendedAttrs: Record<number, unknown> };

/** What a handle shows: every visible cell, soft-wrap mark and combined text, and the cursor. */
function visible(x: XtermHandle): unknown {
  const rows = [];
  for (let y = 0; y < x.rows; y++) {
    const line = x.line(y);
    const cells = Array.from(line._data.subarray(0, x.cols * 3));
    const combined = cells.flatMap((c, i) =>
      i % 3 === 0 && (c & IS_COMBINED) ? [line._combined[i / 3]] : []
    );
    const extended = cells.flatMap((c, i) =>
      i % 3 === 2 && (c & 0x10000000) ? [(line as unknown as Ext)._extendedAttrs[(i - 2) / 3]] : []
    );
    rows.push({ cells, wrapped: line.isWrapped, combined, extended });
  }
  return { rows, x: x.buffer.x, y: x.buffer.y, top: x.buffer.scrollTop };
}

Deno.test("the short print and line-feed paths leave every screen as xterm's own paths do", () => {
  // A line-feed listener and a screen reader send a handle down xterm's own paths.
  const feeds = fc.array(
    fc.constantFrom(
      "\r\n",
      "\n",
      "\x0b",
      "\x0c",
      "wxyz",
      "\x1b[2;4r",
      "\x1b[r",
      "\x1b[99;1H",
      "\x1b[?6h",
      "\x1b[44m",
      "\x1b[0m",
      "\x1b[41m\x1b[K",
      "\u4e2d\u0301",
      "\x1bD",
      "\x1bM",
      "0123456789",
      "\u0301",
      "\x1b[4:3m",
      "\x1b[4h",
      "\x1b[4l",
      "\x1b(0",
      "\x1b(B",
      "\x1b]8;;http://x\x07",
      "\x1b]8;;\x07",
      "\x1b[3D",
      "\x1b[7G",
      "\x1b[?7l",
      "\x1b[?7h",
      "\u4e2d\x1b[2Dx",
      "\u4e2d\u4e2d\x1b[3Dab",
    ),
    { maxLength: 80 },
  );
  let slowFeeds = 0;
  fc.assert(
    fc.property(session(25), feeds, (s, tail) => {
      const fast = new XtermHandle(Math.max(2, s.width), s.height, UNICODE);
      const slow = new XtermHandle(Math.max(2, s.width), s.height, UNICODE);
      slow.terminal.onLineFeed(() => slowFeeds++);
      slow.terminal.options.screenReaderMode = true;
      const steps = [...s.steps, { write: enc(tail.join("")) }];
      for (const step of steps) {
        for (const x of [fast, slow]) {
          if ("write" in step) x.parse(step.write);
          else x.terminal.resize(Math.max(2, step.resize.width), step.resize.height);
        }
        assert.deepEqual(visible(fast), visible(slow));
      }
    }),
    { numRuns: 400 },
  );
  assert.ok(slowFeeds > 200, `the slow handles took xterm's path (${slowFeeds} line feeds)`);
});

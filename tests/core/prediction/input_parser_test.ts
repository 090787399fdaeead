/**
 * The input parser: which keystrokes are characters, controls, escape and control sequences,
 * as mosh 1.4.0's parser classifies them (the prediction engine acts on nothing else).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type InputAction, InputParser } from "../../../core/prediction/input_parser.ts";

function parse(input: string | number[]): string[] {
  const p = new InputParser();
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const out: string[] = [];
  for (const b of bytes) {
    for (const a of p.input(b)) out.push(`${a.kind}:${String.fromCodePoint(a.ch)}`);
  }
  return out;
}

Deno.test("printable characters, DEL and UTF-8 are prints; C0 controls execute", () => {
  assert.deepEqual(parse("a é中"), ["print:a", "print: ", "print:é", "print:中"]);
  assert.deepEqual(parse([0x7f]), ["print:\x7f"], "DEL is a print: mosh predicts backspace");
  assert.deepEqual(parse("\r\t\x03"), ["execute:\r", "execute:\t", "execute:\x03"]);
});

Deno.test("arrow keys are control sequences with their final; ESC O is an escape", () => {
  assert.deepEqual(parse("\x1b[C\x1b[D\x1b[1;5C"), ["csi:C", "csi:D", "csi:C"]);
  assert.deepEqual(parse("\x1bOC"), ["esc:O", "print:C"], "the engine rewrites ESC O itself");
  assert.deepEqual(parse("\x1bx"), ["esc:x"], "Alt-x");
  assert.deepEqual(parse("\x1b[?1;2:3C"), [], "a colon makes the sequence ignored");
  assert.deepEqual(parse("\x9bC"), ["csi:C"], "8-bit CSI");
});

Deno.test("strings swallow what they contain until their terminator", () => {
  assert.deepEqual(parse("\x1b]0;title\x07a"), ["print:a"]);
  assert.deepEqual(parse("\x1bPq#0\x1b\\a"), ["esc:\\", "print:a"]);
  assert.deepEqual(parse("\x1b_apc\x9cb"), ["print:b"]);
});

Deno.test("CAN and SUB abort a sequence and execute; ESC restarts one", () => {
  assert.deepEqual(parse("\x1b[1\x18a"), ["execute:\x18", "print:a"]);
  assert.deepEqual(parse("\x1b[1\x1b[D"), ["csi:D"]);
  assert.deepEqual(parse("\x1b[1\rC"), ["execute:\r", "csi:C"], "C0 inside CSI executes");
});

Deno.test("a broken UTF-8 sequence is U+FFFD, and the byte that broke it counts", () => {
  assert.deepEqual(parse([0xe4, 0xb8, 0x41]), ["print:\ufffd", "print:A"]);
  assert.deepEqual(parse([0xff, 0x41]), ["print:\ufffd", "print:A"]);
});

Deno.test("property: after any input, a CSI D is parsed as a left arrow once CAN resets", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (junk) => {
      const p = new InputParser();
      for (const b of junk) p.input(b);
      // Finish any UTF-8 sequence, abort any sequence, then an arrow.
      const tail: InputAction[] = [];
      for (const b of [0x41, 0x18, 0x1b, 0x5b, 0x44]) tail.push(...p.input(b));
      assert.deepEqual(tail.at(-1), { kind: "csi", ch: 0x44 });
    }),
  );
});

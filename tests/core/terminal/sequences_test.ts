/**
 * Everything `newFrame` writes is something mosh 1.4.0's emulator understands
 * (docs/protocol.md §7.4), so that Debian's mosh-client renders our server's diffs: a small
 * tokenizer checks every control, escape sequence and character of the output against that
 * list. Never a query (the real client asserts it gets none), never the alternate screen.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { newFrame } from "../../../core/terminal/display.ts";
import { session } from "./_streams.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { unsupported } from "./_tokenizer.ts";

Deno.test("the tokenizer knows a bad sequence when it sees one", () => {
  assert.deepEqual(unsupported("ab\x1b[0;1;31m\x1b[?25l\x1b[2;3H\x1b]0;t\x07\r\n\b\x07"), []);
  const bad = [
    "\x1b[c",
    "\x1b[6n",
    "\x1b[?1049h",
    "\x1b[3b",
    "\t",
    "\x1b]4;1;?\x07",
    "\x1b[1K",
    "\u0378",
    "\x1b[38:5:1m",
  ];
  for (const b of bad) assert.notDeepEqual(unsupported(b), [], JSON.stringify(b));
});

Deno.test("every diff and every initial frame uses only what mosh's emulator understands (property)", () => {
  const server = new Emulator(2, 2);
  fc.assert(
    fc.property(session(30), (s) => {
      server.load(Framebuffer.blank(s.width, s.height));
      let prev = server.snapshot();
      for (const step of s.steps) {
        if ("write" in step) server.write(step.write);
        else server.resize(step.resize.width, step.resize.height);
        const cur = server.snapshot();
        const diff = newFrame(prev, cur), initial = newFrame(null, cur);
        assert.deepEqual(unsupported(diff), [], JSON.stringify(diff));
        assert.deepEqual(unsupported(initial), [], JSON.stringify(initial));
        prev = cur;
      }
    }),
    { numRuns: 1000 },
  );
});

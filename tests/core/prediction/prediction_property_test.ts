/**
 * Properties of the prediction engine over many random sessions:
 * - against a line editor that echoes what it is typed, with the server's frames and echo acks
 *   lagging by random amounts, the drawn screen always shows what the server is about to show;
 * - whatever the server shows, once the echo ack covers every keystroke the drawn screen is
 *   exactly the server's frame: no predicted cell and no predicted cursor are left behind;
 * - at a prompt that does not echo, reached with Enter, nothing typed is ever drawn.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Driver, frame } from "./_driver.ts";
import type { Framebuffer } from "../../../core/terminal/framebuffer.ts";

type Edit = "char" | "del" | "left" | "right";

/** The screen of a line editor: "$ " and the buffer on row 1, the cursor at `at`. */
function editorFrame(width: number, buffer: string, at: number): Framebuffer {
  return frame(width, 5, `\r\n$ ${buffer}\x1b[2;${3 + at}H`);
}

const editArb = fc.record({
  edit: fc.constantFrom<Edit>("char", "char", "char", "del", "left", "right"),
  ch: fc.constantFrom(..."abcxyz AZ09~é".split("")),
  app: fc.boolean(), // arrows in application mode (ESC O) or normal (ESC [)
  screenLag: fc.nat(4),
  ackLag: fc.nat(4),
  ms: fc.nat(400),
});

Deno.test("property: echoed typing, lagging frames: the drawn screen is the one to come", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 16, max: 40 }),
      fc.integer({ min: 20, max: 250 }),
      fc.array(editArb, { maxLength: 40 }),
      (width, sendInterval, edits) => {
        const d = new Driver(editorFrame(width, "", 0), { display: "always", sendInterval });
        // The first echo confirms the epoch.
        d.type("a");
        d.receive(editorFrame(width, "a", 1));
        d.draw();
        let buffer = "a", at = 1;
        const frames = [editorFrame(width, buffer, at)];
        const nums = [d.sent];
        let shown = 0, acked = 0;
        for (const e of edits) {
          // Only what a line editor and the engine agree on; stay clear of the last columns.
          if (e.edit === "char" && 2 + buffer.length < width - 3) {
            buffer = buffer.slice(0, at) + e.ch + buffer.slice(at);
            d.type(e.ch);
            at++;
          } else if (e.edit === "del" && at > 0) {
            buffer = buffer.slice(0, at - 1) + buffer.slice(at);
            d.type("\x7f");
            at--;
          } else if (e.edit === "left" && at > 0) {
            d.type(e.app ? "\x1bOD" : "\x1b[D");
            at--;
          } else if (e.edit === "right" && at < buffer.length) {
            d.type(e.app ? "\x1bOC" : "\x1b[C");
            at++;
          } else continue;
          frames.push(editorFrame(width, buffer, at));
          nums.push(d.sent);
          const newest = frames.length - 1;
          // The server's screen and its echo ack move forward by random amounts, the ack never
          // ahead of the screen it describes.
          shown = Math.max(shown, newest - e.screenLag);
          acked = Math.max(acked, Math.min(shown, newest - e.ackLag));
          d.advance(e.ms);
          d.receive(frames[shown], nums[acked]);
          const drawn = d.draw(), want = frames[newest];
          assert.equal(drawn.rows[1].toText(), want.rows[1].toText());
          assert.deepEqual(drawn.cursor, want.cursor);
        }
        d.receive(frames.at(-1)!, d.sent);
        assert.ok(d.draw().equals(frames.at(-1)!), "confirmed: exactly the server's frame");
        assert.equal(d.engine.active, false);
      },
    ),
    { numRuns: 300 },
  );
});

const KEYS = [
  "a",
  "b",
  " ",
  "é",
  "中",
  "\x7f",
  "\x1b[C",
  "\x1b[D",
  "\x1bOC",
  "\x1bOD",
  "\x1b[A",
  "\r",
  "\t",
  "\x03",
  "\x1b",
  "[",
  "\x1b]0;t\x07",
];
const OUTPUT = [
  "x",
  "yz",
  " ",
  "中",
  "\r\n",
  "\x1b[H",
  "\x1b[2;5H",
  "\x1b[K",
  "\x1b[1;31m",
  "\x1b[m",
];

const sessionArb = fc.record({
  width: fc.integer({ min: 4, max: 30 }),
  height: fc.integer({ min: 2, max: 6 }),
  display: fc.constantFrom("adaptive", "always", "never", "experimental") as fc.Arbitrary<
    "adaptive" | "always" | "never" | "experimental"
  >,
  overwrite: fc.boolean(),
  sendInterval: fc.integer({ min: 20, max: 250 }),
  steps: fc.array(
    fc.record({
      keys: fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 4 }),
      output: fc.option(fc.array(fc.constantFrom(...OUTPUT), { maxLength: 6 })),
      resize: fc.boolean(),
      ackLag: fc.nat(5),
      ms: fc.nat(6000),
    }),
    { maxLength: 30 },
  ),
  final: fc.array(fc.constantFrom(...OUTPUT), { maxLength: 10 }),
});

Deno.test("property: once the echo ack covers every key, the drawn screen is the server's", () => {
  fc.assert(
    fc.property(sessionArb, (s) => {
      let width = s.width;
      let text = "";
      const d = new Driver(frame(width, s.height, text), s);
      for (const step of s.steps) {
        d.type(step.keys.join(""));
        if (step.output) {
          text += step.output.join("");
          if (step.resize) width = width === s.width ? s.width + 1 : s.width;
          const ack = d.sent - BigInt(Math.min(step.ackLag, Number(d.sent)));
          d.receive(frame(width, s.height, text), ack);
        }
        d.advance(step.ms);
        const drawn = d.draw();
        assert.equal(drawn.width, d.server.width);
        if (s.display === "never") assert.equal(drawn, d.server);
      }
      const last = frame(width, s.height, text + s.final.join(""));
      d.receive(last, d.sent);
      assert.ok(d.draw().equals(last), "a predicted cell or cursor was left behind");
      assert.equal(d.engine.active, false);
    }),
    { numRuns: 500 },
  );
});

Deno.test("property: after Enter, at a prompt that does not echo, nothing typed shows", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          ch: fc.constantFrom(..."abcdefXYZ0123456789!@#".split("")),
          ackLag: fc.nat(3),
          ms: fc.nat(500),
        }),
        { minLength: 1, maxLength: 30 },
      ),
      fc.constantFrom("adaptive", "always") as fc.Arbitrary<"adaptive" | "always">,
      (keys, display) => {
        const d = new Driver(frame(40, 5, "\r\n$ "), { display, sendInterval: 150 });
        d.typeEach("su");
        d.receive(frame(40, 5, "\r\n$ su"));
        d.typeEach(" -");
        assert.equal(d.draw().rows[1].toText().trimEnd(), "$ su -", "the shell is predicted");
        d.type("\r");
        const prompt = frame(40, 5, "\r\n$ su -\r\nPassword: ");
        d.receive(prompt);
        for (const k of keys) {
          d.type(k.ch);
          const ack = d.sent - BigInt(Math.min(k.ackLag, Number(d.sent)));
          d.advance(k.ms);
          d.receive(prompt, ack);
          const drawn = d.draw();
          assert.equal(drawn.rows[2].toText().trimEnd(), "Password:");
          assert.deepEqual(drawn.cursor, prompt.cursor);
        }
      },
    ),
    { numRuns: 300 },
  );
});

/**
 * Screens of real programs (vi, less, top, a coloured ls, UTF-8 text; see
 * tests/fixtures/screens/README.md): their recorded pty output, fed in chunks of several sizes
 * through a server emulator, `newFrame` and a client emulator, leaves the client holding the
 * server's frame after every chunk, using only sequences mosh understands.
 */
import assert from "node:assert/strict";
import { checkRoundTrip, EmulatorPool } from "./_roundtrip.ts";
import { unsupported } from "./_tokenizer.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import type { Step } from "./_streams.ts";

const DIR = new URL("../../fixtures/screens/", import.meta.url);
const FIXTURES: [string, number, number][] = [
  ["vi", 80, 24],
  ["less", 80, 24],
  ["top", 80, 24],
  ["ls", 80, 24],
  ["utf8", 40, 12],
];
const pool = new EmulatorPool();

/** `bytes` cut every `size` bytes, or at pseudo-random offsets when `size` is 0. */
function chunks(bytes: Uint8Array, size: number): Step[] {
  const steps: Step[] = [];
  let seed = 12345;
  for (let at = 0; at < bytes.length;) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const n = size || 1 + (seed % 700);
    steps.push({ write: bytes.subarray(at, at + n) });
    at += n;
  }
  return steps;
}

for (const [name, width, height] of FIXTURES) {
  Deno.test(`${name}: the client holds the server's frame after every chunk`, () => {
    const bytes = Deno.readFileSync(new URL(`${name}.bin`, DIR));
    for (const size of [5, 97, 4096, 0]) {
      checkRoundTrip({ width, height, steps: chunks(bytes, size) }, pool, {
        fresh: size === 97 ? "every" : undefined,
        onDiff: (diff) => assert.deepEqual(unsupported(diff), [], `chunks of ${size}`),
      });
    }
    const e = new Emulator(width, height);
    e.write(bytes);
    assert.ok(e.snapshot().toText().trim().length > 0, "the program drew something");
  });
}

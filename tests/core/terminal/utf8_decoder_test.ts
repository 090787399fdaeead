/**
 * The emulator decodes UTF-8 exactly as mosh 1.4.0 does (glibc's `mbrtowc()` byte by byte,
 * U+FFFD and a retry with the last byte on failure), checked against that very loop run on the
 * machine's glibc, on random and on hand-picked byte strings, in one piece and in pieces.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { MoshUtf8Decoder } from "../../../core/terminal/utf8_decoder.ts";
import { WCWIDTH_GLIBC_VERSION } from "../../../core/terminal/wcwidth_table.ts";
import { glibcVersion, moshDecode } from "./_glibc.ts";

const seedEnv = Deno.env.get("DENOMOSH_TERM_SEED");
const params = (numRuns: number) => ({ numRuns, ...(seedEnv ? { seed: Number(seedEnv) } : {}) });

function decode(chunks: Uint8Array[]): number[] {
  const d = new MoshUtf8Decoder();
  const out: number[] = [];
  const target = new Uint32Array(4096);
  for (const c of chunks) out.push(...target.subarray(0, d.decode(c, target)));
  return out;
}

/** Bytes that look like UTF-8 often enough to be interesting: leads, continuations, ASCII. */
const byte = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0xbf }),
  fc.integer({ min: 0xc0, max: 0xff }),
  fc.constantFrom(0xe0, 0xed, 0xf0, 0xf4, 0x9f, 0xa0, 0x80),
);
const validText = fc.string({ unit: "grapheme", maxLength: 20 }).map((s) =>
  new TextEncoder().encode(s)
);
const bytes = fc.oneof(fc.array(byte, { maxLength: 24 }).map((b) => Uint8Array.from(b)), validText);

Deno.test({
  name: "decoding matches mosh's loop over glibc's mbrtowc (property)",
  ignore: glibcVersion() !== WCWIDTH_GLIBC_VERSION,
  fn() {
    fc.assert(
      fc.property(bytes, (b) => assert.deepEqual(decode([b]), moshDecode(b))),
      params(3000),
    );
  },
});

Deno.test("decoding does not depend on where the input is cut (property)", () => {
  fc.assert(
    fc.property(bytes, fc.array(fc.nat(), { maxLength: 5 }), (b, cuts) => {
      const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
      const chunks = [0, ...at].map((start, i) => b.subarray(start, at[i] ?? b.length));
      assert.deepEqual(decode(chunks), decode([b]));
    }),
    params(3000),
  );
});

Deno.test("U+FFFD counts for malformed input, as glibc and mosh produce them", () => {
  const F = 0xfffd;
  const cases: [number[], number[]][] = [
    [[0x80], [F]],
    [[0xc0, 0x80], [F, F]], // C0 is rejected at once
    [[0xc3, 0x41], [F, 0x41]],
    [[0xe2, 0x82, 0x41], [F, 0x41]], // one U+FFFD for the truncated sequence
    [[0xe0, 0x80, 0x80], [F, F]], // overlong: rejected when complete, then the last byte
    [[0xed, 0xa0, 0x80], [F, F]], // surrogate, likewise
    [[0xf4, 0x90, 0x80, 0x80], [F]], // above U+10FFFF: glibc accepts, mosh replaces
    [[0xf8, 0x88, 0x80, 0x80, 0x80], [F]], // five-byte form, likewise
    [[0xfe], [F]],
    [[0xef, 0xbb, 0xbf], [0xfeff]], // the BOM is kept
    [[0xcd, 0xb8], []], // U+0378 is unassigned: drawn as nothing, dropped
    [[0xe2, 0x82], []], // incomplete: waits for more
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(decode([Uint8Array.from(input)]), want, `${input}`);
  }
});

/**
 * The core's inflater against zlib itself: every stream zlib makes (each level and strategy,
 * stored, fixed and dynamic blocks, matches across the whole 32 KiB window) inflates to the
 * same bytes; damaged streams are refused or, where zlib also accepts them, read as zlib reads
 * them; nothing throws; the limit holds.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { constants, deflateSync, inflateSync } from "node:zlib";
import { assertEquals } from "../../_assert.ts";
import { inflate } from "../../../core/network/inflate.ts";
import { toHex } from "../../_hex.ts";

const LIMIT = 1 << 22;
const STRATEGIES = [
  constants.Z_DEFAULT_STRATEGY,
  constants.Z_FILTERED,
  constants.Z_HUFFMAN_ONLY,
  constants.Z_RLE,
  constants.Z_FIXED,
];

/** Inputs deflate treats differently: noise, text with repeats, long runs, far matches. */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.string({ maxLength: 400 }).map((s) => new TextEncoder().encode(s.repeat(5))),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 3000 }))
    .map(([unit, n]) => {
      const out = new Uint8Array(unit.length * n);
      for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
      return out;
    }),
  // A block of noise, 20-40 KiB of other noise, the first block again: matches up to 32 KiB back.
  fc.tuple(fc.uint8Array({ minLength: 300, maxLength: 300 }), fc.integer({ min: 20, max: 40 }))
    .map(([block, kib]) => {
      const gap = Uint8Array.from({ length: kib * 1024 }, (_, i) => (i * 2654435761) >>> 24);
      const out = new Uint8Array(600 + gap.length);
      out.set(block), out.set(gap, 300), out.set(block, 300 + gap.length);
      return out;
    }),
);

/** A zlib stream of `d` as zlib makes it at `level` with `strategy`. */
function zlibStream(d: Uint8Array, level: number, strategy: number): Uint8Array {
  return new Uint8Array(deflateSync(d, { level, strategy }));
}

Deno.test("every stream zlib makes inflates to its data", () => {
  fc.assert(
    fc.property(
      data,
      fc.integer({ min: 0, max: 9 }),
      fc.constantFrom(...STRATEGIES),
      (d, level, strategy) => {
        const r = inflate(zlibStream(d, level, strategy), LIMIT);
        assert.ok(r !== null, `level ${level} strategy ${strategy} refused`);
        assertEquals(toHex(r), toHex(d));
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("a damaged stream is refused, or read as zlib reads it; nothing throws", () => {
  fc.assert(
    fc.property(
      data,
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 3 }),
      fc.nat(),
      (d, level, flips, cut) => {
        const z = zlibStream(d, level, constants.Z_DEFAULT_STRATEGY);
        const bad = z.slice();
        for (const [at, bit] of flips) bad[at % bad.length] ^= 1 << bit;
        const ours = inflate(bad, LIMIT);
        let theirs: Uint8Array | null;
        try {
          theirs = new Uint8Array(inflateSync(bad));
        } catch {
          theirs = null;
        }
        // zlib may read a stream that a flip left valid, and then so must we, identically;
        // the only leeway is the final byte's padding bits, which neither reads.
        if (ours !== null) assertEquals(toHex(ours), toHex(theirs ?? new Uint8Array()));
        if (theirs !== null) assert.ok(ours !== null, "zlib reads it and we refuse");
        const short = cut % z.length;
        assertEquals(inflate(z.subarray(0, short), LIMIT), null, `cut at ${short}`);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("arbitrary bytes after a valid header never throw", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
      const z = new Uint8Array(2 + tail.length);
      z.set([0x78, 0x9c]), z.set(tail, 2);
      const r = inflate(z, 1 << 16);
      assert.ok(r === null || r.length <= 1 << 16);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("inflating stops at the limit: a bomb is refused, the exact size is not", () => {
  for (const size of [0, 1, 1000, 100_000, 1 << 22]) {
    const z = zlibStream(new Uint8Array(size), 9, constants.Z_DEFAULT_STRATEGY);
    assertEquals(inflate(z, size)?.length, size);
    if (size > 0) assertEquals(inflate(z, size - 1), null);
  }
  // 4 MiB + 1 of zeros is some 4 KB on the wire: refused at mosh's 4 MiB.
  const bomb = zlibStream(new Uint8Array((1 << 22) + 1), 9, constants.Z_DEFAULT_STRATEGY);
  assert.ok(bomb.length < 5000);
  assertEquals(inflate(bomb, 1 << 22), null);
});

Deno.test("the header must say deflate without a preset dictionary, and the checksum match", () => {
  const z = zlibStream(new TextEncoder().encode("hello hello hello"), 6, 0);
  assertEquals(new TextDecoder().decode(inflate(z, 100)!), "hello hello hello");
  const gzipLike = z.slice();
  gzipLike[0] = 0x1f;
  assertEquals(inflate(gzipLike, 100), null);
  const withDictionary = z.slice();
  const flg = (withDictionary[1] | 0x20) & 0xe0; // FDICT set, FCHECK made right again
  withDictionary[1] = flg + (31 - ((withDictionary[0] << 8) | flg) % 31) % 31;
  assert.equal(((withDictionary[0] << 8) | withDictionary[1]) % 31, 0);
  assertEquals(inflate(withDictionary, 100), null);
  const badSum = z.slice();
  badSum[badSum.length - 1] ^= 1;
  assertEquals(inflate(badSum, 100), null);
});

/**
 * A zlib stream of "A" in one dynamic block whose literal/length code gives 'A' one bit and
 * end-of-block two; with `complete`, 'B' takes the last two-bit code, else that code is unused.
 * (zlib itself never makes an incomplete code, so the stream is written by hand.)
 */
function handMadeA(complete: boolean): Uint8Array {
  const out: number[] = [0x78, 0x01];
  let acc = 0, n = 0;
  const write = (value: number, bits: number) => {
    acc |= value << n;
    n += bits;
    for (; n >= 8; n -= 8, acc >>>= 8) out.push(acc & 0xff);
  };
  write(1, 1), write(2, 2); // the final block, dynamic codes
  write(0, 5), write(0, 5), write(14, 4); // 257 literal/length codes, 1 distance, 18 lengths
  // The code-length code: symbols 0, 1, 2 and 18 two bits each, in RFC 1951's order.
  for (const s of [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1]) {
    write([0, 1, 2, 18].includes(s) ? 2 : 0, 3);
  }
  // Its codes 00, 01, 10, 11, written first bit first.
  const len = (s: number) => write({ 0: 0, 1: 2, 2: 1, 18: 3 }[s]!, 2);
  const zeros = (k: number) => (len(18), write(k - 11, 7));
  zeros(65), len(1); // 'A': one bit
  if (complete) len(2), zeros(138), zeros(51); // 'B': two bits
  else zeros(138), zeros(52);
  len(2); // end of block: two bits
  len(1); // the one distance code, one bit
  write(0, 1); // 'A' is 0
  write(complete ? 3 : 1, 2); // end of block: 11 with 'B', else 10
  if (n) out.push(acc & 0xff);
  out.push(0x00, 0x42, 0x00, 0x42); // Adler-32 of "A"
  return new Uint8Array(out);
}

Deno.test("an incomplete literal/length code is refused, as zlib refuses it", () => {
  const ok = handMadeA(true), incomplete = handMadeA(false);
  assertEquals(new TextDecoder().decode(inflateSync(ok)), "A");
  assertEquals(new TextDecoder().decode(inflate(ok, 10)!), "A");
  assert.throws(() => inflateSync(incomplete), /invalid/);
  assertEquals(inflate(incomplete, 10), null);
});

Deno.test("each result is memory of its own, not overwritten by the next inflate", () => {
  const a = inflate(zlibStream(new Uint8Array(3000).fill(1), 6, 0), LIMIT)!;
  const b = inflate(zlibStream(new Uint8Array(3000).fill(2), 6, 0), LIMIT)!;
  assert.ok(a.every((x) => x === 1) && b.every((x) => x === 2));
});

import fc from "fast-check";
import { inflateSync } from "node:zlib";
import { assertEquals } from "../../_assert.ts";
import { adler32, deflateFixed } from "../../../core/network/small_zlib.ts";
import { inflate } from "../../../core/network/inflate.ts";
import { compress, decompress, SMALL_INPUT_BYTES } from "../../../core/network/compressor.ts";
import { toHex } from "../../_hex.ts";
import { platform } from "../../_platform.ts";

const LIMIT = 1 << 22;
const data = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.string({ maxLength: 300 }).map((s) => new TextEncoder().encode(s.repeat(3))),
);

Deno.test("our fixed-code streams inflate with zlib itself to the same bytes", () => {
  fc.assert(
    fc.property(data, (d) => {
      const z = deflateFixed(d);
      assertEquals(toHex(new Uint8Array(inflateSync(z))), toHex(d));
      assertEquals(toHex(inflate(z, LIMIT)!), toHex(d));
    }),
    { numRuns: 1000 },
  );
});

Deno.test("corrupt, truncated or oversized streams are refused, never thrown", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.nat(),
      fc.nat(7),
      (d, at, bit) => {
        const z = deflateFixed(d);
        const bad = z.slice();
        bad[at % bad.length] ^= 1 << bit;
        const r = inflate(bad, LIMIT);
        // A flipped bit is caught by the header check, the code, or Adler-32; only a flip in
        // the final byte's padding bits (which deflate ignores) can leave the data intact.
        if (r) assertEquals(toHex(r), toHex(d));
        assertEquals(inflate(z.subarray(0, z.length - 1), LIMIT), null);
        assertEquals(decompress(bad.subarray(0, at % bad.length), platform.zlib), null);
        assertEquals(inflate(z, d.length - 1), null, "over the limit");
      },
    ),
    { numRuns: 1000 },
  );
  assertEquals(adler32(new TextEncoder().encode("Wikipedia")), 0x11e60398);
});

Deno.test("compress picks the small coder for short inputs and zlib for long ones", () => {
  const short = new Uint8Array(SMALL_INPUT_BYTES).fill(65);
  const long = new Uint8Array(SMALL_INPUT_BYTES + 1).fill(65);
  assertEquals(toHex(compress(short, platform.zlib).subarray(0, 2)), "7801");
  assertEquals(toHex(compress(long, platform.zlib).subarray(0, 2)), "789c");
  for (const d of [short, long]) {
    assertEquals(toHex(decompress(compress(d, platform.zlib), platform.zlib)!), toHex(d));
  }
});

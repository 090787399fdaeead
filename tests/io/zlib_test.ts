import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "../_assert.ts";
import { nodeZlib } from "../../io/zlib.ts";
import { toHex } from "../_hex.ts";

Deno.test("node:zlib round-trips any bytes as a 78 9C zlib stream", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
      const z = nodeZlib.deflate(data);
      assertEquals(toHex(z.subarray(0, 2)), "789c");
      assertEquals(toHex(nodeZlib.inflate(z, data.length)!), toHex(data));
    }),
    { numRuns: 300 },
  );
});

Deno.test("inflate stops at the limit and refuses malformed or truncated streams", () => {
  const z = nodeZlib.deflate(new Uint8Array(100_000));
  assertEquals(nodeZlib.inflate(z, 100_000)?.length, 100_000);
  assertEquals(nodeZlib.inflate(z, 99_999), null);
  assertEquals(nodeZlib.inflate(z.subarray(0, z.length - 4), 100_000), null);
  assertEquals(nodeZlib.inflate(new Uint8Array([1, 2, 3, 4]), 100), null);
  assert.equal(nodeZlib.inflate(new Uint8Array(0), 100), null);
});

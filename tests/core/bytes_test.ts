/** The shared slab: every array zeroed, the right size, aligned, and never sharing a byte. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { allocBytes, allocWords, bytesEqual, concatBytes, copyWords } from "../../core/bytes.ts";

Deno.test("property: slab arrays are zeroed, aligned and disjoint, bytes and words alike", () => {
  const request = fc.record({
    words: fc.boolean(),
    n: fc.oneof(fc.nat(64), fc.nat(5000), fc.integer({ min: 16_000, max: 17_000 })),
  });
  fc.assert(
    fc.property(fc.array(request, { minLength: 1, maxLength: 120 }), (requests) => {
      const live: { a: Uint8Array | Uint32Array; mark: number }[] = [];
      requests.forEach(({ words, n }, i) => {
        const a = words ? allocWords(n) : allocBytes(n);
        assert.equal(a.length, n);
        assert.equal(a.byteOffset % 8, 0);
        assert.ok(a.every((x) => x === 0), "a fresh array is zeroed");
        const mark = (i % 250) + 1;
        a.fill(mark);
        live.push({ a, mark });
      });
      for (const { a, mark } of live) assert.ok(a.every((x) => x === mark), "no overlap");
    }),
    { numRuns: 300 },
  );
});

Deno.test("large arrays get their own buffer; small ones share one", () => {
  assert.equal(allocBytes(16 * 1024 + 1).buffer.byteLength, 16 * 1024 + 1);
  assert.equal(allocWords(4097).buffer.byteLength, 4097 * 4);
  const a = allocBytes(10), b = allocWords(10);
  assert.ok(a.buffer.byteLength > 10 && b.buffer.byteLength > 40);
});

Deno.test("copyWords copies a prefix; concatBytes and bytesEqual", () => {
  const src = Uint32Array.from([1, 2, 3, 4]);
  const copy = copyWords(src, 3);
  assert.deepEqual([...copy], [1, 2, 3]);
  src[0] = 9;
  assert.equal(copy[0], 1);
  const joined = concatBytes([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)]);
  assert.ok(bytesEqual(joined, Uint8Array.of(1, 2, 3)));
  assert.ok(!bytesEqual(joined, Uint8Array.of(1, 2)));
  assert.ok(!bytesEqual(joined, Uint8Array.of(1, 2, 4)));
});

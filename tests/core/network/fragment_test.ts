import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "../../_assert.ts";
import {
  decodeFragment,
  encodeFragment,
  type Fragment,
  FragmentAssembly,
  Fragmenter,
  type InstructionKey,
  MAX_ASSEMBLY_BYTES,
  maxChunkBytes,
} from "../../../core/network/fragment.ts";
import { MTU_IPV4, MTU_IPV6 } from "../../../core/network/mtu.ts";
import { toHex } from "../../_hex.ts";

const KEY: InstructionKey = {
  protocolVersion: 2,
  oldNum: 0n,
  newNum: 1n,
  ackNum: 0n,
  throwawayNum: 0n,
  chaff: new Uint8Array([1, 2]),
};

Deno.test("fragment headers carry id, number and final flag big-endian", () => {
  const f = { id: 0x0102030405060708n, num: 0x1234, final: true, contents: new Uint8Array([9]) };
  const bytes = encodeFragment(f);
  assertEquals(toHex(bytes), "0102030405060708" + "9234" + "09");
  assertEquals(decodeFragment(bytes), f);
  assertEquals(decodeFragment(bytes.subarray(0, 9)), "truncated");
});

Deno.test("chunk sizes match mosh: 1214 bytes over IPv4, 1178 over IPv6", () => {
  assertEquals(maxChunkBytes(MTU_IPV4), 1214);
  assertEquals(maxChunkBytes(MTU_IPV6), 1178);
});

Deno.test("the fragmenter numbers ids from 1 and renews them when the envelope changes", () => {
  const fr = new Fragmenter();
  const data = new Uint8Array(3000).map((_, i) => i);
  const frags = fr.makeFragments(KEY, data, MTU_IPV4);
  assertEquals(frags.map((f) => [f.id, f.num, f.final, f.contents.length]), [
    [1n, 0, false, 1214],
    [1n, 1, false, 1214],
    [1n, 2, true, 572],
  ]);
  assertEquals(fr.makeFragments(KEY, data, MTU_IPV4)[0].id, 1n, "same envelope keeps the id");
  assertEquals(fr.makeFragments({ ...KEY, chaff: new Uint8Array([3]) }, data, MTU_IPV4)[0].id, 2n);
  assertEquals(fr.makeFragments({ ...KEY, chaff: new Uint8Array([3]) }, data, MTU_IPV6)[0].id, 3n);
  assertEquals(fr.makeFragments({ ...KEY, ackNum: 5n }, data, MTU_IPV6)[0].id, 4n);
  const empty = fr.makeFragments(KEY, new Uint8Array(0), MTU_IPV4);
  assertEquals(empty.length, 1);
  assert.ok(empty[0].final);
});

Deno.test("reassembly tolerates any order and duplicates, and yields only whole instructions (property)", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 6000 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.integer({ min: 60, max: 1400 }),
      (data, shuffle, mtu) => {
        const frags = new Fragmenter().makeFragments(KEY, data, mtu);
        // Deliver a permutation with some duplicates mixed in.
        const order = frags.map((_, i) => i);
        for (let i = 0; i < shuffle.length; i++) {
          const a = shuffle[i] % order.length, b = (shuffle[i] >> 3) % order.length;
          [order[a], order[b]] = [order[b], order[a]];
          if (shuffle[i] % 3 === 0) order.splice(b, 0, order[a]);
        }
        const asm = new FragmentAssembly();
        // A duplicate arriving after completion may complete the instruction again (as in
        // mosh); the transport ignores a state it already has. Every completion must be whole.
        let completions = 0;
        for (const i of order) {
          const r = asm.add(decodeFragment(encodeFragment(frags[i])) as Fragment);
          assert.ok(typeof r !== "string", `dropped: ${r}`);
          if (r) {
            completions++;
            assertEquals(toHex(r), toHex(data));
          }
        }
        assert.ok(completions >= 1, "never completed");
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("a newer instruction id discards a stale partial one", () => {
  const fr = new Fragmenter();
  const a = fr.makeFragments(KEY, new Uint8Array(2000).fill(1), MTU_IPV4);
  const b = fr.makeFragments({ ...KEY, newNum: 2n }, new Uint8Array(2000).fill(2), MTU_IPV4);
  const asm = new FragmentAssembly();
  assertEquals(asm.add(a[0]), null);
  assertEquals(asm.add(b[1]), null);
  // a's second half cannot complete a: its first half was discarded when b arrived.
  assertEquals(asm.add(a[1]), null);
  assertEquals(asm.add(b[0]), null, "b's first half arrived after a[1] reset the assembly");
  const done = asm.add(b[1]);
  assert.ok(done instanceof Uint8Array);
  assertEquals(done.every((x) => x === 2), true);
});

Deno.test("inconsistent or absurd fragments are dropped with a reason", () => {
  const asm = new FragmentAssembly();
  const id = 7n;
  const c = new Uint8Array([1]);
  assertEquals(asm.add({ id, num: 5, final: false, contents: c }), null);
  assertEquals(asm.add({ id, num: 2, final: true, contents: c }), "fragment", "final before 5");
  assertEquals(asm.add({ id, num: 1, final: true, contents: c }), null);
  assertEquals(asm.add({ id, num: 1, final: false, contents: new Uint8Array([2]) }), "fragment");
  assertEquals(asm.add({ id: 8n, num: 0x7fff, final: false, contents: c }), null);
  // Far more data than any instruction may carry, in many fragments of one id.
  const big = new Uint8Array(60000);
  let last: unknown = null;
  for (let n = 0; n < 0x7fff && last === null; n++) {
    last = asm.add({ id: 9n, num: n, final: false, contents: big });
  }
  assertEquals(last, "assembly-size");
  assert.ok(MAX_ASSEMBLY_BYTES < 60000 * 0x7fff);
});

import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "../../_assert.ts";
import { UserStream } from "../../../core/statesync/user_stream.ts";
import { decodeUserMessage } from "../../../core/statesync/user_message.ts";
import { toHex } from "../../_hex.ts";

const enc = new TextEncoder();

type Event = { keys: string } | { resize: [number, number] };
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ keys: fc.string({ minLength: 1, maxLength: 5 }) }),
  fc.record({
    resize: fc.tuple(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 200 })),
  }),
);

function build(events: Event[], base = new UserStream()): UserStream {
  let s = base;
  for (const e of events) {
    s = "keys" in e ? s.pushKeys(enc.encode(e.keys)) : s.pushResize(...e.resize);
  }
  return s;
}

Deno.test("the first diff of a client is its resize, as mosh 1.4.0 sends it", () => {
  const first = new UserStream().pushResize(80, 24);
  assertEquals(toHex(first.diffFrom(new UserStream())), "0a061a0428503018");
});

Deno.test("keystrokes coalesce into one Keystroke; resizes stay in order between them", () => {
  const s = build([{ keys: "ab" }, { keys: "c" }, { resize: [100, 30] }, { keys: "d" }]);
  assertEquals(decodeUserMessage(s.diffFrom(new UserStream())), [
    { keys: enc.encode("abc") },
    { resize: { width: 100, height: 30 } },
    { keys: enc.encode("d") },
  ]);
});

Deno.test("diff then apply reproduces the newer stream from any prefix (property)", () => {
  fc.assert(
    fc.property(fc.array(event), fc.array(event), (a, b) => {
      const old = build(a);
      const cur = build(b, old);
      const applied = old.apply(cur.diffFrom(old));
      assert.ok(applied);
      assert.ok(applied.equals(cur));
      assert.ok(cur.hasPrefix(old));
      // Subtracting the acknowledged prefix leaves exactly the new events.
      const rest = cur.subtract(old);
      assert.ok(rest.equals(build(b)));
      assert.ok(new UserStream().apply(rest.diffFrom(new UserStream()))!.equals(rest));
      assertEquals(old.diffFrom(old).length, 0);
    }),
    { numRuns: 500 },
  );
});

Deno.test("a stream that is not a prefix is refused loudly (a broken local invariant)", () => {
  const a = build([{ keys: "abc" }]);
  const b = build([{ keys: "abd" }]);
  assert.throws(() => a.diffFrom(b), /not a prefix/);
  assert.throws(() => a.subtract(b), /non-prefix/);
  // A resize the other lacks, placed before its last bytes, breaks the prefix too.
  const c = build([{ keys: "a" }, { resize: [1, 1] }, { keys: "b" }]);
  assert.equal(c.hasPrefix(build([{ keys: "ab" }])), false);
});

Deno.test("a malformed diff applies to nothing", () => {
  assertEquals(new UserStream().apply(new Uint8Array([0x0a, 0x05, 0x12])), null);
});

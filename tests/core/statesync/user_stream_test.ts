import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "../../_assert.ts";
import { UserStream } from "../../../core/statesync/user_stream.ts";
import {
  decodeUserMessage,
  encodeUserMessage,
  type UserInstruction,
} from "../../../core/statesync/user_message.ts";
import { create, setExtension, toBinary } from "@bufbuild/protobuf";
import * as U from "../../../proto/gen/userinput_pb.ts";
import { NaiveUserStream } from "./_naive_user_stream.ts";
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

type Op =
  | { op: "keys"; from: number; keys: Uint8Array }
  | { op: "resize"; from: number; width: number; height: number }
  | { op: "all"; from: number; list: { keys?: Uint8Array; width: number; height: number }[] }
  | { op: "apply"; from: number; base: number }
  | { op: "subtract"; from: number; prefix: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("keys"), from: fc.nat(), keys: fc.uint8Array({ maxLength: 70 }) }),
  fc.record({
    op: fc.constant("resize"),
    from: fc.nat(),
    width: fc.integer({ min: 1, max: 300 }),
    height: fc.integer({ min: 1, max: 100 }),
  }),
  fc.record({
    op: fc.constant("all"),
    from: fc.nat(),
    list: fc.array(
      fc.record({
        keys: fc.option(fc.uint8Array({ maxLength: 5 }), { nil: undefined }),
        width: fc.nat(300),
        height: fc.nat(100),
      }),
      { maxLength: 40 },
    ),
  }),
  fc.record({ op: fc.constant("apply"), from: fc.nat(), base: fc.nat() }),
  fc.record({ op: fc.constant("subtract"), from: fc.nat(), prefix: fc.nat() }),
) as fc.Arbitrary<Op>;

/** Everything a stream shows, for comparing ours with the reference. */
function view(s: UserStream | NaiveUserStream) {
  return { bytes: toHex(s.bytes), resizes: [...s.resizes], size: s.size };
}

Deno.test("property: the shared-array stream equals the naive reference, event for event", () => {
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 60 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }),
      (ops, pairs) => {
        // Both implementations, in lockstep; mostly grown from the newest state, sometimes
        // from an older one (a branch, which must copy), as a transport's states are.
        const ours: UserStream[] = [new UserStream()];
        const ref: NaiveUserStream[] = [new NaiveUserStream()];
        const pick = (n: number) => n % 3 === 0 ? n % ours.length : ours.length - 1;
        for (const o of ops) {
          const i = pick(o.from);
          let a: UserStream, b: NaiveUserStream;
          if (o.op === "keys") [a, b] = [ours[i].pushKeys(o.keys), ref[i].pushKeys(o.keys)];
          else if (o.op === "resize") {
            [a, b] = [ours[i].pushResize(o.width, o.height), ref[i].pushResize(o.width, o.height)];
          } else if (o.op === "all") {
            const list: UserInstruction[] = o.list.map((e) =>
              e.keys ? { keys: e.keys } : { resize: { width: e.width, height: e.height } }
            );
            [a, b] = [ours[i].pushAll(list), ref[i].pushAll(list)];
          } else {
            const j = o.op === "apply" ? o.base % ours.length : o.prefix % ours.length;
            if (!ref[i].hasPrefix(ref[j])) continue;
            if (o.op === "apply") {
              // The diff from state j to state i, applied to j: the wire bytes are the same.
              const diff = ours[i].diffFrom(ours[j]);
              assertEquals(toHex(diff), toHex(ref[i].diffFrom(ref[j])));
              [a, b] = [ours[j].apply(diff)!, ref[j].apply(diff)!];
            } else [a, b] = [ours[i].subtract(ours[j]), ref[i].subtract(ref[j])];
          }
          assertEquals(view(a), view(b));
          ours.push(a);
          ref.push(b);
        }
        for (const [x, y] of pairs) {
          const i = x % ours.length, j = y % ours.length;
          const prefix = ref[i].hasPrefix(ref[j]);
          assert.equal(ours[i].hasPrefix(ours[j]), prefix);
          assert.equal(ours[i].equals(ours[j]), ref[i].equals(ref[j]));
          if (prefix) {
            assertEquals(toHex(ours[i].diffFrom(ours[j])), toHex(ref[i].diffFrom(ref[j])));
            assertEquals(view(ours[i].subtract(ours[j])), view(ref[i].subtract(ref[j])));
          } else assert.throws(() => ours[i].diffFrom(ours[j]), /not a prefix/);
        }
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("60,000 one-byte Keystroke instructions (and resizes) apply in one diff", () => {
  const N = 60_000;
  const list: UserInstruction[] = [];
  let typed = "";
  for (let i = 0; i < N; i++) {
    if (i % 1000 === 999) list.push({ resize: { width: 80 + i % 7, height: 24 } });
    else {
      const c = String.fromCharCode(97 + i % 26);
      typed += c;
      list.push({ keys: enc.encode(c) });
    }
  }
  const diff = encodeUserMessage(list);
  const s = new UserStream().pushResize(80, 24).apply(diff);
  assert.ok(s);
  assert.equal(s.size, N + 1);
  assert.equal(new TextDecoder().decode(s.bytes), typed);
  assert.equal(s.resizes.length, N / 1000 + 1);
  assertEquals(s.resizes[1], { at: 999, width: 80 + 999 % 7, height: 24 });
  // What the server reads back is the same events, coalesced as mosh sends them, in
  // protobuf-es's bytes.
  const since = s.diffFrom(new UserStream().pushResize(80, 24));
  const coalesced = create(U.UserMessageSchema, {
    instruction: s.eventsSince(new UserStream().pushResize(80, 24)).map((item) => {
      const inst = create(U.InstructionSchema);
      if ("keys" in item) {
        setExtension(inst, U.keystroke, create(U.KeystrokeSchema, { keys: item.keys }));
      } else if ("resize" in item) {
        setExtension(inst, U.resize, create(U.ResizeMessageSchema, item.resize));
      }
      return inst;
    }),
  });
  assert.equal(coalesced.instruction.length, 2 * (N / 1000)); // 60 runs of keys, 60 resizes
  assertEquals(toHex(since), toHex(toBinary(U.UserMessageSchema, coalesced)));
  // Acknowledging a prefix leaves the rest.
  const half = new UserStream().pushResize(80, 24).apply(encodeUserMessage(list.slice(0, N / 2)))!;
  const rest = s.subtract(half);
  assert.equal(rest.size, N / 2);
  assert.equal(new TextDecoder().decode(rest.bytes), typed.slice(half.bytes.length));
});

Deno.test("a stream built from bytes and resizes is the same as one typed", () => {
  const typed = build([{ resize: [80, 24] }, { keys: "ab" }, { resize: [90, 30] }]);
  const made = new UserStream(enc.encode("ab"), [
    { at: 0, width: 80, height: 24 },
    { at: 2, width: 90, height: 30 },
  ]);
  assert.ok(made.equals(typed) && typed.equals(made));
  const resizesOnly = new UserStream(undefined, [{ at: 0, width: 1, height: 2 }]);
  assertEquals(resizesOnly.resizes, [{ at: 0, width: 1, height: 2 }]);
  // Building one never changes the empty stream others start from.
  assertEquals(new UserStream().size, 0);
  const x = enc.encode("x");
  assertEquals(
    toHex(resizesOnly.pushKeys(x).diffFrom(resizesOnly)),
    toHex(new UserStream().pushKeys(x).diffFrom(new UserStream())),
  );
});

/**
 * Instructions as a key holder may forge them (see `_forger.ts`): envelopes with any numbers,
 * UserMessage diffs valid, mutated or random, and random protobuf, shared by the in-process
 * instruction fuzzer and the one against the real daemon.
 */
import type { Instruction } from "../../core/network/instruction.ts";
import { encodeUserMessage, type UserInstruction } from "../../core/statesync/user_message.ts";
import type { Rng } from "../sim/random.ts";
import { pick, randomBytes } from "./_fuzz.ts";
import { BYTE_MUTATIONS, mutate } from "./_mutate.ts";

/** 2^64 - 1, the largest state number (and the one that means "shutting down"). */
export const U64 = (1n << 64n) - 1n;

/** An instruction of protocol version 2 from `oldNum` to `newNum` carrying `diff`. */
export function envelope(
  oldNum: bigint,
  newNum: bigint,
  diff: Uint8Array,
  throwawayNum = 0n,
): Instruction {
  return {
    protocolVersion: 2,
    oldNum,
    newNum,
    ackNum: 0n,
    throwawayNum,
    diff,
    chaff: new Uint8Array(0),
  };
}

// ---- random protobuf ----

function varint(v: bigint): number[] {
  const out: number[] = [];
  v = BigInt.asUintN(64, v);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A state number: small, at an edge, or anywhere in 64 bits. */
export function randomU64(rng: Rng): bigint {
  const r = rng.next();
  if (r < 0.3) return BigInt(rng.int(0, 10));
  if (r < 0.4) {
    return pick(rng, [U64, U64 - 1n, 1n << 63n, 1n << 32n, (1n << 32n) + 2n, 0xffffffffn]);
  }
  return (BigInt(rng.int(0, 2 ** 31)) << 33n) ^ BigInt(rng.int(0, 2 ** 31));
}

/** Random protobuf: the field numbers mosh's schemas use, every wire type, nested messages. */
export function randomProto(rng: Rng, depth: number): Uint8Array {
  const out: number[] = [];
  for (let n = rng.int(0, 5); n > 0; n--) {
    const field = rng.chance(0.85) ? rng.int(1, 8) : rng.int(0, 2 ** 29 - 1);
    const wire = rng.chance(0.9) ? pick(rng, [0, 2, 2]) : rng.int(0, 7);
    out.push(...varint(BigInt(field) << 3n | BigInt(wire)));
    if (wire === 0) out.push(...varint(randomU64(rng)));
    else if (wire === 2) {
      const body = depth > 0 && rng.chance(0.6)
        ? randomProto(rng, depth - 1)
        : randomBytes(rng, rng.int(0, 12));
      out.push(...varint(BigInt(rng.chance(0.95) ? body.length : rng.int(0, 1000))), ...body);
    } else if (wire === 1) out.push(...randomBytes(rng, rng.chance(0.9) ? 8 : rng.int(0, 8)));
    else if (wire === 5) out.push(...randomBytes(rng, rng.chance(0.9) ? 4 : rng.int(0, 4)));
  }
  return Uint8Array.from(out);
}

/** `data` after one or two byte-level mutations (`other` for splices), at most 3,000 bytes. */
export function mutated(rng: Rng, data: Uint8Array, other: Uint8Array): Uint8Array {
  let out = data;
  for (let n = rng.int(1, 2); n > 0; n--) out = mutate(rng, pick(rng, BYTE_MUTATIONS), out, other);
  return out.length > 3000 ? out.subarray(0, 3000) : out;
}

// ---- diffs ----

/** A UserMessage diff: valid, mutated, random protobuf or random bytes, and which. */
export function userDiff(rng: Rng): { diff: Uint8Array; kind: string } {
  const valid = () => {
    const list: UserInstruction[] = [];
    for (let n = rng.int(1, 4); n > 0; n--) {
      list.push(
        rng.chance(0.8)
          ? { keys: randomBytes(rng, rng.int(0, 20)) }
          : { resize: { width: rng.int(-5, 5000), height: rng.int(-5, 5000) } },
      );
    }
    return encodeUserMessage(list);
  };
  const r = rng.next();
  if (r < 0.3) return { diff: valid(), kind: "diff-valid" };
  if (r < 0.6) return { diff: mutated(rng, valid(), valid()), kind: "diff-mutated" };
  if (r < 0.8) return { diff: randomProto(rng, 3), kind: "diff-proto" };
  return { diff: randomBytes(rng, rng.int(1, 60)), kind: "diff-random" };
}

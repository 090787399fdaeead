/**
 * Mutations of valid datagrams, and the drop reason a mutated datagram must get.
 */
import type { Rng } from "../sim/random.ts";
import { NONCE_TAIL_BYTES, RECEIVE_MTU } from "../../core/network/datagram.ts";
import { TAG_BYTES } from "../../core/crypto/ocb.ts";
import type { DropReason } from "../../core/network/drop.ts";
import { pick, randomBytes } from "./_fuzz.ts";

/** The longest datagram the fuzzers make: past mosh's 2,048-byte receive buffer. */
export const MAX_FUZZ_LENGTH = 2100;

/** The operators that treat their input as plain bytes, for any serialized message. */
export const BYTE_MUTATIONS = [
  "bitflip",
  "byte",
  "truncate",
  "extend",
  "splice",
  "insert",
  "delete",
] as const;
/** The names of the mutation operators, for the tally: the byte ones and datagram-aware ones. */
export const MUTATIONS = [...BYTE_MUTATIONS, "direction-bit", "seq", "tag"] as const;
/** One mutation operator. */
export type Mutation = typeof MUTATIONS[number];

/** `data` changed by `op`; `other` is a second valid datagram for splices. */
export function mutate(rng: Rng, op: Mutation, data: Uint8Array, other: Uint8Array): Uint8Array {
  const out = data.slice();
  switch (op) {
    case "bitflip": {
      for (let n = rng.int(1, 8); n > 0 && out.length; n--) {
        out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
      }
      return out;
    }
    case "byte": {
      for (let n = rng.int(1, 4); n > 0 && out.length; n--) {
        out[rng.int(0, out.length - 1)] = rng.int(0, 255);
      }
      return out;
    }
    case "truncate":
      return out.subarray(0, rng.int(0, Math.max(0, out.length - 1)));
    case "extend": {
      const add = rng.chance(0.5) ? rng.int(1, 16) : rng.int(1, MAX_FUZZ_LENGTH - out.length);
      const ext = new Uint8Array(out.length + Math.max(1, add));
      ext.set(out);
      rng.fill(ext.subarray(out.length));
      return ext;
    }
    case "splice": {
      const a = rng.int(0, out.length), b = rng.int(0, other.length);
      const s = new Uint8Array(a + other.length - b);
      s.set(out.subarray(0, a));
      s.set(other.subarray(b), a);
      return s;
    }
    case "insert": {
      const at = rng.int(0, out.length), bytes = randomBytes(rng, rng.int(1, 32));
      const s = new Uint8Array(out.length + bytes.length);
      s.set(out.subarray(0, at));
      s.set(bytes, at);
      s.set(out.subarray(at), at + bytes.length);
      return s;
    }
    case "delete": {
      const at = rng.int(0, out.length), n = rng.int(1, 32);
      const s = new Uint8Array(out.length - Math.min(n, out.length - at));
      s.set(out.subarray(0, at));
      s.set(out.subarray(at + n), at);
      return s;
    }
    case "direction-bit":
      if (out.length) out[0] ^= 0x80;
      return out;
    case "seq": {
      // Another sequence number in the nonce (the tag no longer matches it).
      if (out.length) {
        out[rng.int(0, Math.min(out.length, NONCE_TAIL_BYTES) - 1)] ^= rng.int(1, 255);
      }
      return out;
    }
    case "tag": {
      const from = Math.max(0, out.length - TAG_BYTES);
      rng.fill(out.subarray(from));
      if (out.length) out[out.length - 1] ^= 0x01;
      return out;
    }
  }
}

/** One to three random mutations. */
export function mutateRandomly(
  rng: Rng,
  data: Uint8Array,
  other: Uint8Array,
  used: (op: Mutation) => void,
): Uint8Array {
  let out = data;
  for (let n = rng.int(1, 3); n > 0; n--) {
    const op = pick(rng, MUTATIONS);
    used(op);
    out = mutate(rng, op, out, other);
  }
  return out;
}

/**
 * The reason an unauthentic datagram of `length` bytes is dropped: too long for mosh's buffer,
 * too short for a nonce and a tag, or failing authentication.
 */
export function unauthenticReason(length: number): DropReason {
  if (length > RECEIVE_MTU) return "oversize";
  if (length < NONCE_TAIL_BYTES + TAG_BYTES) return "short";
  return "auth";
}

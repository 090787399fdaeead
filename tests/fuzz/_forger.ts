/**
 * A peer that holds the session key and sends whatever it likes: datagrams with any payload,
 * fragments with any header, instructions with any fields, compressed or not. With it the
 * fuzzers reach every stage behind authentication. And a reference model of what a receiver
 * must do with a whole instruction, to say what each forged one must lead to.
 */
import type { Base64Key } from "../../core/crypto/key.ts";
import { DatagramCodec, Direction, NO_TIMESTAMP } from "../../core/network/datagram.ts";
import { encodeFragment, type Fragment, maxChunkBytes } from "../../core/network/fragment.ts";
import { MTU_IPV4 } from "../../core/network/mtu.ts";
import { decodeInstruction } from "../../core/network/instruction.ts";
import type { DropReason } from "../../core/network/drop.ts";
import type { SyncState } from "../../core/statesync/state.ts";
import { platform } from "../_platform.ts";

/** Seals what it is given, numbered like a real peer's datagrams. */
export class Forger {
  readonly #codec: DatagramCodec;
  readonly #direction: Direction;
  seq = 0n;
  /**
   * The timestamp reply its datagrams carry; a peer that echoes the receiver's timestamps here
   * lets it measure the round trip (and so pace its answers as to a real client).
   */
  timestampReply: number = NO_TIMESTAMP;
  #nextId = 1n << 40n;

  /** @param toServer which way its datagrams go (the receiver's expected direction) */
  constructor(key: Base64Key, toServer: boolean) {
    this.#codec = new DatagramCodec(key, platform);
    this.#direction = toServer ? Direction.ToServer : Direction.ToClient;
  }

  /** An authentic datagram carrying `payload`. */
  datagram(payload: Uint8Array): Uint8Array {
    return this.#codec.seal({
      seq: this.seq++,
      direction: this.#direction,
      timestamp: NO_TIMESTAMP,
      timestampReply: this.timestampReply,
      payload,
    });
  }

  /** An authentic datagram carrying one fragment. */
  fragment(f: Fragment): Uint8Array {
    return this.datagram(encodeFragment(f));
  }

  /** A fresh instruction id. */
  newId(): bigint {
    return this.#nextId++;
  }

  /** The datagrams that carry `compressed` as one instruction, cut as mosh cuts it. */
  whole(compressed: Uint8Array): Uint8Array[] {
    const id = this.newId(), chunk = maxChunkBytes(MTU_IPV4);
    const count = Math.max(1, Math.ceil(compressed.length / chunk));
    return Array.from({ length: count }, (_, i) =>
      this.fragment({
        id,
        num: i,
        final: i === count - 1,
        contents: compressed.subarray(i * chunk, (i + 1) * chunk),
      }));
  }
}

/** What a receiver must do with one whole instruction. */
export interface Expected<S> {
  /** The drop it is counted under, if any. */
  drop?: DropReason;
  /** Whether it brings a new newest state. */
  fresh: boolean;
  /** The state it brings (newest or stored out of order). */
  state?: S;
  num?: bigint;
}

/**
 * The receiving half of mosh's transport (docs/protocol.md §9), written out plainly: the
 * numbered states the receiver holds, and what a whole instruction does to them. The quench
 * past 1,024 states is left out; the fuzzers stay under it.
 */
export class ReceiverModel<S extends SyncState<S>> {
  states: { num: bigint; state: S }[];

  constructor(initial: S) {
    this.states = [{ num: 0n, state: initial }];
  }

  /** The newest state received in order. */
  get latest(): { num: bigint; state: S } {
    return this.states[this.states.length - 1];
  }

  /** Whether a state of this number is held. */
  has(num: bigint): boolean {
    return this.states.some((s) => s.num === num);
  }

  /** What `Transport.takeRemoteDiff` does to the states: drops what all of them share. */
  subtractOldest(): void {
    const oldest = this.states[0].state;
    for (const s of this.states) s.state = s.state.subtract(oldest);
  }

  /** What the compressed instruction `whole` must do, and does to the model. */
  take(whole: Uint8Array): Expected<S> {
    const inst = decodeInstruction(whole, platform.zlib);
    if (typeof inst === "string") return { drop: inst, fresh: false };
    if (this.has(inst.newNum)) return { fresh: false };
    const reference = this.states.find((s) => s.num === inst.oldNum);
    if (!reference) return { fresh: false };
    const keep = this.states.filter((s) => s.num >= inst.throwawayNum);
    this.states = keep.length ? keep : [this.latest];
    let state = reference.state;
    if (inst.diff.length) {
      const applied = state.apply(inst.diff);
      if (applied === null) return { drop: "diff", fresh: false };
      state = applied;
    }
    const entry = { num: inst.newNum, state };
    const later = this.states.findIndex((s) => s.num > inst.newNum);
    if (later !== -1) {
      this.states.splice(later, 0, entry);
      return { fresh: false, state, num: inst.newNum };
    }
    this.states.push(entry);
    return { fresh: true, state, num: inst.newNum };
  }
}

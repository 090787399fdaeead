/**
 * Fragments: how one compressed instruction is cut to fit datagrams, and put back together.
 *
 * ```
 * fragment = instruction id (8, big-endian) || final flag (bit 15) | number (bits 0-14) (2)
 *            || chunk
 * ```
 * See docs/protocol.md §2.5, §3. The receiver holds one instruction at a time: a fragment of
 * another id discards whatever was collected (it is stale, or the peer moved on).
 *
 * @module
 */

import { allocBytes, bytesEqual, concatBytes } from "../bytes.ts";
import type { DropReason } from "./drop.ts";
import { DATAGRAM_OVERHEAD } from "./datagram.ts";
import { MAX_INFLATED_BYTES } from "./compressor.ts";

/** Bytes of the fragment header: id and number. */
export const FRAGMENT_HEADER_BYTES = 10;
/** The largest fragment number: 15 bits. */
export const MAX_FRAGMENT_NUM = 0x7fff;
/**
 * The most compressed bytes one instruction may carry. zlib never expands data by more than a
 * few bytes per 16 KiB, so an instruction within mosh's 4 MiB inflation limit fits in this.
 */
export const MAX_ASSEMBLY_BYTES = MAX_INFLATED_BYTES + 64 * 1024;

/** One piece of an instruction. */
export interface Fragment {
  id: bigint;
  num: number;
  final: boolean;
  contents: Uint8Array;
}

/** The bytes of a fragment, the payload of one datagram. */
export function encodeFragment(f: Fragment): Uint8Array {
  const out = allocBytes(FRAGMENT_HEADER_BYTES + f.contents.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setBigUint64(0, f.id);
  view.setUint16(8, (f.final ? 0x8000 : 0) | f.num);
  out.set(f.contents, FRAGMENT_HEADER_BYTES);
  return out;
}

/**
 * Parses a datagram's payload as a fragment.
 * @returns the fragment, or "truncated" when it is shorter than the header
 */
export function decodeFragment(payload: Uint8Array): Fragment | DropReason {
  if (payload.length < FRAGMENT_HEADER_BYTES) return "truncated";
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const word = view.getUint16(8);
  return {
    id: view.getBigUint64(0),
    num: word & MAX_FRAGMENT_NUM,
    final: (word & 0x8000) !== 0,
    contents: payload.subarray(FRAGMENT_HEADER_BYTES),
  };
}

/** The most chunk bytes a fragment may carry in a datagram of `mtu` bytes. */
export function maxChunkBytes(mtu: number): number {
  return mtu - DATAGRAM_OVERHEAD - FRAGMENT_HEADER_BYTES;
}

/** The envelope fields that decide whether an instruction needs a new id. */
export interface InstructionKey {
  protocolVersion: number;
  oldNum: bigint;
  newNum: bigint;
  ackNum: bigint;
  throwawayNum: bigint;
  chaff: Uint8Array;
}

/**
 * Cuts compressed instructions into fragments. The id changes whenever the envelope or the MTU
 * does, as mosh's does; since every send carries fresh random chaff, in practice every send
 * has a new id, and the first id is 1.
 */
export class Fragmenter {
  #nextId = 0n;
  #last: InstructionKey | undefined;
  #lastMtu = -1;

  /**
   * @param key the instruction's envelope
   * @param compressed its serialized, compressed bytes
   * @param mtu the datagram size to fit
   */
  makeFragments(key: InstructionKey, compressed: Uint8Array, mtu: number): Fragment[] {
    const chunk = maxChunkBytes(mtu);
    if (chunk <= 0) throw new RangeError(`MTU ${mtu} leaves no room for a fragment`);
    const last = this.#last;
    if (
      !last || last.oldNum !== key.oldNum || last.newNum !== key.newNum ||
      last.ackNum !== key.ackNum || last.throwawayNum !== key.throwawayNum ||
      last.protocolVersion !== key.protocolVersion || !bytesEqual(last.chaff, key.chaff) ||
      this.#lastMtu !== mtu
    ) {
      this.#nextId++;
    }
    this.#last = { ...key, chaff: key.chaff.slice() };
    this.#lastMtu = mtu;
    const count = Math.max(1, Math.ceil(compressed.length / chunk));
    if (count - 1 > MAX_FRAGMENT_NUM) throw new RangeError("instruction too large to fragment");
    const out: Fragment[] = [];
    for (let i = 0; i < count; i++) {
      out.push({
        id: this.#nextId,
        num: i,
        final: i === count - 1,
        contents: compressed.subarray(i * chunk, (i + 1) * chunk),
      });
    }
    return out;
  }
}

/** Collects the fragments of one instruction at a time. */
export class FragmentAssembly {
  #id: bigint | undefined;
  #parts = new Map<number, Uint8Array>();
  #bytes = 0;
  #total = -1;

  /**
   * Adds a fragment.
   * @returns the whole compressed instruction once every piece has arrived, null while some
   *   are missing, or why the fragment (and its partial instruction) was dropped
   */
  add(f: Fragment): Uint8Array | null | DropReason {
    if (f.id !== this.#id) this.#reset(f.id);
    const have = this.#parts.get(f.num);
    if (have !== undefined) {
      // mosh asserts that a duplicate is identical; from the network we only refuse it.
      if (!bytesEqual(have, f.contents)) return this.#reject("fragment");
    } else {
      if (this.#total !== -1 && f.num >= this.#total) return this.#reject("fragment");
      this.#bytes += f.contents.length;
      if (this.#bytes > MAX_ASSEMBLY_BYTES) return this.#reject("assembly-size");
      this.#parts.set(f.num, f.contents.slice());
    }
    if (f.final) {
      if (this.#total !== -1 && this.#total !== f.num + 1) return this.#reject("fragment");
      for (const n of this.#parts.keys()) if (n > f.num) return this.#reject("fragment");
      this.#total = f.num + 1;
    }
    if (this.#total === -1 || this.#parts.size !== this.#total) return null;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < this.#total; i++) parts.push(this.#parts.get(i)!);
    this.#reset(undefined);
    return concatBytes(parts);
  }

  #reset(id: bigint | undefined): void {
    this.#id = id;
    this.#parts = new Map();
    this.#bytes = 0;
    this.#total = -1;
  }

  #reject(reason: DropReason): DropReason {
    this.#reset(undefined);
    return reason;
  }
}

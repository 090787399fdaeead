/**
 * The outer layer of a mosh 1.4.0 datagram: the nonce, the direction bit, the sequence number,
 * the two 16-bit timestamps and AES-128-OCB around them.
 *
 * ```
 * wire      = nonce tail (8) || OCB ciphertext (n) || OCB tag (16)
 * nonce     = 00 00 00 00 || nonce tail; tail = big-endian (direction << 63) | seq
 * plaintext = timestamp (2) || timestamp reply (2) || payload (a fragment)
 * ```
 * See mosh-protocol.md §1.3, §2.1.
 *
 * @module
 */

import { Ocb, TAG_BYTES } from "../crypto/ocb.ts";
import type { Base64Key } from "../crypto/key.ts";
import type { Platform } from "../platform.ts";
import { allocBytes } from "../bytes.ts";
import type { DropReason } from "./drop.ts";

/** Bytes of the nonce that travel on the wire. */
export const NONCE_TAIL_BYTES = 8;
/** Bytes of the two timestamps at the head of the plaintext. */
export const TIMESTAMPS_BYTES = 4;
/** Bytes a datagram adds around its payload: nonce tail, timestamps and tag (12 + 16). */
export const DATAGRAM_OVERHEAD = NONCE_TAIL_BYTES + TIMESTAMPS_BYTES + TAG_BYTES;
/** mosh's receive buffer (`Session::RECEIVE_MTU`); anything longer is refused. */
export const RECEIVE_MTU = 2048;
/** The timestamp value that means "none". */
export const NO_TIMESTAMP = 0xffff;

/** Which way a datagram travels; the bit keeps the two directions' nonces apart. */
export const Direction = { ToServer: 0, ToClient: 1 } as const;
/** 0 for client to server, 1 for server to client. */
export type Direction = typeof Direction[keyof typeof Direction];

/** The highest sequence number: 63 bits. */
export const MAX_SEQ = (1n << 63n) - 1n;

/** One decrypted datagram. */
export interface Packet {
  /** The 63-bit per-process datagram counter. */
  seq: bigint;
  direction: Direction;
  /** The sender's clock, milliseconds mod 65536; never 0xFFFF. */
  timestamp: number;
  /** An echo of the peer's timestamp, advanced by the holding time, or 0xFFFF. */
  timestampReply: number;
  /** The fragment this datagram carries. */
  payload: Uint8Array;
}

/** Seals and opens datagrams under one session key. */
export class DatagramCodec {
  readonly #ocb: Ocb;
  readonly #nonce = new Uint8Array(12);
  readonly #nonceView = new DataView(this.#nonce.buffer);
  #plain = new Uint8Array(RECEIVE_MTU);

  /**
   * @param key the session key; the cipher is keyed from a copy that is zeroed at once
   * @param platform supplies the block cipher
   */
  constructor(key: Base64Key, platform: Pick<Platform, "blockCipher">) {
    const bytes = key.bytes;
    try {
      this.#ocb = new Ocb(platform.blockCipher(bytes));
    } finally {
      bytes.fill(0);
    }
  }

  /** Wipes the key schedule and the plaintext scratch; the codec is unusable afterwards. */
  destroy(): void {
    this.#ocb.destroy();
    this.#plain.fill(0);
  }

  /** The wire bytes of `packet`. */
  seal(packet: Packet): Uint8Array {
    if (packet.seq < 0n || packet.seq > MAX_SEQ) {
      throw new RangeError(`sequence number out of range: ${packet.seq}`);
    }
    const tail = (BigInt(packet.direction) << 63n) | packet.seq;
    this.#nonceView.setBigUint64(4, tail);
    const plainLength = TIMESTAMPS_BYTES + packet.payload.length;
    if (this.#plain.length < plainLength) this.#plain = new Uint8Array(plainLength);
    const plain = this.#plain.subarray(0, plainLength);
    plain[0] = packet.timestamp >>> 8;
    plain[1] = packet.timestamp & 0xff;
    plain[2] = packet.timestampReply >>> 8;
    plain[3] = packet.timestampReply & 0xff;
    plain.set(packet.payload, TIMESTAMPS_BYTES);
    const wire = allocBytes(NONCE_TAIL_BYTES + plainLength + TAG_BYTES);
    wire.set(this.#nonce.subarray(4));
    this.#ocb.sealInto(this.#nonce, plain, wire, NONCE_TAIL_BYTES);
    return wire;
  }

  /**
   * Authenticates and decrypts `wire`, which must travel in direction `expect`.
   * @returns the packet, or why it was dropped
   */
  open(wire: Uint8Array, expect: Direction): Packet | DropReason {
    if (wire.length > RECEIVE_MTU) return "oversize";
    if (wire.length < NONCE_TAIL_BYTES + TAG_BYTES) return "short";
    this.#nonce.set(wire.subarray(0, NONCE_TAIL_BYTES), 4);
    const plain = this.#ocb.open(this.#nonce, wire.subarray(NONCE_TAIL_BYTES));
    if (plain === null) return "auth";
    const tail = this.#nonceView.getBigUint64(4);
    const direction = Number(tail >> 63n) as Direction;
    if (direction !== expect) return "direction";
    if (plain.length < TIMESTAMPS_BYTES) return "truncated";
    return {
      seq: tail & MAX_SEQ,
      direction,
      timestamp: (plain[0] << 8) | plain[1],
      timestampReply: (plain[2] << 8) | plain[3],
      payload: plain.subarray(TIMESTAMPS_BYTES),
    };
  }
}

/** The 16-bit timestamp of a millisecond clock reading; 0xFFFF is reserved, so it becomes 0. */
export function timestamp16(nowMs: number): number {
  const ts = Math.floor(nowMs) & 0xffff;
  return ts === NO_TIMESTAMP ? 0 : ts;
}

/** `a - b` on the 16-bit timestamp circle, in 0..65535. */
export function timestampDiff(a: number, b: number): number {
  return (a - b) & 0xffff;
}

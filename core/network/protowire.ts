/**
 * A minimal protobuf wire reader and writer for mosh's three small messages.
 *
 * The schemas live in `proto/` and protobuf-es generates their TypeScript (`deno task proto`);
 * that generated code is the reference our tests compare against, byte for byte. The hot
 * path uses this hand-written codec instead because protobuf-es builds extension containers
 * for every UserMessage and HostMessage instruction, which cost more than sealing the whole
 * datagram. Only what the three schemas use is here: varints (uint32, uint64, int32) and
 * length-delimited fields; anything else in the input is skipped by wire type, as protobuf
 * requires.
 *
 * @module
 */

import { allocBytes } from "../bytes.ts";

/** Protobuf wire types. */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Appends protobuf fields to a growing buffer. */
export class ProtoWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 64) {
    this.#buf = allocBytes(capacity);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = allocBytes(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Appends a raw varint of a non-negative bigint or number. */
  varint(value: number | bigint): this {
    this.#reserve(10);
    if (typeof value === "number" && value >= 0 && value < 2 ** 31) {
      let v = value;
      while (v >= 0x80) {
        this.#buf[this.#len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.#buf[this.#len++] = v;
      return this;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
    return this;
  }

  /** A varint field (uint32, uint64, or int32 as its 64-bit two's complement). */
  uint(field: number, value: number | bigint): this {
    return this.varint(field << 3 | WIRE_VARINT).varint(value);
  }

  /** A length-delimited field. */
  bytes(field: number, value: Uint8Array): this {
    this.varint(field << 3 | WIRE_LEN).varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
    return this;
  }

  /** The bytes written so far (a view of the writer's own buffer; write no more after). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** A field read by {@link ProtoReader.next}. */
export interface ProtoField {
  field: number;
  wire: number;
  /** The value of a varint field. */
  varint: bigint;
  /** The contents of a length-delimited field. */
  bytes: Uint8Array;
}

/** A malformed protobuf input. */
export class ProtoError extends Error {
  override name = "ProtoError";
}

/** Reads protobuf fields one at a time; throws {@link ProtoError} on malformed input. */
export class ProtoReader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  #varint(): bigint {
    let result = 0n;
    let small = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#buf.length) throw new ProtoError("truncated varint");
      const b = this.#buf[this.#pos++];
      if (shift < 28) small |= (b & 0x7f) << shift;
      else result |= BigInt(b & 0x7f) << BigInt(shift);
      shift += 7;
      if (!(b & 0x80)) return result | BigInt(small >>> 0);
    }
    throw new ProtoError("varint longer than 10 bytes");
  }

  /** The next field, or null at the end of the input. */
  next(): ProtoField | null {
    if (this.#pos >= this.#buf.length) return null;
    const tag = this.#varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) throw new ProtoError("field number 0");
    let varint = 0n;
    let bytes: Uint8Array = EMPTY;
    switch (wire) {
      case WIRE_VARINT:
        varint = BigInt.asUintN(64, this.#varint());
        break;
      case WIRE_I64:
        this.#skip(8);
        break;
      case WIRE_LEN: {
        const len = this.#varint();
        if (len > BigInt(this.#buf.length - this.#pos)) throw new ProtoError("truncated field");
        const n = Number(len);
        bytes = this.#buf.subarray(this.#pos, this.#pos + n);
        this.#pos += n;
        break;
      }
      case WIRE_I32:
        this.#skip(4);
        break;
      default:
        // Groups (3, 4) are not used by mosh's schemas; 6 and 7 do not exist.
        throw new ProtoError(`unsupported wire type ${wire}`);
    }
    return { field, wire, varint, bytes };
  }

  #skip(n: number): void {
    if (this.#pos + n > this.#buf.length) throw new ProtoError("truncated fixed field");
    this.#pos += n;
  }
}

const EMPTY = new Uint8Array(0);

/** A uint32 field's value as protobuf reads it: the low 32 bits. */
export function asUint32(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

/** An int32 field's value as protobuf reads it: the low 32 bits, signed. */
export function asInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

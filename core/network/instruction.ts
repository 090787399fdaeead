/**
 * The SSP envelope, `TransportBuffers.Instruction`, and its bytes on the wire: protobuf,
 * then zlib. mosh 1.4.0 always writes all seven fields, zeros included, in field order, and a
 * peer that meets a `protocol_version` other than 2 drops the instruction, so we write them
 * all too. Encoded by the small codec in `protowire.ts`; tests hold it to protobuf-es's output
 * for the schema in `proto/transportinstruction.proto`.
 *
 * @module
 */

import { compress, decompress, type Zlib } from "./compressor.ts";
import type { DropReason } from "./drop.ts";
import { asUint32, ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from "./protowire.ts";

/** `MOSH_PROTOCOL_VERSION`, "bumped for echo-ack". */
export const PROTOCOL_VERSION = 2;

/** One instruction: apply `diff` to state `oldNum` to get state `newNum`. */
export interface Instruction {
  protocolVersion: number;
  oldNum: bigint;
  newNum: bigint;
  ackNum: bigint;
  throwawayNum: bigint;
  diff: Uint8Array;
  chaff: Uint8Array;
}

/** The protobuf bytes of an instruction (uncompressed). */
export function serializeInstruction(inst: Instruction): Uint8Array {
  return new ProtoWriter(32 + inst.diff.length + inst.chaff.length)
    .uint(1, inst.protocolVersion)
    .uint(2, inst.oldNum)
    .uint(3, inst.newNum)
    .uint(4, inst.ackNum)
    .uint(5, inst.throwawayNum)
    .bytes(6, inst.diff)
    .bytes(7, inst.chaff)
    .finish();
}

/**
 * Parses protobuf bytes as an instruction; missing fields read as 0 or empty.
 * @returns the instruction, or null when the bytes are not a valid Instruction
 */
export function parseInstruction(bytes: Uint8Array): Instruction | null {
  const inst: Instruction = {
    protocolVersion: 0,
    oldNum: 0n,
    newNum: 0n,
    ackNum: 0n,
    throwawayNum: 0n,
    diff: EMPTY,
    chaff: EMPTY,
  };
  try {
    const r = new ProtoReader(bytes);
    for (let f = r.next(); f; f = r.next()) {
      const varint = f.wire === WIRE_VARINT, len = f.wire === WIRE_LEN;
      switch (f.field) {
        case 1:
          if (!varint) return null;
          inst.protocolVersion = asUint32(f.varint);
          break;
        case 2:
          if (!varint) return null;
          inst.oldNum = f.varint;
          break;
        case 3:
          if (!varint) return null;
          inst.newNum = f.varint;
          break;
        case 4:
          if (!varint) return null;
          inst.ackNum = f.varint;
          break;
        case 5:
          if (!varint) return null;
          inst.throwawayNum = f.varint;
          break;
        case 6:
          if (!len) return null;
          inst.diff = f.bytes;
          break;
        case 7:
          if (!len) return null;
          inst.chaff = f.bytes;
          break;
      }
    }
  } catch {
    return null;
  }
  return inst;
}

const EMPTY = new Uint8Array(0);

/** The serialized, compressed form of an instruction, ready to be cut into fragments. */
export function encodeInstruction(inst: Instruction, zlib: Zlib): Uint8Array {
  return compress(serializeInstruction(inst), zlib);
}

/**
 * Inflates and parses an assembled instruction.
 * @returns the instruction, or why it was dropped
 */
export function decodeInstruction(compressed: Uint8Array, zlib: Zlib): Instruction | DropReason {
  const bytes = decompress(compressed, zlib);
  if (bytes === null) return "inflate";
  const inst = parseInstruction(bytes);
  if (inst === null) return "protobuf";
  if (inst.protocolVersion !== PROTOCOL_VERSION) return "version";
  return inst;
}

/**
 * The SSP envelope, `TransportBuffers.Instruction`, and its bytes on the wire: protobuf,
 * then zlib. mosh 1.4.0 always writes all seven fields, zeros included, and a peer that meets
 * a `protocol_version` other than 2 drops the instruction, so we write them all too.
 *
 * @module
 */

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type Instruction as WireInstruction,
  InstructionSchema,
} from "../../proto/gen/transportinstruction_pb.ts";
import { compress, decompress } from "./compressor.ts";
import type { DropReason } from "./drop.ts";

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

/** The serialized, compressed form of an instruction, ready to be cut into fragments. */
export function encodeInstruction(inst: Instruction): Uint8Array {
  const message = create(InstructionSchema, {
    protocolVersion: inst.protocolVersion,
    oldNum: inst.oldNum,
    newNum: inst.newNum,
    ackNum: inst.ackNum,
    throwawayNum: inst.throwawayNum,
    diff: inst.diff,
    chaff: inst.chaff,
  });
  return compress(toBinary(InstructionSchema, message));
}

/**
 * Inflates and parses an assembled instruction.
 * @returns the instruction (missing fields read as 0 or empty), or why it was dropped
 */
export function decodeInstruction(compressed: Uint8Array): Instruction | DropReason {
  const bytes = decompress(compressed);
  if (bytes === null) return "inflate";
  let message: WireInstruction;
  try {
    message = fromBinary(InstructionSchema, bytes);
  } catch {
    return "protobuf";
  }
  if (message.protocolVersion !== PROTOCOL_VERSION) return "version";
  return {
    protocolVersion: message.protocolVersion,
    oldNum: message.oldNum,
    newNum: message.newNum,
    ackNum: message.ackNum,
    throwawayNum: message.throwawayNum,
    diff: message.diff,
    chaff: message.chaff,
  };
}

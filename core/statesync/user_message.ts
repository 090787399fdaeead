/**
 * The client-to-server diff, `ClientBuffers.UserMessage`: keystrokes and resizes in the order
 * they happened. Each wire instruction carries one extension; mosh coalesces consecutive bytes
 * into one Keystroke, and so do we.
 *
 * @module
 */

import {
  create,
  fromBinary,
  getExtension,
  hasExtension,
  setExtension,
  toBinary,
} from "@bufbuild/protobuf";
import {
  InstructionSchema,
  keystroke,
  KeystrokeSchema,
  resize,
  ResizeMessageSchema,
  UserMessageSchema,
} from "../../proto/gen/userinput_pb.ts";

/** One decoded instruction of a UserMessage. */
export type UserInstruction =
  | { readonly keys: Uint8Array }
  | { readonly resize: { readonly width: number; readonly height: number } };

/** The bytes of a UserMessage holding `list`. */
export function encodeUserMessage(list: readonly UserInstruction[]): Uint8Array {
  const instruction = list.map((item) => {
    const inst = create(InstructionSchema);
    if ("keys" in item) {
      setExtension(inst, keystroke, create(KeystrokeSchema, { keys: item.keys }));
    } else {
      setExtension(inst, resize, create(ResizeMessageSchema, item.resize));
    }
    return inst;
  });
  return toBinary(UserMessageSchema, create(UserMessageSchema, { instruction }));
}

/**
 * Parses a UserMessage. Instructions with neither extension are skipped, as mosh skips them.
 * @returns the instructions, or null when the bytes are not a UserMessage
 */
export function decodeUserMessage(bytes: Uint8Array): UserInstruction[] | null {
  try {
    const message = fromBinary(UserMessageSchema, bytes);
    const out: UserInstruction[] = [];
    for (const inst of message.instruction) {
      if (hasExtension(inst, keystroke)) {
        out.push({ keys: getExtension(inst, keystroke).keys });
      } else if (hasExtension(inst, resize)) {
        const r = getExtension(inst, resize);
        out.push({ resize: { width: r.width, height: r.height } });
      }
    }
    return out;
  } catch {
    return null;
  }
}

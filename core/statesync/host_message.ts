/**
 * The server-to-client diff, `HostBuffers.HostMessage`: escape bytes that turn the client's
 * copy of the screen into the new one, resizes, and echo acks for prediction, in order.
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
  echoack,
  EchoAckSchema,
  hostbytes,
  HostBytesSchema,
  HostMessageSchema,
  InstructionSchema,
  resize,
  ResizeMessageSchema,
} from "../../proto/gen/hostinput_pb.ts";

/** One decoded instruction of a HostMessage. */
export type HostInstruction =
  | { readonly hostBytes: Uint8Array }
  | { readonly resize: { readonly width: number; readonly height: number } }
  | { readonly echoAck: bigint };

/** The bytes of a HostMessage holding `list`. */
export function encodeHostMessage(list: readonly HostInstruction[]): Uint8Array {
  const instruction = list.map((item) => {
    const inst = create(InstructionSchema);
    if ("hostBytes" in item) {
      setExtension(inst, hostbytes, create(HostBytesSchema, { hoststring: item.hostBytes }));
    } else if ("resize" in item) {
      setExtension(inst, resize, create(ResizeMessageSchema, item.resize));
    } else {
      setExtension(inst, echoack, create(EchoAckSchema, { echoAckNum: item.echoAck }));
    }
    return inst;
  });
  return toBinary(HostMessageSchema, create(HostMessageSchema, { instruction }));
}

/**
 * Parses a HostMessage. Instructions with none of the three extensions are skipped, as mosh
 * skips them.
 * @returns the instructions, or null when the bytes are not a HostMessage
 */
export function decodeHostMessage(bytes: Uint8Array): HostInstruction[] | null {
  try {
    const message = fromBinary(HostMessageSchema, bytes);
    const out: HostInstruction[] = [];
    for (const inst of message.instruction) {
      if (hasExtension(inst, hostbytes)) {
        out.push({ hostBytes: getExtension(inst, hostbytes).hoststring });
      } else if (hasExtension(inst, resize)) {
        const r = getExtension(inst, resize);
        out.push({ resize: { width: r.width, height: r.height } });
      } else if (hasExtension(inst, echoack)) {
        out.push({ echoAck: getExtension(inst, echoack).echoAckNum });
      }
    }
    return out;
  } catch {
    return null;
  }
}

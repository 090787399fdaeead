/**
 * The server-to-client diff, `HostBuffers.HostMessage`: escape bytes that turn the client's
 * copy of the screen into the new one (extension 2, HostBytes), resizes (3), and echo acks for
 * prediction (7), in order. Encoded by the small codec in `core/network/protowire.ts`; tests
 * hold it to protobuf-es's output for `proto/hostinput.proto`.
 *
 * @module
 */

import { ProtoReader, ProtoWriter, WIRE_VARINT } from "../network/protowire.ts";
import {
  encodeSize,
  lastBytesField,
  parseSize,
  readExtensions,
  readInstructions,
} from "./user_message.ts";

/** One decoded instruction of a HostMessage. */
export type HostInstruction =
  | { readonly hostBytes: Uint8Array }
  | { readonly resize: { readonly width: number; readonly height: number } }
  | { readonly echoAck: bigint };

/** The bytes of a HostMessage holding `list`. */
export function encodeHostMessage(list: readonly HostInstruction[]): Uint8Array {
  const out = new ProtoWriter();
  for (const item of list) {
    let inner: ProtoWriter;
    if ("hostBytes" in item) {
      inner = new ProtoWriter(item.hostBytes.length + 16)
        .bytes(2, new ProtoWriter(item.hostBytes.length + 8).bytes(4, item.hostBytes).finish());
    } else if ("resize" in item) {
      inner = new ProtoWriter().bytes(3, encodeSize(item.resize));
    } else {
      inner = new ProtoWriter().bytes(7, new ProtoWriter().uint(8, item.echoAck).finish());
    }
    out.bytes(1, inner.finish());
  }
  return out.finish();
}

function parseEchoAck(bytes: Uint8Array): bigint {
  let num = 0n;
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.field !== 8) continue;
    if (f.wire !== WIRE_VARINT) throw new Error("echo_ack_num is not a varint");
    num = f.varint;
  }
  return num;
}

/**
 * Parses a HostMessage. Instructions with none of the three extensions are skipped, as mosh
 * skips them.
 * @returns the instructions, or null when the bytes are not a HostMessage
 */
export function decodeHostMessage(bytes: Uint8Array): HostInstruction[] | null {
  try {
    const out: HostInstruction[] = [];
    for (const inst of readInstructions(bytes)) {
      const ext = readExtensions(inst);
      const host = ext.get(2), resize = ext.get(3), echo = ext.get(7);
      if (host) out.push({ hostBytes: lastBytesField(host, 4) });
      else if (resize) out.push({ resize: parseSize(resize) });
      else if (echo) out.push({ echoAck: parseEchoAck(echo) });
    }
    return out;
  } catch {
    return null;
  }
}

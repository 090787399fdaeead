/**
 * The server-to-client diff, `HostBuffers.HostMessage`: escape bytes that turn the client's
 * copy of the screen into the new one (extension 2, HostBytes), resizes (3), and echo acks for
 * prediction (7), in order; and, for a client that announced them, our extensions: the server's
 * capabilities (64), history rows (65) and notices (66), docs/protocol.md §16. Encoded by the small codec in
 * `core/network/protowire.ts`; tests hold it to protobuf-es's output for
 * `proto/hostinput.proto`.
 *
 * @module
 */

import { ProtoReader, ProtoWriter, WIRE_VARINT } from "../network/protowire.ts";
import {
  type Capabilities,
  encodeCapabilities,
  encodeHistory,
  encodeNotice,
  EXT_HISTORY,
  EXT_NOTICE,
  EXT_SERVER_CAPABILITIES,
  type HistoryChunk,
  type Notice,
  parseCapabilities,
  parseHistory,
  parseNotice,
} from "./extensions.ts";
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
  | { readonly echoAck: bigint }
  /** Our extensions (docs/protocol.md §16), only for a client that announced them. */
  | { readonly serverCapabilities: Capabilities }
  | { readonly history: HistoryChunk }
  | { readonly notice: Notice };

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
    } else if ("echoAck" in item) {
      inner = new ProtoWriter().bytes(7, new ProtoWriter().uint(8, item.echoAck).finish());
    } else if ("serverCapabilities" in item) {
      inner = new ProtoWriter().bytes(
        EXT_SERVER_CAPABILITIES,
        encodeCapabilities(item.serverCapabilities),
      );
    } else if ("history" in item) {
      const body = encodeHistory(item.history);
      inner = new ProtoWriter(body.length + 16).bytes(EXT_HISTORY, body);
    } else {
      inner = new ProtoWriter().bytes(EXT_NOTICE, encodeNotice(item.notice));
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
 * Parses a HostMessage. Instructions with none of the known extensions are skipped, as mosh
 * skips them.
 * @returns the instructions, or null when the bytes are not a HostMessage
 */
export function decodeHostMessage(bytes: Uint8Array): HostInstruction[] | null {
  try {
    const out: HostInstruction[] = [];
    for (const inst of readInstructions(bytes)) {
      const ext = readExtensions(inst);
      const host = ext.get(2), resize = ext.get(3), echo = ext.get(7);
      const answer = ext.get(EXT_SERVER_CAPABILITIES), notice = ext.get(EXT_NOTICE);
      const history = ext.get(EXT_HISTORY);
      if (host) out.push({ hostBytes: lastBytesField(host, 4) });
      else if (resize) out.push({ resize: parseSize(resize) });
      else if (echo) out.push({ echoAck: parseEchoAck(echo) });
      else if (answer) out.push({ serverCapabilities: parseCapabilities(answer) });
      else if (history) out.push({ history: parseHistory(history) });
      else if (notice) out.push({ notice: parseNotice(notice) });
    }
    return out;
  } catch {
    return null;
  }
}

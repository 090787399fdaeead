/**
 * The client-to-server diff, `ClientBuffers.UserMessage`: keystrokes and resizes in the order
 * they happened. Each wire instruction carries one extension (2 = Keystroke, 3 = Resize, and our
 * 64 = Capabilities, which mosh 1.4.0 ignores); mosh
 * coalesces consecutive bytes into one Keystroke, and so do we. Encoded by the small codec in
 * `core/network/protowire.ts`; tests hold it to protobuf-es's output for `proto/userinput.proto`.
 *
 * @module
 */

import { asInt32, ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT } from "../network/protowire.ts";
import {
  type Capabilities,
  encodeCapabilities,
  EXT_CAPABILITIES,
  parseCapabilities,
} from "./extensions.ts";

/** One decoded instruction of a UserMessage. */
export type UserInstruction =
  | { readonly keys: Uint8Array }
  | { readonly resize: { readonly width: number; readonly height: number } }
  /** Our client's announcement (extension 64), docs/protocol.md §16. */
  | { readonly capabilities: Capabilities };

/** The bytes of a UserMessage holding `list`. */
export function encodeUserMessage(list: readonly UserInstruction[]): Uint8Array {
  const out = new ProtoWriter();
  for (const item of list) {
    const inner = "keys" in item
      ? new ProtoWriter().bytes(2, new ProtoWriter().bytes(4, item.keys).finish())
      : "resize" in item
      ? new ProtoWriter().bytes(3, encodeSize(item.resize))
      : new ProtoWriter().bytes(EXT_CAPABILITIES, encodeCapabilities(item.capabilities));
    out.bytes(1, inner.finish());
  }
  return out.finish();
}

/** A ResizeMessage: width (5) and height (6), int32. */
export function encodeSize(size: { width: number; height: number }): Uint8Array {
  return new ProtoWriter().uint(5, size.width).uint(6, size.height).finish();
}

/** Reads a ResizeMessage; throws on malformed input. */
export function parseSize(bytes: Uint8Array): { width: number; height: number } {
  const size = { width: 0, height: 0 };
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if ((f.field === 5 || f.field === 6) && f.wire !== WIRE_VARINT) throw new Error("bad size");
    if (f.field === 5) size.width = asInt32(f.varint);
    if (f.field === 6) size.height = asInt32(f.varint);
  }
  return size;
}

/**
 * The extensions of one wire instruction: each field number's length-delimited occurrences,
 * concatenated (protobuf merges repeated occurrences of a message field, and merging equals
 * parsing the concatenation).
 */
export function readExtensions(bytes: Uint8Array): Map<number, Uint8Array> {
  const parts = new Map<number, Uint8Array[]>();
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.wire !== WIRE_LEN) continue;
    const list = parts.get(f.field) ?? [];
    list.push(f.bytes);
    parts.set(f.field, list);
  }
  const out = new Map<number, Uint8Array>();
  for (const [k, list] of parts) {
    out.set(k, list.length === 1 ? list[0] : Uint8Array.from(list.flatMap((b) => [...b])));
  }
  return out;
}

/** Each instruction of a `repeated Instruction instruction = 1` message, as bytes. */
export function readInstructions(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.field !== 1) continue;
    if (f.wire !== WIRE_LEN) throw new Error("instruction is not length-delimited");
    out.push(f.bytes);
  }
  return out;
}

/** The last occurrence of a bytes field in a message. */
export function lastBytesField(bytes: Uint8Array, field: number): Uint8Array {
  let value: Uint8Array = new Uint8Array(0);
  const r = new ProtoReader(bytes);
  for (let f = r.next(); f; f = r.next()) {
    if (f.field !== field) continue;
    if (f.wire !== WIRE_LEN) throw new Error("bytes field is not length-delimited");
    value = f.bytes;
  }
  return value;
}

/**
 * Parses a UserMessage. Instructions with none of the known extensions are skipped, as mosh
 * skips them.
 * @returns the instructions, or null when the bytes are not a UserMessage
 */
export function decodeUserMessage(bytes: Uint8Array): UserInstruction[] | null {
  try {
    const out: UserInstruction[] = [];
    for (const inst of readInstructions(bytes)) {
      const ext = readExtensions(inst);
      const keystroke = ext.get(2), resize = ext.get(3), announce = ext.get(EXT_CAPABILITIES);
      if (keystroke) out.push({ keys: lastBytesField(keystroke, 4) });
      else if (resize) out.push({ resize: parseSize(resize) });
      else if (announce) out.push({ capabilities: parseCapabilities(announce) });
    }
    return out;
  } catch {
    return null;
  }
}

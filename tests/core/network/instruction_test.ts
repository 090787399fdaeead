import assert from "node:assert/strict";
import { assertEquals } from "../../_assert.ts";
import {
  decodeInstruction,
  encodeInstruction,
  type Instruction,
} from "../../../core/network/instruction.ts";
import { compress, decompress, MAX_INFLATED_BYTES } from "../../../core/network/compressor.ts";
import { hex, toHex } from "../../_hex.ts";
import { platform } from "../../_platform.ts";

const FIRST_CLIENT: Instruction = {
  protocolVersion: 2,
  oldNum: 0n,
  newNum: 1n,
  ackNum: 0n,
  throwawayNum: 0n,
  diff: hex("0a061a0428503018"),
  chaff: hex("0102030405060708090a0b0c0d0e0f"),
};

Deno.test("instructions serialize all seven fields in mosh's order, zeros included", () => {
  const wire = decompress(encodeInstruction(FIRST_CLIENT, platform.zlib), platform.zlib)!;
  // mosh-protocol.md §2.6, the real client's first instruction (with our chaff).
  assertEquals(
    toHex(wire),
    "08021000180120002800" + "32080a061a0428503018" + "3a0f0102030405060708090a0b0c0d0e0f",
  );
  assertEquals(
    decodeInstruction(encodeInstruction(FIRST_CLIENT, platform.zlib), platform.zlib),
    FIRST_CLIENT,
  );
});

Deno.test("a real mosh instruction decodes (the §2.6 capture's server reply)", () => {
  const inst = decodeInstruction(
    compress(hex("0802100018012001280032003a0103"), platform.zlib),
    platform.zlib,
  );
  assert.ok(typeof inst !== "string");
  assertEquals([inst.oldNum, inst.newNum, inst.ackNum, inst.throwawayNum], [0n, 1n, 1n, 0n]);
  assertEquals(inst.diff.length, 0);
  assertEquals(toHex(inst.chaff), "03");
});

Deno.test("compression is zlib (RFC 1950), not raw deflate or gzip", () => {
  const z = compress(new TextEncoder().encode("hello hello hello"), platform.zlib);
  assertEquals(z[0], 0x78); // deflate, 32K window
  assertEquals(((z[0] << 8) | z[1]) % 31, 0);
  assertEquals(new TextDecoder().decode(decompress(z, platform.zlib)!), "hello hello hello");
});

Deno.test("bad instructions are dropped with their reason", () => {
  assertEquals(decodeInstruction(hex("00112233"), platform.zlib), "inflate");
  const z = compress(hex("0802100018012001280032003a0103"), platform.zlib);
  assertEquals(
    decodeInstruction(z.subarray(0, z.length - 3), platform.zlib),
    "inflate",
    "truncated stream",
  );
  assertEquals(
    decodeInstruction(compress(hex("ffffffff"), platform.zlib), platform.zlib),
    "protobuf",
  );
  assertEquals(decodeInstruction(compress(hex("0803"), platform.zlib), platform.zlib), "version");
  assertEquals(
    decodeInstruction(compress(new Uint8Array(0), platform.zlib), platform.zlib),
    "version",
    "missing version",
  );
});

Deno.test("inflation is capped at mosh's 4 MiB buffer: a bomb is refused, the limit itself is not", () => {
  const atLimit = compress(new Uint8Array(MAX_INFLATED_BYTES), platform.zlib);
  assertEquals(decompress(atLimit, platform.zlib)?.length, MAX_INFLATED_BYTES);
  const bomb = compress(new Uint8Array(MAX_INFLATED_BYTES + 1), platform.zlib);
  assert.ok(bomb.length < 10000, "a small datagram stream");
  assertEquals(decompress(bomb, platform.zlib), null);
  assertEquals(decodeInstruction(bomb, platform.zlib), "inflate");
});

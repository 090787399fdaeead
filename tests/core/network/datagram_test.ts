import assert from "node:assert/strict";
import { assertEquals } from "../../_assert.ts";
import { Base64Key } from "../../../core/crypto/key.ts";
import {
  DatagramCodec,
  Direction,
  NO_TIMESTAMP,
  type Packet,
  RECEIVE_MTU,
  timestamp16,
  timestampDiff,
} from "../../../core/network/datagram.ts";
import { hex, toHex } from "../../_hex.ts";
import { platform } from "../../_platform.ts";

const KEY = Base64Key.parse("AAECAwQFBgcICQoLDA0ODw");

// mosh-protocol.md Appendix B: plaintext 1234ffff "hello" under key AAECAwQFBgcICQoLDA0ODw.
const APPENDIX_B: [Direction, bigint, string][] = [
  [Direction.ToClient, 0n, "80000000000000006f2f510ede03fe1b77942eebff1282d17d604d6dabe03ed3af"],
  [Direction.ToServer, 1n, "0000000000000001ca21e611f994cf2af9e50bafa54a03d325a14cc2c963d9713a"],
  [Direction.ToClient, 5n, "80000000000000057536957660dbae0ca6e1b76b9c5b048786f34d266674fb8fb8"],
];

Deno.test("datagrams are laid out as mosh 1.4.0 lays them out (Appendix B vectors)", () => {
  const codec = new DatagramCodec(KEY, platform);
  for (const [direction, seq, wire] of APPENDIX_B) {
    const packet: Packet = {
      seq,
      direction,
      timestamp: 0x1234,
      timestampReply: NO_TIMESTAMP,
      payload: new TextEncoder().encode("hello"),
    };
    assertEquals(toHex(codec.seal(packet)), wire);
    const opened = codec.open(hex(wire), direction);
    assert.ok(typeof opened !== "string", `open failed: ${opened}`);
    assertEquals(opened.seq, seq);
    assertEquals(opened.timestamp, 0x1234);
    assertEquals(opened.timestampReply, NO_TIMESTAMP);
    assertEquals(new TextDecoder().decode(opened.payload), "hello");
  }
});

Deno.test("a real mosh 1.4.0 client datagram opens to its documented plaintext", () => {
  // mosh-protocol.md §2.6: the first datagram of a real client, key q3vi06UFY77f7mSJZQ7v7A.
  const codec = new DatagramCodec(Base64Key.parse("q3vi06UFY77f7mSJZQ7v7A"), platform);
  const wire = hex(
    "000000000000000010438f32313ed985faaa0978d4426d8a174fb2bbe77d84b712b6c705070a3f70" +
      "452cbfab0f2ac60530a784fce55f0546eab1cf6817fbdb3be8a5a7423bd19099cb0cef5f9f1ff99f" +
      "dafb51",
  );
  const p = codec.open(wire, Direction.ToServer);
  assert.ok(typeof p !== "string", `open failed: ${p}`);
  assertEquals(p.seq, 0n);
  assertEquals(p.timestamp, 15724);
  assertEquals(p.timestampReply, NO_TIMESTAMP);
  assertEquals(
    toHex(p.payload),
    "00000000000000018000789ce360126090605460d06030e2e0629362d10830" +
      "90b0e2af9714d775dbb225c67046dafe8311a50059e2084f",
  );
});

Deno.test("bad datagrams are dropped with their reason, never thrown", () => {
  const codec = new DatagramCodec(KEY, platform);
  const other = new DatagramCodec(Base64Key.parse("q3vi06UFY77f7mSJZQ7v7A"), platform);
  const good = hex(APPENDIX_B[0][2]);
  assertEquals(codec.open(new Uint8Array(0), Direction.ToClient), "short");
  assertEquals(codec.open(good.subarray(0, 23), Direction.ToClient), "short");
  assertEquals(codec.open(new Uint8Array(RECEIVE_MTU + 1), Direction.ToClient), "oversize");
  assertEquals(other.open(good, Direction.ToClient), "auth");
  assertEquals(codec.open(good, Direction.ToServer), "direction");
  for (let bit = 0; bit < good.length * 8; bit++) {
    const bad = good.slice();
    bad[bit >> 3] ^= 1 << (bit & 7);
    assertEquals(codec.open(bad, Direction.ToClient), "auth", `bit ${bit}`);
  }
  // Authentic but with fewer than four plaintext bytes.
  const tiny = codec.seal({
    seq: 9n,
    direction: Direction.ToClient,
    timestamp: 1,
    timestampReply: 2,
    payload: new Uint8Array(0),
  });
  assert.ok(typeof codec.open(tiny, Direction.ToClient) !== "string");
});

Deno.test("sequence numbers use all 63 bits and the direction bit stays apart", () => {
  const codec = new DatagramCodec(KEY, platform);
  const seq = (1n << 63n) - 1n;
  const wire = codec.seal({
    seq,
    direction: Direction.ToServer,
    timestamp: 7,
    timestampReply: 8,
    payload: new Uint8Array(3),
  });
  assertEquals(toHex(wire.subarray(0, 8)), "7fffffffffffffff");
  const p = codec.open(wire, Direction.ToServer);
  assert.ok(typeof p !== "string");
  assertEquals(p.seq, seq);
  assert.throws(() =>
    codec.seal({
      seq: seq + 1n,
      direction: Direction.ToServer,
      timestamp: 0,
      timestampReply: 0,
      payload: new Uint8Array(0),
    }), RangeError);
});

Deno.test("16-bit timestamps wrap, and 0xFFFF is never sent as a time", () => {
  assertEquals(timestamp16(0), 0);
  assertEquals(timestamp16(65535), 0);
  assertEquals(timestamp16(65536 + 5), 5);
  assertEquals(timestamp16(123456.9), 123456 & 0xffff);
  assertEquals(timestampDiff(3, 65530), 9);
  assertEquals(timestampDiff(100, 40), 60);
});

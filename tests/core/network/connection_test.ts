import assert from "node:assert/strict";
import { assertEquals } from "../../_assert.ts";
import { Base64Key } from "../../../core/crypto/key.ts";
import {
  Connection,
  MAX_PORTS_OPEN,
  PORT_HOP_INTERVAL,
  SERVER_ASSOCIATION_TIMEOUT,
} from "../../../core/network/connection.ts";
import { DatagramCodec, Direction, NO_TIMESTAMP } from "../../../core/network/datagram.ts";
import { RttEstimator } from "../../../core/network/rtt.ts";
import { platform } from "../../_platform.ts";

const KEY = Base64Key.parse("AAECAwQFBgcICQoLDA0ODw");
const codec = new DatagramCodec(KEY, platform);
const payload = new Uint8Array([1, 2, 3]);

function fromClient(seq: bigint, timestamp = 100, timestampReply = NO_TIMESTAMP) {
  return codec.seal({ seq, direction: Direction.ToServer, timestamp, timestampReply, payload });
}

function opened(wire: Uint8Array) {
  const p = codec.open(wire, Direction.ToClient);
  assert.ok(typeof p !== "string");
  return p;
}

Deno.test("RTT follows RFC 6298 from mosh's initial 1000/500 ms, with its bounds", () => {
  const r = new RttEstimator();
  assertEquals([r.srtt, r.rttvar, r.rto, r.sendInterval], [1000, 500, 1000, 250]);
  r.sample(100);
  assertEquals([r.srtt, r.rttvar, r.rto, r.sendInterval], [100, 50, 300, 50]);
  r.sample(200);
  assertEquals([r.srtt, r.rttvar], [112.5, 62.5]);
  r.sample(5000); // a suspended peer: ignored
  assertEquals(r.srtt, 112.5);
  for (let i = 0; i < 50; i++) r.sample(1);
  assertEquals([r.rto, r.sendInterval], [50, 20]);
});

Deno.test("a received timestamp is echoed once, advanced by the holding time", () => {
  const server = new Connection({ key: KEY, platform, server: true, now: 0 });
  assertEquals(server.send(0, payload), null, "no peer yet");
  server.receive(1000, fromClient(0n, 0xfff0), "c:1");
  const first = opened(server.send(1030, payload)!.data);
  assertEquals(first.timestampReply, (0xfff0 + 30) & 0xffff);
  assertEquals(opened(server.send(1031, payload)!.data).timestampReply, NO_TIMESTAMP);
  server.receive(2000, fromClient(1n, 5), "c:1");
  assertEquals(opened(server.send(3000, payload)!.data).timestampReply, NO_TIMESTAMP, "held 1 s");
  server.receive(4000, fromClient(2n, 5), "c:1", true);
  assertEquals(opened(server.send(4000, payload)!.data).timestampReply, (5 - 500) & 0xffff, "ECN");
});

Deno.test("the round trip is measured from the echo of our timestamp", () => {
  const server = new Connection({ key: KEY, platform, server: true, now: 0 });
  server.receive(70_000, fromClient(0n, 0, 70_000 - 120), "c:1");
  assertEquals(server.rtt.srtt, 120);
});

Deno.test("the server roams only to the source of the newest authentic datagram", () => {
  const server = new Connection({ key: KEY, platform, server: true, now: 0 });
  server.receive(10, fromClient(5n), "a:1");
  assertEquals(server.remoteAddr, "a:1");
  server.receive(20, fromClient(6n), "b:2");
  assertEquals(server.remoteAddr, "b:2");
  // A replay of an older datagram from elsewhere is returned but moves nothing.
  assert.ok(server.receive(30, fromClient(5n, 0, 25), "evil:6") instanceof Uint8Array);
  assertEquals(server.remoteAddr, "b:2");
  assertEquals(server.rtt.measured, false, "no RTT sample from a replay");
  // Forgeries and reflections are dropped.
  const forged = fromClient(9n);
  forged[20] ^= 1;
  assertEquals(server.receive(40, forged, "evil:6"), "auth");
  const reflected = codec.seal({
    seq: 10n,
    direction: Direction.ToClient,
    timestamp: 0,
    timestampReply: 0,
    payload,
  });
  assertEquals(server.receive(40, reflected, "evil:6"), "direction");
  assertEquals(server.remoteAddr, "b:2");
});

Deno.test("the server detaches after 40 s without hearing the client", () => {
  const server = new Connection({ key: KEY, platform, server: true, now: 0 });
  server.receive(1000, fromClient(0n), "a:1");
  assert.ok(server.send(1000 + SERVER_ASSOCIATION_TIMEOUT, payload));
  assert.ok(server.send(1001 + SERVER_ASSOCIATION_TIMEOUT, payload), "the detaching send goes");
  assertEquals(server.send(1002 + SERVER_ASSOCIATION_TIMEOUT, payload), null);
  server.receive(50_000, fromClient(1n), "a:9");
  assert.ok(server.send(50_001, payload));
});

Deno.test("the client hops to a new port after 10 s without a round trip, keeping up to 10", () => {
  const client = new Connection({ key: KEY, platform, server: false, remote: "s:1", now: 0 });
  assertEquals(client.send(PORT_HOP_INTERVAL, payload)!.socket, 0);
  assertEquals(client.socketId, 0, "not yet: exactly 10 s");
  client.send(PORT_HOP_INTERVAL + 1, payload);
  assertEquals(client.socketId, 1);
  assertEquals(client.liveSockets, [0, 1]);
  // A recent round trip prevents hopping.
  client.setLastRoundtripSuccess(20_000);
  client.send(25_000, payload);
  assertEquals(client.socketId, 1);
  let t = 40_000;
  for (let i = 0; i < 20; i++) client.send(t += PORT_HOP_INTERVAL + 1, payload);
  assertEquals(client.liveSockets.length, MAX_PORTS_OPEN);
  assertEquals(client.socketId, 21);
  // Once the newest port is a minute old, an authentic datagram prunes the others.
  const fromServer = codec.seal({
    seq: 0n,
    direction: Direction.ToClient,
    timestamp: 0,
    timestampReply: NO_TIMESTAMP,
    payload,
  });
  client.receive(t + 60_001, fromServer, "s:1");
  assertEquals(client.liveSockets, [21]);
});

Deno.test("EMSGSIZE drops the datagram size to mosh's 500-byte fallback", () => {
  const client = new Connection({ key: KEY, platform, server: false, remote: "s:1", now: 0 });
  assertEquals(client.mtu, 1252);
  client.reportSendError("sendto: Message too long", true);
  assertEquals(client.mtu, 500);
  assertEquals(client.sendError, "sendto: Message too long");
  assertEquals(
    new Connection({ key: KEY, platform, server: true, family: "inet6", now: 0 }).mtu,
    1216,
  );
});

Deno.test("a destroyed connection wipes its cipher: it neither seals nor opens any more", () => {
  let destroyed = 0;
  const counting = {
    blockCipher(key: Uint8Array) {
      const aes = platform.blockCipher(key);
      return {
        encryptBlocks: aes.encryptBlocks.bind(aes),
        decryptBlocks: aes.decryptBlocks.bind(aes),
        destroy: () => (destroyed++, aes.destroy()),
      };
    },
  };
  const server = new Connection({ key: KEY, platform: counting, server: true, now: 0 });
  assertEquals(server.receive(0, fromClient(0n), "c:1"), payload);
  server.destroy();
  assertEquals(destroyed, 1);
  assert.throws(() => server.receive(1, fromClient(1n), "c:1"), /destroyed/);
  assert.throws(() => server.send(2, payload), /destroyed/);
});

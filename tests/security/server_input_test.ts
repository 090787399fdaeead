/**
 * Hostile datagrams against our real mosh-server on loopback, with a real session going on
 * (a client in this process, see `_client.ts`): datagrams under another key, random bytes, the
 * server's own datagrams reflected back, forgeries and replays from another address, replays
 * from the client's own address. None may move the server's peer address (a second socket
 * listens for anything the server sends it), and none may change the session: the application
 * receives each keystroke exactly once.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { DatagramCodec, Direction, NO_TIMESTAMP } from "../../core/network/datagram.ts";
import { startServer } from "../e2e/_programs.ts";
import { Rng } from "../sim/random.ts";
import { firstDatagram, listen, sleep, TestClient, udpSocket } from "./_client.ts";
import { platform } from "../_platform.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const SHELL_ENV = { PS1: "$ ", HISTFILE: "/dev/null", ENV: "" };

async function session() {
  const server = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], ["/bin/sh"], SHELL_ENV);
  const client = new TestClient(server.port, server.key);
  await client.waitFor((s) => /^\$ *$/m.test(s), 10_000, "the prompt");
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port: server.port };
  return { server, client, to };
}

/** Sends each datagram from `socket`, a few milliseconds apart. */
async function sendAll(
  socket: Deno.DatagramConn,
  list: Uint8Array[],
  to: Deno.NetAddr,
  gap = 2,
): Promise<void> {
  for (const d of list) {
    await socket.send(d, to).catch(() => {});
    if (gap) await sleep(gap);
  }
}

Deno.test({
  name:
    "other keys' datagrams, random bytes and the server's own datagrams reflected are dropped; the session goes on",
  ...e2e,
  async fn() {
    const { server, client, to } = await session();
    const attacker = udpSocket();
    const heard = listen(attacker);
    const rng = new Rng(0x5ec);
    try {
      const stranger = new DatagramCodec(Base64Key.generate(platform), platform);
      const forged = Array.from({ length: 100 }, (_, i) =>
        stranger.seal({
          seq: BigInt(1000 + i),
          direction: Direction.ToServer,
          timestamp: 1,
          timestampReply: NO_TIMESTAMP,
          payload: rng.fill(new Uint8Array(rng.int(10, 200))),
        }));
      const junk = Array.from({ length: 100 }, () => rng.fill(new Uint8Array(rng.int(0, 1500))));
      // The server's own datagrams carry the "to client" direction bit: reflected, from the
      // attacker's address and from the client's own, they must be refused.
      const reflected = client.received.slice();
      assert.ok(reflected.length > 0);
      await sendAll(attacker, [...forged, ...junk, ...reflected], to, 1);
      await sendAll(client.socket, reflected, to, 1);
      client.type("echo alive $((6*7))\r");
      await client.waitFor((s) => s.includes("alive 42"), 5000, "the session to go on");
      await sleep(300);
      assert.equal(heard.datagrams.length, 0, "the server answered the attacker");
    } finally {
      attacker.close();
      client.close();
      server.stop();
    }
  },
});

Deno.test({
  name:
    "forged and replayed datagrams from another address do not move the server's peer address; an authentic new one would",
  ...e2e,
  async fn() {
    const { server, client, to } = await session();
    const attacker = udpSocket();
    const heard = listen(attacker);
    const rng = new Rng(0xf0e);
    try {
      // The application prints for about two seconds, so the server keeps sending.
      client.type("i=0; while [ $i -lt 25 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done\r");
      await client.waitFor((s) => s.includes("tick 1"), 5000, "the output to start");
      const old = client.sent.slice();
      const stranger = new DatagramCodec(Base64Key.generate(platform), platform);
      for (let round = 0; round < 40 && !client.screen().includes("tick 24"); round++) {
        // Old datagrams of the client's (authentic, but not newer than what the server has),
        // bit-flipped ones, and newer-numbered ones under another key.
        const replay = old[rng.int(0, old.length - 1)];
        const flipped = replay.slice();
        flipped[rng.int(0, flipped.length - 1)] ^= 1 << rng.int(0, 7);
        const forged = stranger.seal({
          seq: 1n << 62n,
          direction: Direction.ToServer,
          timestamp: 1,
          timestampReply: NO_TIMESTAMP,
          payload: rng.fill(new Uint8Array(40)),
        });
        await sendAll(attacker, [replay, flipped, forged], to, 0);
        await sleep(40);
      }
      await client.waitFor((s) => s.includes("tick 24"), 5000, "the client to see all the output");
      assert.equal(heard.datagrams.length, 0, "the server sent to the attacker's address");

      // The check can see a move: an authentic datagram numbered past the client's, from the
      // attacker's address, is the client roaming, and the server follows it.
      await attacker.send(firstDatagram(server.key, 1n << 40n), to);
      client.type("echo moved\r");
      const deadline = Date.now() + 3000;
      while (heard.datagrams.length === 0 && Date.now() < deadline) await sleep(20);
      assert.ok(heard.datagrams.length > 0, "an authentic newer datagram roams the server");
    } finally {
      attacker.close();
      client.close();
      server.stop();
    }
  },
});

Deno.test({
  name: "replayed datagrams change no state: the shell receives each keystroke once",
  ...e2e,
  async fn() {
    const { server, client, to } = await session();
    const dir = await Deno.makeTempDir({ prefix: "denomosh-replay-" });
    const file = `${dir}/ran`;
    const attacker = udpSocket();
    const lines = async () =>
      (await Deno.readTextFile(file).catch(() => "")).split("\n").filter((l) => l).length;
    try {
      // Typed a key at a time, so that many datagrams carry keystrokes.
      for (const ch of `echo ran >> ${file}\r`) {
        client.type(ch);
        await sleep(3);
      }
      const deadline = Date.now() + 5000;
      while ((await lines()) < 1 && Date.now() < deadline) await sleep(20);
      assert.equal(await lines(), 1, "the command ran");
      const old = client.sent.slice();
      // Every datagram the client sent, again, from its own address and from another, twice.
      for (let i = 0; i < 2; i++) {
        await sendAll(client.socket, old, to, 1);
        await sendAll(attacker, old, to, 1);
      }
      await sleep(500);
      assert.equal(await lines(), 1, "a replay ran the command again");
      // The session is intact: the next command runs, once.
      client.type(`echo again >> ${file}\r`);
      const until = Date.now() + 5000;
      while ((await lines()) < 2 && Date.now() < until) await sleep(20);
      await sleep(200);
      assert.equal(await Deno.readTextFile(file), "ran\nagain\n");
    } finally {
      attacker.close();
      client.close();
      server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

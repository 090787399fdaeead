/**
 * The datagram seam: the same behaviour from the real UDP stack and from its in-memory twin,
 * which the program tests run over in virtual time.
 */
import assert from "node:assert/strict";
import { addressKey, type DatagramNetwork, parseAddress, udpNetwork } from "../../io/datagram.ts";
import { MemoryNetwork } from "../../io/memory_network.ts";
import { VirtualClock } from "../../io/clock.ts";

Deno.test("addresses round-trip between Deno and the transport's spelling", () => {
  for (const hostname of ["127.0.0.1", "::1", "fe80::1"]) {
    const a: Deno.NetAddr = { transport: "udp", hostname, port: 60001 };
    assert.deepEqual(parseAddress(addressKey(a)), a);
  }
  assert.equal(addressKey({ hostname: "::1", port: 7 }), "[::1]:7");
});

/** A network, and how to let its datagrams arrive. */
interface Harness {
  network: DatagramNetwork;
  settle(): Promise<void>;
}

const harnesses: [string, () => Harness][] = [
  ["real UDP", () => ({
    network: udpNetwork,
    settle: () => new Promise((r) => setTimeout(r, 20)),
  })],
  ["the in-memory twin", () => {
    const clock = new VirtualClock();
    return { network: new MemoryNetwork(clock), settle: () => clock.advance(5) };
  }],
];

for (const [name, make] of harnesses) {
  Deno.test(`${name}: datagrams arrive whole with the sender's address; a bound port is taken`, async () => {
    const { network, settle } = make();
    const a = network.bind("127.0.0.1", 0);
    const b = network.bind("127.0.0.1", 0);
    try {
      assert.ok(a.port > 0 && b.port > 0 && a.port !== b.port);
      assert.throws(() => network.bind("127.0.0.1", a.port), Deno.errors.AddrInUse);
      const pending = b.receive();
      await a.send(new Uint8Array([1, 2, 3]), `127.0.0.1:${b.port}`);
      await settle();
      const got = await pending;
      assert.deepEqual([...got.data], [1, 2, 3]);
      assert.equal(got.from, `127.0.0.1:${a.port}`);
    } finally {
      a.close();
      b.close();
    }
  });

  Deno.test(`${name}: each datagram is its own bytes, up to the largest UDP payload`, async () => {
    const { network, settle } = make();
    const a = network.bind("127.0.0.1", 0);
    const b = network.bind("127.0.0.1", 0);
    const to = `127.0.0.1:${b.port}`;
    try {
      const big = Uint8Array.from({ length: 65_507 }, (_, i) => (i * 7) & 0xff);
      await a.send(new Uint8Array([1, 2, 3]), to);
      await a.send(big, to);
      await a.send(new Uint8Array([9, 9]), to);
      await settle();
      const first = await b.receive();
      const second = await b.receive();
      // Two at once: each gets a datagram of its own.
      const [third, fourth] = [b.receive(), b.receive()];
      await a.send(new Uint8Array([4, 5, 6, 7]), to);
      await settle();
      const got = [await third, await fourth].map((d) => [...d.data]);
      assert.deepEqual([...first.data], [1, 2, 3], "not overwritten by later datagrams");
      assert.deepEqual(second.data, big);
      assert.deepEqual(got.sort((x, y) => x.length - y.length), [[9, 9], [4, 5, 6, 7]]);
    } finally {
      a.close();
      b.close();
    }
  });

  Deno.test(`${name}: closing a socket ends a pending receive with BadResource`, async () => {
    const { network } = make();
    const a = network.bind("127.0.0.1", 0);
    const pending = a.receive();
    a.close();
    a.close(); // idempotent
    await assert.rejects(pending, Deno.errors.BadResource);
    await assert.rejects(a.receive(), Deno.errors.BadResource);
  });
}

Deno.test("the twin's route can lose, delay and rewrite datagrams", async () => {
  const clock = new VirtualClock();
  const network = new MemoryNetwork(clock);
  const a = network.bind("127.0.0.1", 0), b = network.bind("127.0.0.1", 0);
  network.route = (p) =>
    p.data[0] === 0 ? null : { packet: { ...p, from: "10.9.9.9:9" }, delay: 100 };
  await a.send(new Uint8Array([0]), `127.0.0.1:${b.port}`);
  await a.send(new Uint8Array([7]), `127.0.0.1:${b.port}`);
  let got: { data: Uint8Array; from: string } | undefined;
  b.receive().then((d) => (got = d));
  await clock.advance(99);
  assert.equal(got, undefined, "not before its delay");
  await clock.advance(1);
  assert.deepEqual([...got!.data], [7], "the lost one never comes");
  assert.equal(got!.from, "10.9.9.9:9");
  assert.equal(network.sent.length, 2);
  a.close();
  b.close();
});

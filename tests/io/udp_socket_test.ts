/**
 * UDP sockets over libc, on real loopback sockets: datagrams each way with Deno's own UDP (so
 * addresses are spelled as the transport spells them), IPv4 and IPv6, a port in use, close()
 * ending a pending receive and releasing every fd, a descriptor handed to another process, and
 * random datagrams of every size arriving whole.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addressOf,
  adoptUdpSocket,
  bindUdp,
  ffiUdpNetwork,
  socketAddress,
  UdpSendError,
} from "../../io/udp_socket.ts";
import { udpNetwork } from "../../io/datagram.ts";
import { close, spawn, SystemError, waitPid } from "../../io/libc.ts";
import { MTU_FALLBACK } from "../../core/network/mtu.ts";
import { hasIpv6Loopback } from "../_ipv6.ts";
import { MainWait } from "../../io/main_wait.ts";
import { monotonicNow } from "../../io/clock.ts";

function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

Deno.test("a datagram each way with Deno's UDP, addresses spelled alike", async () => {
  const ours = ffiUdpNetwork.bind("127.0.0.1", 0);
  const theirs = udpNetwork.bind("127.0.0.1", 0);
  try {
    assert.ok(ours.port > 0);
    await theirs.send(new TextEncoder().encode("to ffi"), `127.0.0.1:${ours.port}`);
    const got = await ours.receive();
    assert.equal(new TextDecoder().decode(got.data), "to ffi");
    assert.equal(got.from, `127.0.0.1:${theirs.port}`);
    await ours.send(new TextEncoder().encode("to deno"), got.from);
    const back = await theirs.receive();
    assert.equal(new TextDecoder().decode(back.data), "to deno");
    assert.equal(back.from, `127.0.0.1:${ours.port}`);
    // A view into a larger buffer sends just its own bytes.
    await ours.send(new TextEncoder().encode("[part]").subarray(1, 5), got.from);
    assert.equal(new TextDecoder().decode((await theirs.receive()).data), "part");
  } finally {
    ours.close();
    theirs.close();
  }
});

Deno.test("datagrams from two senders are told apart, one after the other", async () => {
  const ours = ffiUdpNetwork.bind("127.0.0.1", 0);
  const a = udpNetwork.bind("127.0.0.1", 0), b = udpNetwork.bind("127.0.0.1", 0);
  try {
    for (const [sender, other] of [[a, b], [b, a], [b, a], [a, b]]) {
      await sender.send(new Uint8Array([sender.port & 0xff]), `127.0.0.1:${ours.port}`);
      const got = await ours.receive();
      assert.equal(got.from, `127.0.0.1:${sender.port}`);
      assert.notEqual(got.from, `127.0.0.1:${other.port}`);
      await ours.send(new Uint8Array([1]), got.from);
      assert.deepEqual([...(await sender.receive()).data], [1]);
    }
  } finally {
    for (const s of [ours, a, b]) s.close();
  }
});

Deno.test({
  name: "IPv6: a datagram each way on ::1",
  ignore: !hasIpv6Loopback(),
  fn: async () => {
    const ours = ffiUdpNetwork.bind("::1", 0);
    const theirs = udpNetwork.bind("::1", 0);
    try {
      await theirs.send(new Uint8Array([1, 2, 3]), `[::1]:${ours.port}`);
      const got = await ours.receive();
      assert.deepEqual([...got.data], [1, 2, 3]);
      assert.equal(got.from, `[::1]:${theirs.port}`);
      await ours.send(new Uint8Array([4]), got.from);
      assert.deepEqual([...(await theirs.receive()).data], [4]);
    } finally {
      ours.close();
      theirs.close();
    }
  },
});

Deno.test("in the main thread's loop, 100 queued datagrams are all taken before it blocks", async () => {
  // Each datagram taken without a wait is a few microtask hops. Without a round of the loop
  // every few (io/main_wait.ts Streak), the receiving chain outran the loop's drain, and the
  // rest waited for its next wake: here, 3 s later.
  const ours = ffiUdpNetwork.bind("127.0.0.1", 0);
  const sender = ffiUdpNetwork.bind("127.0.0.1", 0);
  // No event-loop turn for 3 s, busy or idle: a turn would run every pending microtask.
  const loop = new MainWait({ busyMs: 3000, idleMs: 3000, idleWakeMs: 3000 });
  loop.start();
  try {
    await new Promise((resolve) => loop.clock.setTimer(10, () => resolve(undefined)));
    // Sent at once (sendto happens in the call), so that no await of ours comes between.
    const sent = Array.from(
      { length: 100 },
      (_, i) => sender.send(new TextEncoder().encode(`#${i}`), `127.0.0.1:${ours.port}`),
    );
    const start = monotonicNow();
    const got: string[] = [];
    while (got.length < 100) {
      got.push(new TextDecoder().decode((await ours.receive()).data));
      for (let hop = 0; hop < 3; hop++) await null; // its handling: a few awaits more
    }
    const ms = monotonicNow() - start;
    await Promise.all(sent);
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `#${i}`));
    assert.ok(ms < 1000, `the last datagram came ${ms} ms after the first: at a later wake`);
  } finally {
    loop.stop();
    await loop.ended;
    ours.close();
    sender.close();
  }
});

Deno.test("addresses: inet_aton's IPv4 forms, IPv6 with a zone, and back", () => {
  assert.equal(addressOf(socketAddress("127.1", 60001)), "127.0.0.1:60001");
  assert.equal(addressOf(socketAddress("0x7f.0.0.1", 1)), "127.0.0.1:1");
  assert.equal(addressOf(socketAddress("2130706433", 65535)), "127.0.0.1:65535");
  assert.equal(addressOf(socketAddress("::ffff:10.0.0.1", 53)), "[::ffff:10.0.0.1]:53");
  assert.equal(addressOf(socketAddress("fe80::1%1", 7)), "[fe80::1]:7");
  assert.equal(addressOf(socketAddress("2001:DB8:0:0:0:0:0:1", 7)), "[2001:db8::1]:7");
  assert.throws(() => socketAddress("localhost", 1), TypeError);
  assert.throws(() => socketAddress("1.2.3.4.5", 1), TypeError);
  assert.throws(() => socketAddress("::g", 1), TypeError);
  assert.throws(() => socketAddress("fe80::1%no-such-interface", 1), TypeError);
});

Deno.test("a port in use: bind fails with the system's words, and no fd is left", () => {
  const taken = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const before = openFds();
  try {
    assert.throws(
      () => bindUdp("127.0.0.1", (taken.addr as Deno.NetAddr).port),
      (e) => e instanceof SystemError && e.text === "Address already in use",
    );
    assert.equal(openFds(), before);
  } finally {
    taken.close();
  }
});

Deno.test("close() ends a pending receive and releases every fd", async () => {
  const before = openFds();
  const socket = ffiUdpNetwork.bind("127.0.0.1", 0);
  const receiving = socket.receive().then(() => "received", (e) => e);
  await new Promise((r) => setTimeout(r, 20)); // polling on a worker thread now
  socket.close();
  socket.close(); // idempotent
  const outcome = await receiving;
  assert.ok(outcome instanceof Deno.errors.BadResource, String(outcome));
  await assert.rejects(socket.receive(), Deno.errors.BadResource);
  await assert.rejects(socket.send(new Uint8Array(1), "127.0.0.1:9"), Deno.errors.BadResource);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(openFds(), before);
});

Deno.test("a refused send is an error with the system's words; a long one says so", async () => {
  const socket = ffiUdpNetwork.bind("127.0.0.1", 0);
  try {
    // 65,508 bytes cannot go in one UDP datagram over IPv4.
    const long = await socket.send(new Uint8Array(65_508), "127.0.0.1:9").catch((e) => e);
    assert.ok(long instanceof UdpSendError && long.tooLong, String(long));
    assert.equal(long.message, "Message too long");
    // An IPv6 destination from an IPv4 socket: refused whatever its size.
    const wrong = await socket.send(new Uint8Array(10), "[::1]:9").catch((e) => e);
    assert.ok(wrong instanceof UdpSendError && !wrong.tooLong, String(wrong));
    assert.ok(MTU_FALLBACK > 10);
  } finally {
    socket.close();
  }
});

Deno.test("a socket handed to another process keeps working there", async () => {
  const { fd, port } = bindUdp("127.0.0.1", 0);
  const peer = udpNetwork.bind("127.0.0.1", 0);
  // The child is given the socket as its fd 3 (as mosh-server's daemon is) and echoes one
  // datagram back through it.
  const pid = spawn({
    file: "python3",
    argv: [
      "python3",
      "-c",
      "import socket; s=socket.socket(fileno=3); d,a=s.recvfrom(100); s.sendto(d[::-1],a)",
    ],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    actions: [{ kind: "dup2", from: fd, to: 3 }],
    setsid: false,
  });
  try {
    close(fd); // the child has its own
    await peer.send(new TextEncoder().encode("abc"), `127.0.0.1:${port}`);
    const back = await peer.receive();
    assert.equal(new TextDecoder().decode(back.data), "cba");
    assert.equal(back.from, `127.0.0.1:${port}`);
  } finally {
    peer.close();
    assert.equal((await waitPid(pid)).code, 0);
  }
});

Deno.test("an adopted socket is close-on-exec and receives as its own", async () => {
  const { fd, port } = bindUdp("127.0.0.1", 0);
  const socket = adoptUdpSocket(fd);
  const peer = udpNetwork.bind("127.0.0.1", 0);
  try {
    assert.equal(socket.fd, fd);
    assert.equal(socket.port, port);
    const flags = Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`).match(/flags:\s+(\d+)/)![1];
    assert.ok((parseInt(flags, 8) & 0o2000000) !== 0, `flags ${flags}`);
    await peer.send(new Uint8Array([9]), `127.0.0.1:${port}`);
    assert.deepEqual([...(await socket.receive()).data], [9]);
  } finally {
    socket.close();
    peer.close();
  }
});

Deno.test("property: random datagrams of every size arrive whole, in order, from the sender", async () => {
  const ours = ffiUdpNetwork.bind("127.0.0.1", 0);
  const theirs = udpNetwork.bind("127.0.0.1", 0);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 1500 }),
            fc.uint8Array({ minLength: 20_000, maxLength: 65_507 }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        async (datagrams) => {
          for (const d of datagrams) await theirs.send(d, `127.0.0.1:${ours.port}`);
          for (const d of datagrams) {
            const got = await ours.receive();
            assert.deepEqual(got.data, d);
            assert.equal(got.from, `127.0.0.1:${theirs.port}`);
          }
          for (const d of datagrams) await ours.send(d, `127.0.0.1:${theirs.port}`);
          for (const d of datagrams) assert.deepEqual((await theirs.receive()).data, d);
        },
      ),
      { numRuns: 60 },
    );
  } finally {
    ours.close();
    theirs.close();
  }
});

Deno.test("a socket bound to a given port says that port, and is bound to it", async () => {
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const free = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const socket = ffiUdpNetwork.bind("127.0.0.1", free);
  const peer = udpNetwork.bind("127.0.0.1", 0);
  try {
    assert.equal(socket.port, free);
    await peer.send(new Uint8Array([7]), `127.0.0.1:${free}`);
    assert.deepEqual([...(await socket.receive()).data], [7]);
  } finally {
    socket.close();
    peer.close();
  }
});

/**
 * mosh-server's daemon loop (server/server.ts) in virtual time, with our client loop over the
 * in-memory network: the rules whose real timings are too long for a test, and the faults that
 * must not end a session silently.
 */
import assert from "node:assert/strict";
import { INPUT_BACKLOG_CAP_BYTES } from "../../core/session/server_session.ts";
import { VirtualClock } from "../../io/clock.ts";
import { MemoryNetwork } from "../../io/memory_network.ts";
import { MoshServer } from "../../server/server.ts";
import { UdpSendError } from "../../io/udp_socket.ts";
import { MTU_FALLBACK, MTU_IPV4 } from "../../core/network/mtu.ts";
import { settled, virtualServerConfig, virtualSession } from "../_virtual_programs.ts";

Deno.test("with no client at all, the server ends after mosh's 60 s, and says so", async () => {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const server = new MoshServer({
    ...virtualServerConfig(clock, new MemoryNetwork(clock).bind("127.0.0.1", 60001), lines),
    program: "/bin/true",
    argv: ["true"],
  });
  const done = settled(server.done);
  await clock.advance(59_990);
  assert.equal(done.done, false, "still waiting before 60 s");
  await clock.advance(20);
  assert.equal(done.value, 0);
  assert.ok(lines.includes("No connection within 60 seconds."), lines.join("\n"));
});

Deno.test("a session in virtual time: keys reach the application, its echo the user's screen, and Ctrl-^ . ends both", async () => {
  const v = virtualSession();
  assert.ok(await v.clock.until(() => v.app() !== undefined, 1000), "the application started");
  assert.deepEqual(v.app()!.size, { cols: 80, rows: 24 }, "at the client's size");
  v.tty.type("echo hi\r");
  assert.ok(
    await v.clock.until(() => v.tty.text().some((r) => r.startsWith("ran: echo hi")), 2000),
  );
  assert.equal(v.app()!.received, "echo hi\r");
  const clientExit = settled(v.client.exited);
  const serverDone = settled(v.serverDone);
  v.tty.type("\x1e.");
  assert.ok(await v.clock.until(() => clientExit.done && serverDone.done, 5000), "both ended");
  assert.equal(clientExit.value!.clean, true);
  assert.equal(serverDone.value, 0);
  assert.deepEqual(v.tty.raw, [true, false], "the terminal was given back");
});

Deno.test("MOSH_SERVER_NETWORK_TMOUT ends the session once the client has been silent that long", async () => {
  const v = virtualSession({ server: { networkTimeout: 20 } });
  assert.ok(await v.clock.until(() => v.app() !== undefined, 1000));
  const cut = v.clock.now();
  v.network.route = () => null; // the client is gone
  const serverDone = settled(v.serverDone);
  await v.clock.advance(19_000);
  assert.equal(serverDone.done, false);
  assert.ok(await v.clock.until(() => serverDone.done, 15_000), "the server ended");
  assert.ok(v.clock.now() - cut >= 20_000);
  assert.ok(v.logs.some((l) => /^Network idle for 2\d seconds\.$/.test(l)), v.logs.join("\n"));
});

Deno.test("the socket's receive loop keeps going through errors, and logs them", async () => {
  let failures = 3;
  const v = virtualSession({
    wrapSocket: (s) => ({
      port: s.port,
      send: (d, to) => s.send(d, to),
      close: () => s.close(),
      receive: () =>
        failures-- > 0 ? Promise.reject(new Error("ICMP port unreachable")) : s.receive(),
    }),
  });
  assert.ok(await v.clock.until(() => v.app() !== undefined, 5000), "the session started anyway");
  assert.ok(v.logs.some((l) => l.includes("ICMP port unreachable")), v.logs.join("\n"));
  v.tty.type("x");
  assert.ok(await v.clock.until(() => v.app()!.received === "x", 2000));
});

Deno.test("an exception in the server loop is shown to the user and ends the session cleanly", async () => {
  const v = virtualSession();
  assert.ok(await v.clock.until(() => v.app() !== undefined, 1000));
  v.app()!.failWrites = true;
  const clientExit = settled(v.client.exited);
  const serverDone = settled(v.serverDone);
  v.tty.type("boom");
  assert.ok(await v.clock.until(() => clientExit.done && serverDone.done, 15_000), "both ended");
  assert.equal(clientExit.value!.clean, true, "the client was told");
  assert.ok(
    v.tty.text().some((r) =>
      r.includes("mosh-server: internal error: write to the application failed")
    ),
    v.tty.text().join("\n"),
  );
  assert.ok(
    v.logs.some((l) => l.startsWith("Internal error: Error: write to the application failed")),
  );
});

Deno.test("input the application does not read waits in the client, not on the server; none is lost", async () => {
  const v = virtualSession();
  assert.ok(await v.clock.until(() => v.app() !== undefined, 1000));
  const app = v.app()!;
  app.reading = false;
  const chunk = "y".repeat(20_000);
  let typed = "";
  for (let i = 0; i < 40; i++) { // 800 kB, in pastes, while the application reads nothing
    v.tty.type(chunk);
    typed += chunk;
    await v.clock.advance(50);
  }
  await v.clock.advance(3000);
  const held = v.server.session.transport.drops.total("held");
  assert.ok(held > 0, "client states were held back");
  assert.ok(
    app.writeBacklog <= INPUT_BACKLOG_CAP_BYTES + 200_000,
    `the server queued ${app.writeBacklog} bytes for the application`,
  );
  app.reading = true;
  app.drain();
  assert.ok(await v.clock.until(() => app.received.length === typed.length, 60_000, 50));
  assert.equal(app.received, typed, "every byte once, in order");
});

for (
  const [message, tooLong] of [["No buffer space available", true], [
    "Message too long",
    false,
  ]] as const
) {
  Deno.test(`a send refused by our libc socket makes datagrams smaller only when it says so: "${message}", tooLong ${tooLong}`, async () => {
    let refuse = false;
    const v = virtualSession({
      wrapSocket: (socket) => ({
        get port() {
          return socket.port;
        },
        send: (data, to) => {
          if (!refuse) return socket.send(data, to);
          refuse = false;
          return Promise.reject(new UdpSendError(message, tooLong));
        },
        receive: () => socket.receive(),
        close: () => socket.close(),
      }),
    });
    assert.ok(await v.clock.until(() => v.app() !== undefined, 1000), "the application started");
    const connection = v.server.session.transport.connection;
    assert.equal(connection.mtu, MTU_IPV4);
    refuse = true;
    v.tty.type("x");
    assert.ok(await v.clock.until(() => !refuse, 2000), "a send was refused");
    await v.clock.advance(100);
    assert.equal(connection.mtu, tooLong ? MTU_FALLBACK : MTU_IPV4);
    v.tty.type("\x1e.");
    await v.clock.advance(5000);
  });
}

/**
 * Two real endpoints on loopback UDP synchronize a UserStream one way and a text the other,
 * then shut down with mosh's handshake.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { decodeUserMessage } from "../../core/statesync/user_message.ts";
import { addressKey, monotonicNow, parseAddress, UdpEndpoint } from "../../io/udp.ts";
import { TextState } from "../sim/text_state.ts";
import { platform } from "../_platform.ts";

Deno.test("addresses round-trip between Deno and the transport's spelling", () => {
  for (const hostname of ["127.0.0.1", "::1", "fe80::1"]) {
    const a: Deno.NetAddr = { transport: "udp", hostname, port: 60001 };
    assert.deepEqual(parseAddress(addressKey(a)), a);
  }
  assert.equal(addressKey({ transport: "udp", hostname: "::1", port: 7 }), "[::1]:7");
});

Deno.test({
  name: "a client and a server synchronize over real loopback UDP and shut down cleanly",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const key = Base64Key.generate(platform);
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (socket.addr as Deno.NetAddr).port;
    const now = monotonicNow();
    let received = "";
    let resolveDone: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));

    const serverT = new Transport<TextState, UserStream>({
      key,
      platform,
      server: true,
      initialState: new TextState(),
      initialRemote: new UserStream(),
      now,
    });
    const clientT = new Transport<UserStream, TextState>({
      key,
      platform,
      server: false,
      remote: `127.0.0.1:${port}`,
      initialState: new UserStream(),
      initialRemote: new TextState(),
      now,
      sendMinDelay: 1,
    });
    clientT.setCurrentState(new UserStream().pushResize(80, 24));
    const server: UdpEndpoint<TextState, UserStream> = new UdpEndpoint(serverT, {
      socket,
      onRemoteState() {
        for (const u of decodeUserMessage(serverT.takeRemoteDiff()) ?? []) {
          if ("keys" in u) received += new TextDecoder().decode(u.keys);
        }
        server.setCurrentState(new TextState(`echo:${received}`));
      },
      onService() {
        if (serverT.sender.counterpartyShutdownAckSent) server.close();
      },
    });
    const client: UdpEndpoint<UserStream, TextState> = new UdpEndpoint(clientT, {
      clientBindHost: "127.0.0.1",
      onService() {
        if (clientT.sender.shutdownAcknowledged) {
          client.close();
          resolveDone();
        }
      },
    });
    try {
      for (const k of ["hello", " ", "world"]) {
        client.setCurrentState(clientT.currentState.pushKeys(new TextEncoder().encode(k)));
        await new Promise((r) => setTimeout(r, 30));
      }
      const deadline = Date.now() + 5000;
      while (clientT.latestRemote.state.text !== "echo:hello world" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(received, "hello world");
      assert.equal(clientT.latestRemote.state.text, "echo:hello world");
      assert.ok(clientT.connection.rtt.measured, "the round trip was measured");
      clientT.startShutdown(monotonicNow());
      client.service();
      await Promise.race([
        done,
        new Promise((_, no) => setTimeout(() => no(new Error("no shutdown")), 5000)),
      ]);
      assert.ok(clientT.sender.shutdownAcknowledged);
      assert.ok(serverT.sender.counterpartyShutdownAckSent);
    } finally {
      client.close();
      server.close();
    }
  },
});

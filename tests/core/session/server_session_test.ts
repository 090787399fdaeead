/**
 * ServerSession's rules in virtual time, driven by hand or by a ClientSession: capabilities,
 * reattach, signals and timeouts.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../../core/crypto/key.ts";
import type { ServerAction } from "../../../core/session/action.ts";
import { ClientSession } from "../../../core/session/client_session.ts";
import { NO_CLIENT_TIMEOUT_MS, ServerSession } from "../../../core/session/server_session.ts";
import { decodeHostMessage } from "../../../core/statesync/host_message.ts";
import { Feature } from "../../../core/statesync/extensions.ts";
import { decodeInstruction } from "../../../core/network/instruction.ts";
import { decodeFragment } from "../../../core/network/fragment.ts";
import { DatagramCodec, Direction } from "../../../core/network/datagram.ts";
import { forger } from "../transport/_forge.ts";
import { platform } from "../../_platform.ts";

const KEY = Base64Key.fromBytes(new Uint8Array(16).fill(5));
const NEW_KEY = Base64Key.fromBytes(new Uint8Array(16).fill(6));
const enc = new TextEncoder();

function server(options: Partial<ConstructorParameters<typeof ServerSession>[0]> = {}) {
  return new ServerSession({ key: KEY, platform, now: 0, width: 80, height: 24, ...options });
}

function client(features?: number, key = KEY, port = 60001) {
  return new ClientSession({
    key,
    platform,
    now: 0,
    ip: "127.0.0.1",
    port,
    width: 80,
    height: 24,
    caps: { smcup: "", rmcup: "", ech: true, bce: true, titles: true },
    settings: { termInit: true, titlePrefix: "", features },
  });
}

/** Every HostMessage instruction the server's datagrams carry (under `key`). */
function hostInstructions(actions: ServerAction[], key = KEY) {
  const codec = new DatagramCodec(key, platform);
  const out = [];
  for (const a of actions) {
    if (a.type !== "send") continue;
    const p = codec.open(a.data, Direction.ToClient);
    if (typeof p === "string") continue;
    const f = decodeFragment(p.payload);
    if (typeof f === "string" || f.num !== 0 || !f.final) continue;
    const inst = decodeInstruction(f.contents, platform.zlib);
    if (typeof inst === "string") continue;
    out.push(...(decodeHostMessage(inst.diff) ?? []));
  }
  return out;
}

/** Runs a client and a server for `ms`, datagrams arriving at once; returns the server's actions. */
function exchange(c: ClientSession, s: ServerSession, from: number, ms: number, socket = 0) {
  const actions: ServerAction[] = [];
  for (let now = from; now <= from + ms; now++) {
    c.tick(now);
    for (const a of c.takeActions()) {
      if (a.type === "send") s.receive(now, a.data, "127.0.0.1:5000", socket);
    }
    s.tick(now);
    for (const a of s.takeActions()) {
      actions.push(a);
      if (a.type === "send" && a.socket === socket) c.receive(now, a.data, "127.0.0.1:60001");
    }
  }
  return actions;
}

Deno.test("a stock client (no announcement) never gets an extension; ours gets the server's answer", () => {
  for (const [features, expect] of [[0, 0], [Feature.notice, Feature.notice]] as const) {
    const s = server();
    const c = client(features);
    const actions = exchange(c, s, 0, 2000);
    const extensions = hostInstructions(actions).filter((i) =>
      "serverCapabilities" in i || "notice" in i
    );
    if (expect === 0) assert.deepEqual(extensions, [], "nothing of ours for a stock client");
    else assert.deepEqual(extensions, [{ serverCapabilities: { version: 1, features: expect } }]);
    assert.equal(c.transport.latestRemote.state.features, expect);
  }
});

Deno.test("after a reattach the old key is dead: its datagrams reach neither the application nor the peer address", () => {
  const s = server();
  const c = client();
  exchange(c, s, 0, 1000);
  const peer = s.clientAddress;
  assert.ok(peer);
  assert.ok(s.attach(1000, NEW_KEY, 1, "10.1.1.1"));
  // The old client goes on typing (it has not heard the farewell): its datagrams, and a key
  // holder's forged with the old key, come to both the old socket and the new one.
  let heardInput = false;
  const forge = forger(KEY);
  const oldState = c.transport.latestRemote.num;
  void oldState;
  c.keys(1100, enc.encode("rm -rf ~\r"));
  for (let now = 1100; now < 1400; now++) {
    c.tick(now);
    const sent = c.takeActions().flatMap((a) => a.type === "send" ? [a.data] : []);
    const base = c.transport.sender.acked;
    const forged = forge(now, {
      oldNum: base.num,
      newNum: base.num + 100n,
      throwawayNum: base.num,
      diff: c.transport.currentState.diffFrom(base.state),
    });
    for (const d of [...sent, ...forged]) {
      for (const socket of [0, 1]) s.receive(now, d, "6.6.6.6:666", socket);
    }
    for (const a of s.takeActions()) if (a.type === "input") heardInput = true;
  }
  assert.equal(heardInput, false, "the old key's keys reached the application");
  assert.equal(s.clientAddress, peer, "the old key moved the peer address");
  assert.equal(s.transport.connection.remoteAddr, undefined, "the new connection has no peer yet");
  // The new client, under the new key on the new socket, is heard.
  const fresh = client(undefined, NEW_KEY, 60002);
  fresh.keys(1200, enc.encode("ok"));
  const actions = exchange(fresh, s, 1200, 500, 1);
  const input = actions.filter((a) => a.type === "input").map((a) =>
    a.type === "input" ? new TextDecoder().decode(a.bytes) : ""
  ).join("");
  assert.equal(input, "ok");
});

Deno.test("a client heard from a new address gets what it missed at once, not at the retransmission timer", () => {
  const s = server();
  const c = client();
  exchange(c, s, 0, 2000); // connected and idle, the client at 127.0.0.1:5000
  // A screenful: more than the sender resends from the last acknowledged state by itself.
  const text = Array.from({ length: 1500 }, (_, i) => String.fromCharCode(97 + (i * 7) % 26));
  s.output(2001, enc.encode("missed " + text.join("")));
  // Everything the server sends now goes to the old address, which a NAT has forgotten.
  let now = 2001;
  let heartbeat: Uint8Array | undefined;
  for (; heartbeat === undefined && now < 10_000; now++) {
    s.tick(now);
    s.takeActions();
    c.tick(now);
    heartbeat = c.takeActions().find((a) => a.type === "send")?.data;
  }
  assert.ok(heartbeat, "the client sent nothing");
  s.receive(now, heartbeat, "127.0.0.1:6000");
  const sent = s.takeActions().filter((a) => a.type === "send" && a.to === "127.0.0.1:6000");
  const bytes = hostInstructions(sent).flatMap((i) => "hostBytes" in i ? [i.hostBytes] : []);
  assert.ok(
    bytes.some((b) => new TextDecoder().decode(b).includes("missed")),
    "the output was not sent again to the new address with the datagram that told of it",
  );
});

Deno.test("a reattach that no client follows neither ends the session nor extends its network timeout", () => {
  const s = server({ networkTimeoutMs: 120_000 });
  const c = client();
  exchange(c, s, 0, 1000);
  assert.ok(s.attach(20_000, NEW_KEY, 1));
  // No new client: the no-client timeout (60 s) does not apply to a reattach...
  s.tick(20_000 + NO_CLIENT_TIMEOUT_MS + 1);
  assert.equal(s.exited, false);
  // ...and the network timeout still counts from the last client heard (about 1 s in), not
  // from the attach.
  s.tick(121_500);
  const actions = s.takeActions();
  assert.ok(actions.some((a) => a.type === "exit"), JSON.stringify(actions.map((a) => a.type)));
  const logs = actions.flatMap((a) => a.type === "log" ? [a.line] : []);
  assert.ok(logs.some((l) => /^Network idle for 12[01] seconds/.test(l)), logs.join("\n"));
});

Deno.test("SIGUSR1 ends the session unless a client was heard within MOSH_SERVER_SIGNAL_TMOUT", () => {
  const s = server({ signalTimeoutMs: 10_000 });
  const c = client();
  exchange(c, s, 0, 1000);
  s.signal(5000, "SIGUSR1");
  assert.equal(s.transport.sender.shutdownInProgress, false, "the client was heard 4 s ago");
  s.signal(20_000, "SIGUSR1");
  assert.equal(s.transport.sender.shutdownInProgress, true);
  assert.ok(s.takeActions().some((a) => a.type === "log" && /when SIGUSR1 received/.test(a.line)));
});

Deno.test("with no client at all the server leaves at its no-client timeout, not before", () => {
  const s = server({ noClientTimeoutMs: 5000 });
  assert.equal(s.wakeAt(0), 5000, "it wakes exactly then");
  s.tick(4999);
  assert.equal(s.exited, false);
  s.tick(5000);
  assert.equal(s.exited, true);
});

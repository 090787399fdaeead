/**
 * mosh-client's loop (client/client.ts) in virtual time, with a stand-in terminal and our
 * server loop over the in-memory network: what it writes on the way in and on every way out,
 * and how it keeps sending across port hops.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import type { ClientAction } from "../../core/session/action.ts";
import { VirtualClock } from "../../io/clock.ts";
import { MemoryNetwork } from "../../io/memory_network.ts";
import type { DatagramNetwork } from "../../io/datagram.ts";
import { MoshClient } from "../../client/client.ts";
import type { DisplayPreference } from "../../core/prediction/prediction.ts";
import { CLIENT_FEATURES } from "../../core/session/client_session.ts";
import { Feature } from "../../core/statesync/extensions.ts";
import { platform } from "../_platform.ts";
import { settled, StandInTty, virtualSession } from "../_virtual_programs.ts";

const CAPS = { smcup: "<smcup>", rmcup: "<rmcup>", ech: true, bce: true, titles: true };

/**
 * A client whose server never answers, on a stand-in terminal, in virtual time; without native
 * scrollback (mosh's way: the alternate screen) unless `features` says otherwise.
 */
function lonelyClient(predict?: DisplayPreference, features: number = Feature.notice) {
  const clock = new VirtualClock();
  const tty = new StandInTty(80, 10);
  const client = new MoshClient({
    ip: "127.0.0.1",
    port: 9,
    key: Base64Key.generate(platform),
    caps: CAPS,
    settings: { termInit: true, titlePrefix: "[mosh] ", predict, features },
    tty,
    network: new MemoryNetwork(clock),
    clock,
    platform,
    signals: false,
  });
  return { clock, tty, client };
}

Deno.test("the client takes the terminal raw with smcup and application cursor keys", () => {
  const { tty, client } = lonelyClient();
  assert.deepEqual(tty.raw, [true]);
  assert.equal(tty.writes[0], "<smcup>\x1b[?1h");
  client.abort(new Error("test over"));
});

Deno.test("with native scrollback the client stays on the main screen and asks where the cursor is", () => {
  const { tty, client } = lonelyClient(undefined, CLIENT_FEATURES);
  assert.deepEqual(tty.raw, [true]);
  assert.equal(tty.writes[0], "\x1b[?1h\x1b[6n", "no smcup until the server says how");
  client.abort(new Error("test over"));
  assert.ok(!tty.writes.some((w) => w.includes("<rmcup>")), "no rmcup without smcup");
});

Deno.test("an exception restores the terminal and reports the error", async () => {
  const { tty, client } = lonelyClient();
  client.abort(new Error("boom"));
  const exit = await client.exited;
  assert.deepEqual(tty.raw, [true, false]);
  assert.ok(tty.writes.at(-1)!.endsWith("<rmcup>"));
  assert.ok(tty.writes.at(-1)!.includes("\x1b[?1l\x1b[0m\x1b[?25h"));
  assert.equal(exit.clean, false);
  assert.match(exit.message!, /Error: boom/);
});

Deno.test("end of input starts the shutdown; with no server it ends uncleanly, terminal restored", async () => {
  const { clock, tty, client } = lonelyClient();
  const exit = settled(client.exited);
  tty.type(null);
  assert.ok(await clock.until(() => exit.done, 20_000, 100), "the client left");
  assert.equal(exit.value!.clean, false);
  assert.match(exit.value!.message!, /did not make a successful connection to 127\.0\.0\.1:9/);
  assert.deepEqual(tty.raw, [true, false]);
  assert.ok(tty.writes.some((w) => w.includes("Exiting...")), "the bar said Exiting...");
});

Deno.test("with no server, the bar says so after 250 ms, and the client gives up after 15 s", async () => {
  const { clock, tty, client } = lonelyClient();
  const exit = settled(client.exited);
  await clock.advance(300);
  assert.match(tty.text()[0], /^mosh: Nothing received from server on UDP port 9\./);
  await clock.advance(14_800);
  assert.equal(exit.done, false);
  await clock.advance(300);
  assert.match(tty.text()[0], /^mosh: Timed out waiting for server\.\.\./);
  assert.ok(await clock.until(() => exit.done, 15_000, 100));
});

Deno.test("keystrokes go through the prediction engine; a paste does not; never predicts nothing", async () => {
  const { clock, tty, client } = lonelyClient("always");
  const predictions = client.session.predictions;
  tty.type("ab");
  await clock.advance(1);
  assert.equal(predictions.active, true, "typing is predicted");
  tty.type("x".repeat(101));
  await clock.advance(1);
  assert.equal(predictions.active, false, "a paste resets the predictions");
  tty.type("c");
  await clock.advance(1);
  assert.equal(predictions.active, true);
  client.abort(new Error("test over"));
  const never = lonelyClient("never");
  never.tty.type("ab");
  await never.clock.advance(1);
  assert.equal(never.client.session.predictions.active, false);
  never.client.abort(new Error("test over"));
});

Deno.test("across a port hop every datagram goes out, the fragments of a large instruction included", async () => {
  const v = virtualSession();
  assert.ok(await v.clock.until(() => v.app() !== undefined, 1000));
  // Count what the session asks to send.
  let asked = 0;
  const take = v.client.session.takeActions.bind(v.client.session);
  v.client.session.takeActions = (): ClientAction[] => {
    const actions = take();
    asked += actions.filter((a) => a.type === "send").length;
    return actions;
  };
  const sentByClient = () => v.network.sent.filter((p) => p.to === "127.0.0.1:60001").length;
  const before = sentByClient();
  // Nothing comes back for a while: the client hops ports after 10 s without a round trip.
  v.network.route = (p) => (p.to === "127.0.0.1:60001" ? { packet: p, delay: 1 } : null);
  const ports = () =>
    new Set(v.network.sent.filter((p) => p.to === "127.0.0.1:60001").map((p) => p.from));
  await v.clock.advance(9_000);
  const incompressible = Array.from({ length: 90 }, (_, i) => (i * 7919 % 89 + 33)).map((c) =>
    String.fromCharCode(c)
  ).join("");
  let typed = "";
  for (let i = 0; i < 40 && ports().size < 3; i++) {
    v.tty.type(incompressible); // big, badly compressible instructions: several fragments each
    typed += incompressible;
    await v.clock.advance(700);
  }
  assert.ok(ports().size >= 2, `the client hopped (ports used: ${ports().size})`);
  assert.equal(sentByClient() - before, asked, "a datagram the session sent was dropped");
  v.network.route = (p) => ({ packet: p, delay: 1 });
  assert.ok(await v.clock.until(() => v.app()!.received.endsWith(typed), 30_000, 50));
});

Deno.test("a port that cannot be opened during a hop is an error on the bar, not an exception", async () => {
  let binds = 0;
  const v = virtualSession({
    clientNetwork: (network): DatagramNetwork => ({
      bind(host, port) {
        if (++binds === 2) throw new Error("no more sockets (EMFILE)");
        return network.bind(host, port);
      },
    }),
  });
  assert.ok(await v.clock.until(() => v.app() !== undefined, 1000));
  const exit = settled(v.client.exited);
  // Nothing comes back: after 10 s without a round trip the client hops; that bind fails.
  v.network.route = (p) => (p.to === "127.0.0.1:60001" ? { packet: p, delay: 1 } : null);
  assert.ok(await v.clock.until(() => binds >= 2, 20_000, 100), "a hop was attempted");
  await v.clock.advance(10);
  assert.equal(exit.done, false, "the client is still running");
  assert.match(v.tty.text()[0], /no more sockets \(EMFILE\)/, v.tty.text().join("\n"));
  v.tty.type("still here");
  assert.ok(await v.clock.until(() => binds >= 3, 5000, 100), "a later send opened a port again");
  v.network.route = (p) => ({ packet: p, delay: 1 });
  assert.ok(await v.clock.until(() => v.app()!.received.endsWith("still here"), 30_000, 50));
});

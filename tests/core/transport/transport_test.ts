/**
 * The transport between two endpoints joined directly (no simulator): limits and bookkeeping
 * that the property tests do not pin down exactly.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../../_assert.ts";
import { Base64Key } from "../../../core/crypto/key.ts";
import { Transport } from "../../../core/transport/transport.ts";
import { UserStream } from "../../../core/statesync/user_stream.ts";
import { serializeInstruction } from "../../../core/network/instruction.ts";
import { MAX_INFLATED_BYTES } from "../../../core/network/compressor.ts";
import { TextState } from "../../sim/text_state.ts";
import { platform, withRandom } from "../../_platform.ts";

const KEY = Base64Key.fromBytes(new Uint8Array(16).fill(3));
const zeros = (b: Uint8Array) => b.fill(0); // no chaff: sizes are exact

/** Delivers datagrams; whether any of them completed a new state. */
function deliver(
  to: Transport<UserStream, TextState> | Transport<TextState, UserStream>,
  list: { data: Uint8Array }[],
  t: number,
  from: string,
): boolean {
  let fresh = false;
  for (const o of list) fresh = to.receive(t, o.data, from) || fresh;
  return fresh;
}

/** Ticks `t` at the time it asks for, from `now` on; returns what it sent and when. */
function sendNext(
  t: Transport<UserStream, TextState>,
  now: number,
): { out: { data: Uint8Array }[]; at: number } {
  const at = now + t.waitTime(now);
  return { out: t.tick(at), at };
}

function pair(now = 0) {
  const client = new Transport<UserStream, TextState>({
    key: KEY,
    server: false,
    remote: "server:1",
    initialState: new UserStream(),
    initialRemote: new TextState(),
    now,
    platform: withRandom(zeros),
  });
  const server = new Transport<TextState, UserStream>({
    key: KEY,
    server: true,
    initialState: new TextState(),
    initialRemote: new UserStream(),
    now,
    platform: withRandom(zeros),
  });
  return { client, server };
}

/** Printable text that does not compress (a seeded xorshift picks each character). */
function noise(n: number): string {
  let x = 2463534242;
  let s = "";
  for (let i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >>> 17, x ^= x << 5;
    s += String.fromCharCode(33 + ((x >>> 0) % 94));
  }
  return s;
}

/** The text whose first instruction (state 0 to 1) serializes to exactly `bytes`. */
function textForInstruction(bytes: number): string {
  const pool = noise(bytes);
  let n = bytes - 30;
  for (;;) {
    const text = pool.slice(0, n);
    const size = serializeInstruction({
      protocolVersion: 2,
      oldNum: 0n,
      newNum: 1n,
      ackNum: 1n,
      throwawayNum: 0n,
      diff: new TextState(text).diffFrom(new TextState()),
      chaff: new Uint8Array(0),
    }).length;
    if (size === bytes) return text;
    n += bytes - size;
  }
}

for (
  const [bytes, accepted] of [[MAX_INFLATED_BYTES, true], [MAX_INFLATED_BYTES + 1, false]] as const
) {
  Deno.test(`an instruction of ${bytes} bytes (mosh's limit ${accepted ? "" : "+ 1"}) is ${accepted ? "accepted" : "refused"}`, () => {
    const { client, server } = pair();
    let t = 0;
    for (const o of client.tick(t)) server.receive(t, o.data, "client:9");
    server.setCurrentState(new TextState(textForInstruction(bytes)));
    t = 1000;
    const out = server.tick(t);
    assert.ok(out.length > 2000, `${out.length} fragments`);
    let fresh = false;
    for (const o of out) fresh = client.receive(t, o.data, "server:1") || fresh;
    assertEquals(fresh, accepted);
    assertEquals(client.latestRemote.num, accepted ? 1n : 0n);
    assertEquals(client.drops.total("inflate"), accepted ? 0 : 1);
  });
}

Deno.test("the acknowledged state's timestamp is when it was sent, not when the ack came", () => {
  const { client, server } = pair();
  client.setCurrentState(new UserStream().pushKeys(new TextEncoder().encode("x")));
  const sendAt = 1000;
  const sent = client.tick(sendAt);
  assert.ok(sent.length);
  const ackFrom = 1500;
  for (const o of sent) server.receive(ackFrom, o.data, "client:9");
  const ackAt = 2600; // a slow way back
  for (const o of server.tick(ackFrom + 200)) client.receive(ackAt, o.data, "server:1");
  assertEquals(client.sender.acked.num, 1n);
  assertEquals(client.sender.acked.timestamp, sendAt);
});

Deno.test("a state whose base the receiver lacks is ignored; an out-of-order one is kept unacked", () => {
  const { client, server } = pair();
  const enc = new TextEncoder();
  let t = 0;
  // Big enough that mosh's prospective resend (rebasing on the acked state) does not apply.
  const big = noise(1500);
  client.setCurrentState(client.currentState.pushKeys(enc.encode(big)));
  const one = client.tick(t += 10);
  client.setCurrentState(client.currentState.pushKeys(enc.encode("b")));
  const next = sendNext(client, t += 300); // based on state 1, assumed received
  const two = next.out;
  t = next.at;
  assertEquals(deliver(server, two, t, "c:1"), false);
  assertEquals(server.latestRemote.num, 0n, "no base: dropped");
  assertEquals(deliver(server, one, t, "c:1"), true);
  assertEquals(deliver(server, two, t, "c:1"), true);
  assertEquals(server.latestRemote.num, 2n);
  assertEquals(new TextDecoder().decode(server.latestRemote.state.bytes), big + "b");
});

Deno.test("out of order: a newer state is stored but not acknowledged until the gap fills", () => {
  const { client, server } = pair();
  const enc = new TextEncoder();
  client.setCurrentState(client.currentState.pushKeys(enc.encode("a")));
  const one = client.tick(10);
  // Time passes beyond RTO + 100 ms: state 2 is based on state 0 again.
  client.setCurrentState(client.currentState.pushKeys(enc.encode("b")));
  const two = sendNext(client, 2000).out;
  assertEquals(deliver(server, two, 2000, "c:1"), true);
  assertEquals(server.sender.ackNum, 2n);
  assertEquals(deliver(server, one, 2001, "c:1"), false);
  assertEquals(server.sender.ackNum, 2n, "the late state 1 does not move the ack back");
  assertEquals(server.latestRemote.num, 2n);
});

Deno.test("a malformed diff from an authentic peer is dropped and counted", () => {
  /** A server state whose diffs the client cannot apply. */
  class Garbage extends TextState {
    override diffFrom(): Uint8Array {
      return new TextEncoder().encode("no colon here");
    }
  }
  const client = pair().client;
  const server = new Transport<TextState, UserStream>({
    key: KEY,
    platform,
    server: true,
    initialState: new TextState(),
    initialRemote: new UserStream(),
    now: 0,
  });
  for (const o of client.tick(0)) server.receive(0, o.data, "c:1");
  server.setCurrentState(new Garbage("x"));
  for (const o of server.tick(1000)) assertEquals(client.receive(1000, o.data, "server:1"), false);
  assertEquals(client.drops.total("diff"), 1);
  assertEquals(client.latestRemote.num, 0n);
});

Deno.test("a key holder's state that does not extend the newest is skipped, not fatal", () => {
  const { client, server } = pair();
  const enc = new TextEncoder();
  // The real client types "ab" (state 1), the server reads it.
  client.setCurrentState(client.currentState.pushKeys(enc.encode("ab")));
  deliver(server, client.tick(0), 0, "c:1");
  assertEquals(new TextDecoder().decode(server.takeRemoteDiff()).includes("ab"), true);
  // Someone with the key sends state 2 based on state 0 with other keys: "xy".
  const rogue = new Transport<UserStream, TextState>({
    key: KEY,
    server: false,
    remote: "server:1",
    initialState: new UserStream(),
    initialRemote: new TextState(),
    now: 0,
    platform: withRandom(zeros),
  });
  rogue.setCurrentState(rogue.currentState.pushKeys(enc.encode("xy")));
  rogue.tick(0); // state 1 (lost)
  rogue.setCurrentState(rogue.currentState.pushKeys(enc.encode("z")));
  const forged = sendNext(rogue, 5000).out; // state 2, based on 0: "xyz"
  assertEquals(deliver(server, forged, 5000, "c:1"), true);
  assertEquals(server.takeRemoteDiff().length, 0, "skipped");
  assertEquals(server.drops.total("diff"), 1);
});

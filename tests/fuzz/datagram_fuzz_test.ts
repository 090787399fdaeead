/**
 * Hostile datagrams into both ends of a live session: uniformly random bytes of every length,
 * mutations of valid datagrams (ours and a real mosh 1.4.0 session's), replays of old ones,
 * reflections of a side's own, and datagrams under another key. Each must be dropped and
 * counted under the right reason, or (an authentic replay) be taken in and change nothing; the
 * side that received it must stay exactly its twin, which never saw it (see `_session.ts`).
 *
 * Replay a failure with the DENOMOSH_FUZZ_SEED it prints; DENOMOSH_FUZZ_RUNS=N runs N times
 * as many cases (see `_fuzz.ts`).
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { DatagramCodec, Direction, NO_TIMESTAMP } from "../../core/network/datagram.ts";
import { bytesEqual } from "../../core/bytes.ts";
import type { DropReason } from "../../core/network/drop.ts";
import type { Rng } from "../sim/random.ts";
import { hex, toHex } from "../_hex.ts";
import { pick, randomBytes, runs, seeded, stackOf, Tally } from "./_fuzz.ts";
import { MAX_FUZZ_LENGTH, mutateRandomly, unauthenticReason } from "./_mutate.ts";
import {
  assertSameState,
  CLIENT_ADDR,
  type ClientT,
  FuzzSession,
  makeClient,
  makeServer,
  SERVER_ADDR,
  type ServerT,
  type Side,
} from "./_session.ts";
import { decodeUserMessage } from "../../core/statesync/user_message.ts";
import { platform } from "../_platform.ts";

/** Lengths around every boundary of the receive path. */
const EDGE_LENGTHS = [0, 1, 7, 8, 9, 23, 24, 25, 27, 28, 29, 37, 38, 1252, 2047, 2048, 2049, 2100];
/** Source addresses of hostile datagrams: the real client's among them (a spoofed source). */
const SOURCES = [CLIENT_ADDR, "203.0.113.66:4444", "203.0.113.66:60001", "[2001:db8::1]:9"];

function randomLength(rng: Rng): number {
  return rng.chance(0.5) ? pick(rng, EDGE_LENGTHS) : rng.int(0, MAX_FUZZ_LENGTH);
}

const SIDES: readonly Side[] = ["server", "client"];
/** The side that receives what `s` sends. */
const peerOf = (s: Side): Side => s === "server" ? "client" : "server";

Deno.test("random datagrams of every length 0-2,100 are dropped as short, oversize or auth, and change nothing", async () => {
  const name = "datagram/random";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const s = new FuzzSession({ seed: rng.int(0, 2 ** 31) });
    const steps = runs(1000);
    for (let i = 0; i < steps; i++) {
      s.step();
      for (let k = rng.int(0, 100); k > 0; k--) {
        const side = pick(rng, SIDES);
        const data = randomBytes(rng, randomLength(rng));
        // Half of them wear a real nonce: the right direction bit and a plausible sequence.
        const model = s.sent[peerOf(side)].at(-1);
        if (model && data.length >= 8 && rng.chance(0.5)) data.set(model.subarray(0, 8));
        const reason = unauthenticReason(data.length);
        s.inject(side, data, pick(rng, SOURCES), reason);
        tally.add(reason);
      }
      s.check();
    }
    s.settle();
    s.check();
    assert.equal(s.keys, s.typed, "every keystroke arrived once, in order");
    tally.report(name, started);
  });
});

Deno.test("mutated valid datagrams (flips, truncations, extensions, splices) are dropped, never half-taken", async () => {
  const name = "datagram/mutated";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const s = new FuzzSession({ seed: rng.int(0, 2 ** 31) });
    const steps = runs(1200);
    for (let i = 0; i < steps; i++) {
      s.step();
      for (const sender of SIDES) {
        const sent = s.sent[sender];
        if (sent.length < 2) continue;
        for (let k = rng.int(0, 30); k > 0; k--) {
          const original = rng.chance(0.5) ? sent[sent.length - 1] : pick(rng, sent);
          const other = pick(rng, sent);
          const m = mutateRandomly(rng, original, other, (op) => tally.detail(op));
          if (bytesEqual(m, original) || bytesEqual(m, other)) continue;
          const reason = unauthenticReason(m.length);
          s.inject(peerOf(sender), m, pick(rng, SOURCES), reason);
          tally.add(reason);
        }
      }
      s.check();
    }
    s.settle();
    s.check();
    assert.equal(s.keys, s.typed);
    tally.report(name, started);
  });
});

Deno.test("replays from any address, reflections and other keys' datagrams change no state", async () => {
  const name = "datagram/replay";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const s = new FuzzSession({ seed: rng.int(0, 2 ** 31) });
    const stranger = new DatagramCodec(Base64Key.fromBytes(randomBytes(rng, 16)), platform);
    const steps = runs(1200);
    for (let i = 0; i < steps; i++) {
      s.step();
      for (let k = rng.int(0, 25); k > 0; k--) {
        const side = pick(rng, SIDES);
        const r = rng.next();
        if (r < 0.5) {
          const old = s.replayable(side);
          if (!old) continue;
          const late = s.replay(side, old, pick(rng, SOURCES));
          tally.add(late ? "replay-late-state" : "replay");
          if (old.length > 1) tally.detail("multi-fragment-replays");
        } else if (r < 0.75) {
          const own = s.sent[side];
          if (!own.length) continue;
          s.inject(side, pick(rng, own), pick(rng, SOURCES), "direction");
          tally.add("reflection");
        } else {
          // Another key: the same shape as a real datagram, the right direction bit.
          const wire = stranger.seal({
            seq: BigInt(rng.int(0, 1000)),
            direction: side === "server" ? Direction.ToServer : Direction.ToClient,
            timestamp: rng.int(0, 0xfffe),
            timestampReply: NO_TIMESTAMP,
            payload: randomBytes(rng, rng.chance(0.5) ? 40 : rng.int(0, 1300)),
          });
          s.inject(side, wire, pick(rng, SOURCES), "auth");
          tally.add("other-key");
        }
      }
      s.check();
    }
    s.settle();
    s.check();
    assert.equal(s.keys, s.typed, "replays typed nothing twice");
    tally.report(name, started);
  });
});

const fixture = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/mosh-1.4.0-session.json", import.meta.url)),
) as { key: string; datagrams: { dir: "c2s" | "s2c"; hex: string }[] };

Deno.test("a real mosh 1.4.0 session is taken whole; its mutations, replays and reflections change nothing", async () => {
  const name = "datagram/recorded";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const key = Base64Key.parse(fixture.key);
    const recorded = fixture.datagrams.map((d) => ({
      toServer: d.dir === "c2s",
      data: hex(d.hex),
    }));
    const rounds = runs(80);
    for (let round = 0; round < rounds; round++) {
      const server: [ServerT, ServerT] = [makeServer(key, 7), makeServer(key, 7)];
      const client: [ClientT, ClientT] = [makeClient(key, 8), makeClient(key, 8)];
      const delivered: { toServer: boolean; data: Uint8Array }[] = [];
      let now = 1000, typed = "";
      const hostile = (toServer: boolean, wire: Uint8Array, expect: DropReason | "nothing") => {
        const t = toServer ? server[0] : client[0];
        const total = t.drops.total(), count = expect === "nothing" ? 0 : t.drops.total(expect);
        let fresh: boolean;
        try {
          fresh = t.receive(now, wire, pick(rng, SOURCES));
        } catch (e) {
          throw new Error(`receive threw on ${toHex(wire)}: ${stackOf(e)}`);
        }
        const ok = expect === "nothing"
          ? t.drops.total() === total
          : t.drops.total() === total + 1 && t.drops.total(expect) === count + 1;
        if (fresh || !ok) {
          assert.fail(`${toHex(wire)}: fresh=${fresh}, drops ${JSON.stringify(t.drops.counts)}`);
        }
        tally.add(expect === "nothing" ? "replay" : expect);
      };
      for (const d of recorded) {
        now += rng.int(1, 200);
        const pair = d.toServer ? server : client;
        const from = d.toServer ? CLIENT_ADDR : SERVER_ADDR;
        const a = pair[0].receive(now, d.data, from), b = pair[1].receive(now, d.data, from);
        assert.equal(a, b);
        if (a && d.toServer) {
          const diff = server[0].takeRemoteDiff();
          server[1].takeRemoteDiff();
          for (const u of decodeUserMessage(diff) ?? []) {
            if ("keys" in u) typed += new TextDecoder().decode(u.keys);
          }
        }
        delivered.push(d);
        for (let k = rng.int(5, 40); k > 0; k--) {
          const r = rng.next();
          if (r < 0.6) {
            const src = pick(rng, recorded), other = pick(rng, recorded);
            const m = mutateRandomly(rng, src.data, other.data, (op) => tally.detail(op));
            if (recorded.some((x) => bytesEqual(x.data, m))) continue;
            hostile(src.toServer, m, unauthenticReason(m.length));
          } else if (r < 0.8) {
            const old = pick(rng, delivered);
            hostile(old.toServer, old.data, "nothing");
          } else {
            const own = pick(rng, recorded);
            hostile(!own.toServer, own.data, "direction");
          }
        }
        assertSameState(server[0], server[1], "server");
        assertSameState(client[0], client[1], "client");
      }
      // Nothing was sent during the recording (the recorded acks are of the recorded peer's
      // states, not ours); now each side and its twin must send the same thing.
      for (const [x, y] of [server, client] as const) {
        assert.equal(x.waitTime(now), y.waitTime(now));
        const ox = x.tick(now), oy = y.tick(now);
        assert.deepStrictEqual(ox.map((o) => toHex(o.data)), oy.map((o) => toHex(o.data)));
      }
      assert.ok(typed.includes("echo hi\r"), JSON.stringify(typed));
      assert.ok(client[0].latestRemote.num > 0n, "the recorded screen states were taken");
      assert.match(client[0].latestRemote.state.fb.toText(), /hi/);
    }
    tally.report(name, started);
  });
});

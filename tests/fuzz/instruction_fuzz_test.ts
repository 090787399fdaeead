/**
 * Malformed content inside valid encryption, from a peer that holds the key (see `_forger.ts`):
 * short payloads, absurd, conflicting and endless fragments, zlib bombs and broken streams,
 * protobuf that is not an Instruction, other protocol versions, absurd state numbers, and
 * UserMessage and HostMessage diffs that do not parse or break their rules. Into the server's
 * transport and the client's. Nothing may throw; each drop is counted under its reason; a
 * receiver never takes a state it should not, and what it takes is exactly what mosh's
 * receiver would (the reference model in `_forger.ts`); memory stays bounded.
 *
 * Replay a failure with the DENOMOSH_FUZZ_SEED it prints; DENOMOSH_FUZZ_RUNS=N runs N times
 * as many cases.
 */
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { Base64Key } from "../../core/crypto/key.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { encodeUserMessage } from "../../core/statesync/user_message.ts";
import { encodeHostMessage, type HostInstruction } from "../../core/statesync/host_message.ts";
import { CompleteTerminal, TerminalContext } from "../../core/statesync/complete_terminal.ts";
import { compress, MAX_INFLATED_BYTES } from "../../core/network/compressor.ts";
import { deflateFixed } from "../../core/network/small_zlib.ts";
import { serializeInstruction } from "../../core/network/instruction.ts";
import {
  FRAGMENT_HEADER_BYTES,
  MAX_ASSEMBLY_BYTES,
  MAX_FRAGMENT_NUM,
} from "../../core/network/fragment.ts";
import { DATAGRAM_OVERHEAD, RECEIVE_MTU } from "../../core/network/datagram.ts";
import type { DropCounter, DropReason } from "../../core/network/drop.ts";
import { bytesEqual } from "../../core/bytes.ts";
import type { SyncState } from "../../core/statesync/state.ts";
import type { Rng } from "../sim/random.ts";
import { toHex } from "../_hex.ts";
import { pick, randomBytes, runs, seeded, stackOf, Tally } from "./_fuzz.ts";
import { Forger, ReceiverModel } from "./_forger.ts";
import { soup } from "./_escapes.ts";
import { envelope, mutated, randomProto, randomU64, U64, userDiff } from "./_instructions.ts";
import { platform } from "../_platform.ts";

const FORGER_ADDR = "203.0.113.9:777";
/** The state number of a shutdown. */
const SHUTDOWN = U64;

/** What the fuzzers use of a receiving transport. */
interface Receiver<S> {
  receive(now: number, wire: Uint8Array, from: string): boolean;
  readonly latestRemote: Readonly<{ num: bigint; state: S }>;
  readonly sender: { readonly ackNum: bigint };
  readonly drops: DropCounter;
  takeRemoteDiff(): Uint8Array;
}

/** One receiver, the peer forging its input, and the model of what it must hold. */
interface Rx<S extends SyncState<S>> {
  side: "server" | "client";
  t: Receiver<S>;
  model: ReceiverModel<S>;
  forger: Forger;
  now: number;
  /** Whether to read new keystrokes as mosh-server does (only for streams that stay prefixes). */
  takeKeys: boolean;
  /** The state keystrokes were last read from (the transport's last receiver state). */
  lastRead?: S;
}
type AnyRx = Rx<UserStream> | Rx<CompleteTerminal>;

function serverRx(key: Base64Key, takeKeys = true): Rx<UserStream> {
  return {
    side: "server",
    t: new Transport<CompleteTerminal, UserStream>({
      key,
      platform,
      server: true,
      initialState: CompleteTerminal.initial(80, 24),
      initialRemote: new UserStream(),
      now: 0,
    }),
    model: new ReceiverModel(new UserStream()),
    forger: new Forger(key, true),
    now: 0,
    takeKeys,
  };
}

function clientRx(key: Base64Key): Rx<CompleteTerminal> {
  return {
    side: "client",
    t: new Transport<UserStream, CompleteTerminal>({
      key,
      platform,
      server: false,
      remote: "198.51.100.1:60001",
      initialState: new UserStream(),
      initialRemote: CompleteTerminal.initial(80, 24, new TerminalContext()),
      now: 0,
    }),
    // The model applies diffs with an emulator of its own.
    model: new ReceiverModel(CompleteTerminal.initial(80, 24, new TerminalContext())),
    forger: new Forger(key, false),
    now: 0,
    takeKeys: false,
  };
}

/** Gives `rx` one datagram; returns whether it brought a new state, and the drops it caused. */
function give(
  rx: AnyRx,
  wire: Uint8Array,
): { fresh: boolean; drops: Partial<Record<DropReason, number>> } {
  const before = { ...rx.t.drops.counts };
  const latest = rx.t.latestRemote, ack = rx.t.sender.ackNum;
  rx.now += 1;
  let fresh: boolean;
  try {
    fresh = rx.t.receive(rx.now, wire, FORGER_ADDR);
  } catch (e) {
    throw new Error(`${rx.side}.receive threw on ${toHex(wire)}: ${stackOf(e)}`);
  }
  const drops: Partial<Record<DropReason, number>> = {};
  for (const [k, v] of Object.entries(rx.t.drops.counts) as [DropReason, number][]) {
    if (v !== (before[k] ?? 0)) drops[k] = v - (before[k] ?? 0);
  }
  if (!fresh) {
    assert.ok(
      rx.t.latestRemote === latest,
      `${rx.side}: the newest state changed without a new state`,
    );
    assert.equal(rx.t.sender.ackNum, ack, `${rx.side}: the ack moved without a new state`);
  }
  assert.ok(Object.values(drops).reduce((a, b) => a + b, 0) <= 1, "one datagram, one drop at most");
  return { fresh, drops };
}

/**
 * Sends `compressed` as one whole instruction and checks the receiver against the model:
 * the same drop, the same new state (or none).
 */
function giveWhole(rx: AnyRx, compressed: Uint8Array, tally: Tally, kind: string): void {
  const datagrams = rx.forger.whole(compressed);
  const expected = rx.model.take(compressed);
  let result = { fresh: false, drops: {} as Partial<Record<DropReason, number>> };
  datagrams.forEach((d, i) => {
    result = give(rx, d);
    if (i < datagrams.length - 1) {
      assert.deepStrictEqual(
        result,
        { fresh: false, drops: {} },
        "a fragment that is not the last",
      );
    }
  });
  const why = `${rx.side} ${kind}: ${toHex(compressed.subarray(0, 200))}`;
  assert.equal(result.fresh, expected.fresh, `${why}: fresh`);
  assert.deepStrictEqual(result.drops, expected.drop ? { [expected.drop]: 1 } : {}, `${why}: drop`);
  if (expected.fresh) {
    assert.equal(rx.t.latestRemote.num, expected.num, why);
    assert.equal(rx.t.sender.ackNum, expected.num, why);
    const state = rx.t.latestRemote.state as { equals(o: unknown): boolean };
    assert.ok(state.equals(expected.state), `${why}: the new state`);
    if (rx.takeKeys) readKeys(rx as Rx<UserStream>, tally);
  }
  tally.add(
    expected.drop ??
      (expected.fresh ? "taken" : expected.state ? "stored-out-of-order" : "ignored"),
  );
  tally.detail(kind);
}

/**
 * Reads the new keystrokes as mosh-server does after each new state (`takeRemoteDiff`), while
 * the states stay extensions of each other. A state based on an older one need not be (a
 * forged or mutated instruction's numbers can say anything): mosh-server asserts, and aborts,
 * when the newest state does not extend the last one it read, and so does ours (see the
 * report); from then on this receiver reads no more keys.
 */
function readKeys(rx: Rx<UserStream>, tally: Tally): void {
  const m = rx.model, last = rx.lastRead ?? new UserStream(), oldest = m.states[0].state;
  if (!m.latest.state.hasPrefix(last) || !m.states.every((s) => s.state.hasPrefix(oldest))) {
    rx.takeKeys = false;
    tally.detail("stream-not-extended");
    return;
  }
  rx.t.takeRemoteDiff();
  m.subtractOldest();
  rx.lastRead = m.latest.state;
}

function hostDiff(rng: Rng, echoAck: bigint): { diff: Uint8Array; kind: string } {
  const valid = () => {
    const list: HostInstruction[] = [];
    for (let n = rng.int(1, 3); n > 0; n--) {
      const r = rng.next();
      if (r < 0.2) {
        list.push({ echoAck: rng.chance(0.8) ? echoAck + BigInt(rng.int(0, 3)) : randomU64(rng) });
      } else if (r < 0.35) {
        // Mostly ordinary sizes; sometimes one side at an extreme (the other small).
        const extreme = rng.chance(0.2);
        const w = extreme ? pick(rng, [-1, 0, 1, 4096, 4097, 2 ** 31 - 1]) : rng.int(1, 200);
        const h = extreme && rng.chance(0.5) ? pick(rng, [0, 1, 4096, 4097]) : rng.int(1, 60);
        list.push({ resize: { width: w, height: w > 300 && h > 60 ? 2 : h } });
      } else list.push({ hostBytes: soup(rng, rng.int(1, 20)) });
    }
    return encodeHostMessage(list);
  };
  const r = rng.next();
  if (r < 0.35) return { diff: valid(), kind: "diff-valid" };
  if (r < 0.65) return { diff: mutated(rng, valid(), valid()), kind: "diff-mutated" };
  if (r < 0.85) return { diff: randomProto(rng, 3), kind: "diff-proto" };
  return { diff: randomBytes(rng, rng.int(1, 60)), kind: "diff-random" };
}

function diffFor(rx: AnyRx, rng: Rng): { diff: Uint8Array; kind: string } {
  if (rx.side === "server") return userDiff(rng);
  return hostDiff(rng, (rx.model.latest.state as CompleteTerminal).echoAck);
}

// ---- the tests ----

Deno.test("malformed diffs, protobuf, versions and zlib inside valid encryption: dropped with their reason, or taken exactly as mosh would", async () => {
  const name = "instruction/content";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const key = Base64Key.fromBytes(randomBytes(rng, 16));
    // A server that reads keys as mosh-server does gets states on the newest only; the other
    // server and the client get absurd numbers too.
    const make = [() => serverRx(key), () => serverRx(key, false), () => clientRx(key)];
    const receivers: AnyRx[] = make.map((f) => f());
    const cases = runs(4000);
    for (let i = 0; i < cases; i++) {
      const which = rng.int(0, receivers.length - 1);
      // Start afresh past 2^62 (the newest state leaves no room for new numbers) and past 900
      // states (mosh's quench at 1,024, which the model leaves out, is tested on its own).
      const old = receivers[which].model;
      if (old.latest.num > 1n << 62n || old.states.length > 900) receivers[which] = make[which]();
      const rx = receivers[which];
      const m = rx.model.latest;
      const { diff, kind } = diffFor(rx, rng);
      const valid = envelope(m.num, m.num + 1n, diff);
      const r = rng.next();
      if (r < 0.45) {
        giveWhole(rx, compress(serializeInstruction(valid), platform.zlib), tally, kind);
      } else if (r < 0.55) {
        // Another protocol version (a varint past 32 bits keeps only its low 32, as in protobuf).
        const v = rng.chance(0.7)
          ? pick(rng, [0, 1, 3, 255, 2 ** 32 - 1])
          : rng.int(0, 2 ** 31) * 2 + rng.int(0, 1);
        giveWhole(
          rx,
          compress(serializeInstruction({ ...valid, protocolVersion: v }), platform.zlib),
          tally,
          "version",
        );
      } else if (r < 0.65) {
        const z = compress(serializeInstruction(valid), platform.zlib);
        giveWhole(rx, z.subarray(0, rng.int(0, z.length - 1)), tally, "zlib-truncated");
      } else if (r < 0.75) {
        const z = compress(serializeInstruction(valid), platform.zlib);
        const m2 = mutated(rng, z, compress(randomBytes(rng, 20), platform.zlib));
        if (bytesEqual(m2, z)) continue;
        giveWhole(rx, m2, tally, "zlib-mutated");
      } else if (r < 0.85) {
        const bytes = serializeInstruction(valid);
        const p = rng.chance(0.5) ? mutated(rng, bytes, randomProto(rng, 1)) : randomProto(rng, 2);
        giveWhole(rx, compress(p, platform.zlib), tally, "protobuf");
      } else if (r < 0.9) {
        giveWhole(rx, randomBytes(rng, rng.int(0, 300)), tally, "zlib-random");
      } else {
        // Absurd numbers: unknown bases, the shutdown number, 64-bit extremes, old bases.
        // States based on an older one need not extend the newest, which mosh-server's reading
        // of new keys asserts they do; the server that reads keys is not given these.
        if (rx.takeKeys) continue;
        const nums = rx.model.states.map((s) => s.num);
        const num = () =>
          rng.chance(0.5) ? pick(rng, nums) + BigInt(rng.int(-1, 2)) : randomU64(rng);
        const inst = {
          ...valid,
          oldNum: rng.chance(0.7) ? m.num : num(),
          newNum: rng.chance(0.2) ? SHUTDOWN : BigInt.asUintN(64, num()),
          ackNum: randomU64(rng),
          throwawayNum: rng.chance(0.8) ? 0n : BigInt.asUintN(64, num()),
        };
        giveWhole(rx, compress(serializeInstruction(inst), platform.zlib), tally, "numbers");
      }
    }
    tally.report(name, started);
  });
});

Deno.test("short payloads, absurd and conflicting fragments inside valid encryption are dropped, never thrown", async () => {
  const name = "instruction/fragments";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const key = Base64Key.fromBytes(randomBytes(rng, 16));
    const receivers: AnyRx[] = [serverRx(key), clientRx(key)];
    const cases = runs(20000);
    for (let i = 0; i < cases; i++) {
      const rx = pick(rng, receivers);
      const f = rx.forger;
      const r = rng.next();
      const contents = () =>
        randomBytes(
          rng,
          rng.chance(0.9)
            ? rng.int(0, 64)
            : rng.int(0, RECEIVE_MTU - DATAGRAM_OVERHEAD - FRAGMENT_HEADER_BYTES),
        );
      if (r < 0.15) {
        // Too short for a fragment header.
        const got = give(rx, f.datagram(randomBytes(rng, rng.int(0, FRAGMENT_HEADER_BYTES - 1))));
        assert.deepStrictEqual(got, { fresh: false, drops: { truncated: 1 } });
        tally.add("truncated");
      } else if (r < 0.3) {
        // A duplicate that differs from the first copy.
        const id = f.newId(), num = rng.int(1, MAX_FRAGMENT_NUM), final = rng.chance(0.5);
        const a = contents();
        let b = contents();
        if (bytesEqual(a, b)) b = Uint8Array.of(...a, 1);
        assert.deepStrictEqual(give(rx, f.fragment({ id, num, final, contents: a })), {
          fresh: false,
          drops: {},
        });
        const got = give(rx, f.fragment({ id, num, final, contents: b }));
        assert.deepStrictEqual(got, { fresh: false, drops: { fragment: 1 } });
        tally.add("conflicting-duplicate");
      } else if (r < 0.45) {
        // A fragment past the final one, or a final before fragments already seen, or two finals.
        const id = f.newId(), last = rng.int(0, MAX_FRAGMENT_NUM - 1);
        const beyond = rng.int(last + 1, MAX_FRAGMENT_NUM);
        const order = rng.int(0, 2);
        const first = order === 1
          ? { id, num: beyond, final: false, contents: contents() }
          : { id, num: last, final: true, contents: contents() };
        const second = order === 0
          ? { id, num: beyond, final: rng.chance(0.5), contents: contents() }
          : order === 1
          ? { id, num: last, final: true, contents: contents() }
          : { id, num: beyond, final: true, contents: contents() };
        const one = give(rx, f.fragment(first));
        if (first.num === 0 && first.final) continue; // a whole instruction by itself
        assert.deepStrictEqual(one, { fresh: false, drops: {} });
        assert.deepStrictEqual(give(rx, f.fragment(second)), {
          fresh: false,
          drops: { fragment: 1 },
        });
        tally.add("beyond-final");
      } else {
        // Random headers: any id (often the same few), number and flag.
        const id = rng.chance(0.7) ? BigInt(rng.int(0, 3)) : randomU64(rng);
        const num = rng.chance(0.5)
          ? rng.int(0, 3)
          : pick(rng, [MAX_FRAGMENT_NUM, rng.int(0, MAX_FRAGMENT_NUM)]);
        const got = give(rx, f.fragment({ id, num, final: rng.chance(0.4), contents: contents() }));
        assert.equal(got.fresh, false);
        for (const reason of Object.keys(got.drops)) {
          assert.ok(["fragment", "inflate", "protobuf", "version"].includes(reason), reason);
        }
        tally.add("random-header");
      }
    }
    tally.report(name, started);
  });
});

Deno.test("an instruction of 32,768 fragments or a zlib bomb is refused at mosh's limits, and the receiver goes on", async () => {
  const name = "instruction/limits";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const key = Base64Key.fromBytes(randomBytes(rng, 16));
    const chunk = RECEIVE_MTU - DATAGRAM_OVERHEAD - FRAGMENT_HEADER_BYTES; // the longest fragment
    for (let round = 0; round < runs(1); round++) {
      for (const rx of [serverRx(key), clientRx(key)] as AnyRx[]) {
        // The final fragment first says "32,768 of them"; then the others, each as long as a
        // datagram allows: refused once the bytes held pass the limit, not before.
        const id = rx.forger.newId();
        let held = 0;
        const first = give(
          rx,
          rx.forger.fragment({
            id,
            num: MAX_FRAGMENT_NUM,
            final: true,
            contents: randomBytes(rng, chunk),
          }),
        );
        assert.deepStrictEqual(first, { fresh: false, drops: {} });
        held += chunk;
        let refusedAt = -1;
        for (let num = 0; num < MAX_FRAGMENT_NUM && refusedAt < 0; num++) {
          const got = give(
            rx,
            rx.forger.fragment({ id, num, final: false, contents: randomBytes(rng, chunk) }),
          );
          held += chunk;
          tally.add("fragment");
          if (held > MAX_ASSEMBLY_BYTES) {
            assert.deepStrictEqual(got, { fresh: false, drops: { "assembly-size": 1 } });
            refusedAt = num;
          } else assert.deepStrictEqual(got, { fresh: false, drops: {} }, `fragment ${num}`);
        }
        assert.ok(refusedAt > 0);
        // The assembly was let go: its last fragments complete nothing.
        for (let num = refusedAt + 1; num < refusedAt + 5; num++) {
          assert.deepStrictEqual(
            give(rx, rx.forger.fragment({ id, num, final: false, contents: new Uint8Array(1) })),
            {
              fresh: false,
              drops: {},
            },
          );
        }

        // zlib bombs: past 4 MiB inflated, from zlib's coder and from ours (fixed codes).
        for (
          const bomb of [
            deflateSync(new Uint8Array(MAX_INFLATED_BYTES + 1)),
            deflateFixed(new Uint8Array(MAX_INFLATED_BYTES + 1)),
          ]
        ) {
          giveWhole(
            rx,
            new Uint8Array(bomb.buffer, bomb.byteOffset, bomb.byteLength),
            tally,
            "bomb",
          );
          assert.equal(rx.t.drops.total("inflate") >= 1, true);
        }
        // A bomb whose inflated bytes would be a valid instruction but for their size.
        const big = serializeInstruction(envelope(0n, 1n, new Uint8Array(MAX_INFLATED_BYTES)));
        giveWhole(rx, deflateSync(big), tally, "bomb-instruction");

        // And the receiver still takes a valid instruction.
        const m = rx.model.latest;
        const ok = rx.side === "server"
          ? encodeUserMessage([{ keys: new TextEncoder().encode("ok") }])
          : encodeHostMessage([{ hostBytes: new TextEncoder().encode("ok") }]);
        giveWhole(
          rx,
          compress(serializeInstruction(envelope(m.num, m.num + 1n, ok)), platform.zlib),
          tally,
          "valid",
        );
        assert.equal(rx.t.latestRemote.num, m.num + 1n);
      }
    }
    tally.report(name, started);
  });
});

Deno.test("the received states stay bounded: past 1,024, one new state per 15 s (mosh's quench)", async () => {
  const name = "instruction/received-states";
  await seeded(name, (rng) => {
    const started = performance.now();
    const tally = new Tally();
    const key = Base64Key.fromBytes(randomBytes(rng, 16));
    const rx = serverRx(key, false);
    const empty = new Uint8Array(0);
    let taken = 0;
    // 5,000 states, each on the newest, none thrown away, in 10 s.
    for (let n = 1n; n <= 5000n; n++) {
      const latest = rx.t.latestRemote.num;
      const wire = rx.forger.whole(
        compress(serializeInstruction(envelope(latest, latest + 1n, empty)), platform.zlib),
      );
      rx.now += 2;
      if (rx.t.receive(rx.now, wire[0], FORGER_ADDR)) taken++;
      tally.add("state");
    }
    assert.ok(taken <= 1026, `${taken} states taken in 10 s`);
    assert.ok(taken >= 1024, `${taken}`);
    // Fifteen seconds later, one more.
    rx.now += 15_001;
    const latest = rx.t.latestRemote.num;
    const more = rx.forger.whole(
      compress(serializeInstruction(envelope(latest, latest + 1n, empty)), platform.zlib),
    );
    assert.equal(rx.t.receive(rx.now, more[0], FORGER_ADDR), true);
    tally.report(name, started);
  });
});

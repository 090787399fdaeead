/**
 * The real daemon, fuzzed by a peer that holds its key: a `mosh-server new` is started, and
 * this test, as its client, sends authenticated instructions with forged numbers, UserMessage
 * diffs valid, mutated or random, random protobuf, mutated zlib streams, other protocol
 * versions, authentic fragments of garbage, and datagrams that fail authentication. After every
 * case the daemon must still run and still answer: a valid new client state (built on the
 * state the daemon holds, which `ReceiverModel` tracks) gets acknowledged. At the end, the
 * daemon's log of unexpected errors (io/crash_log.ts) must be empty: an exception it contained
 * is a failure too.
 *
 * The application takes the keystrokes without acting on them (`cat` on a raw terminal, so
 * that no byte is a signal or an end of file; the terminal echoes them, which the emulator
 * gets). Cases that would end the session on purpose are not sent: a state numbered 2^64-1 is
 * the client's shutdown.
 *
 * Replay a failure with the DENOMOSH_FUZZ_SEED it prints; DENOMOSH_FUZZ_RUNS=N runs N times
 * as many cases.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { DatagramCodec, Direction } from "../../core/network/datagram.ts";
import { decodeFragment, FragmentAssembly } from "../../core/network/fragment.ts";
import { decodeInstruction, serializeInstruction } from "../../core/network/instruction.ts";
import { compress } from "../../core/network/compressor.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { encodeUserMessage } from "../../core/statesync/user_message.ts";
import type { Rng } from "../sim/random.ts";
import { platform } from "../_platform.ts";
import { toHex } from "../_hex.ts";
import { processAlive, startServer } from "../e2e/_programs.ts";
import { pick, randomBytes, runs, seeded, Tally } from "./_fuzz.ts";
import { Forger, ReceiverModel } from "./_forger.ts";
import { envelope, mutated, randomProto, randomU64, userDiff } from "./_instructions.ts";
import { mutate, MUTATIONS } from "./_mutate.ts";

/** Cases per run (scaled by DENOMOSH_FUZZ_RUNS). */
const CASES = 1000;
/** How long the daemon may take to acknowledge a probe, even on a loaded machine. */
const ANSWER_MS = 5000;
/** The states a probe keeps before it lets the older ones go. */
const KEEP_STATES = 40;
/** Forged states above this number are not sent: the probe must be able to go beyond them. */
const HIGHEST_FORGED = 1n << 62n;

/** The daemon's acknowledgements, read from its datagrams. */
class AckReader {
  readonly #codec: DatagramCodec;
  readonly #assembly = new FragmentAssembly();
  readonly #onTimestamp: (timestamp: number) => void;
  /** The highest state number the daemon acknowledged. */
  highest = -1n;
  datagrams = 0;

  /** @param onTimestamp gets each datagram's timestamp, for the client to echo */
  constructor(
    key: Base64Key,
    socket: Deno.DatagramConn,
    onTimestamp: (timestamp: number) => void,
  ) {
    this.#codec = new DatagramCodec(key, platform);
    this.#onTimestamp = onTimestamp;
    this.#read(socket);
  }

  async #read(socket: Deno.DatagramConn): Promise<void> {
    for (;;) {
      let data: Uint8Array;
      try {
        [data] = await socket.receive();
      } catch {
        return; // closed
      }
      this.datagrams++;
      const packet = this.#codec.open(data, Direction.ToClient);
      if (typeof packet === "string") continue;
      this.#onTimestamp(packet.timestamp);
      const fragment = decodeFragment(packet.payload);
      if (typeof fragment === "string") continue;
      const whole = this.#assembly.add(fragment);
      if (whole === null || typeof whole === "string") continue;
      const inst = decodeInstruction(whole, platform.zlib);
      if (typeof inst !== "string" && inst.ackNum > this.highest) this.highest = inst.ackNum;
    }
  }
}

/** A forged case: the datagrams to send, what it is, and the model after it. */
interface Case {
  kind: string;
  datagrams: Uint8Array[];
  /** The compressed instruction, for the failure message. */
  whole?: Uint8Array;
  model?: ReceiverModel<UserStream>;
}

/** A copy of `model` that `take` may change without touching the original. */
function copyOf(model: ReceiverModel<UserStream>): ReceiverModel<UserStream> {
  const copy = new ReceiverModel(new UserStream());
  copy.states = model.states.map((s) => ({ ...s }));
  return copy;
}

/** A state number for a forged envelope: one the daemon holds, near one, or any. */
function forgedNum(rng: Rng, model: ReceiverModel<UserStream>): bigint {
  const held = model.states.map((s) => s.num);
  const r = rng.next();
  if (r < 0.5) return pick(rng, held) + BigInt(rng.int(-1, 3));
  return randomU64(rng);
}

/** One forged case of a random kind. */
function forge(rng: Rng, forger: Forger, model: ReceiverModel<UserStream>): Case {
  const r = rng.next();
  if (r < 0.08) {
    // Fails authentication: a real datagram mutated.
    const good = forger.datagram(randomBytes(rng, rng.int(0, 40)));
    const op = pick(rng, MUTATIONS);
    return { kind: `unauthentic-${op}`, datagrams: [mutate(rng, op, good, good)] };
  }
  if (r < 0.16) {
    // Authentic, with a payload that is no fragment, or fragments of garbage.
    const payload = rng.chance(0.3)
      ? randomBytes(rng, rng.int(0, 9))
      : new Uint8Array([...randomBytes(rng, 10), ...randomBytes(rng, rng.int(0, 200))]);
    return { kind: "fragment-garbage", datagrams: [forger.datagram(payload)] };
  }
  let kind: string, whole: Uint8Array;
  if (r < 0.7) {
    const { diff, kind: diffKind } = userDiff(rng);
    const inst = envelope(
      forgedNum(rng, model),
      forgedNum(rng, model),
      diff,
      rng.chance(0.7) ? 0n : forgedNum(rng, model),
    );
    kind = `instruction-${diffKind}`;
    whole = compress(serializeInstruction(inst), platform.zlib);
  } else if (r < 0.8) {
    const inst = envelope(forgedNum(rng, model), forgedNum(rng, model), userDiff(rng).diff);
    const z = compress(serializeInstruction(inst), platform.zlib);
    kind = "zlib-mutated";
    whole = mutated(rng, z, compress(randomBytes(rng, 20), platform.zlib));
  } else if (r < 0.9) {
    kind = "protobuf";
    whole = compress(randomProto(rng, 3), platform.zlib);
  } else {
    const inst = envelope(forgedNum(rng, model), forgedNum(rng, model), userDiff(rng).diff);
    kind = "version";
    whole = compress(
      serializeInstruction({ ...inst, protocolVersion: pick(rng, [0, 1, 3, 0x7fffffff]) }),
      platform.zlib,
    );
  }
  const next = copyOf(model);
  const expected = next.take(whole);
  if (expected.fresh && expected.num! > HIGHEST_FORGED) {
    return { kind: "skipped-would-end-or-exhaust", datagrams: [] };
  }
  return { kind, datagrams: forger.whole(whole), whole, model: next };
}

Deno.test({
  name: "the real daemon, fuzzed by a key holder, still runs and answers after every case",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const name = "daemon/keyed";
    await seeded(name, async (rng) => {
      const started = performance.now();
      const state = await Deno.makeTempDir();
      const ready = `${state}/ready`;
      const s = await startServer("ours", ["-i", "127.0.0.1"], [
        "/bin/sh",
        "-c",
        `stty raw -isig && touch ${ready} && exec cat >/dev/null`,
      ], { XDG_STATE_HOME: state });
      const key = Base64Key.parse(s.key);
      const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      const server = { transport: "udp" as const, hostname: "127.0.0.1", port: s.port };
      const forger = new Forger(key, true);
      // Echo the daemon's clock as a client does, so it measures a loopback round trip and
      // answers at a real client's pace (its collection delay, not its 100 ms ack delay).
      const replies = new AckReader(key, socket, (t) => (forger.timestampReply = t));
      let model = new ReceiverModel(new UserStream());
      const tally = new Tally();
      /** The daemon's log of unexpected errors (io/crash_log.ts); empty when there is none. */
      const readLog = async () => {
        try {
          return await Deno.readTextFile(`${state}/denomosh/denomosh.log`);
        } catch {
          return "";
        }
      };
      const send = async (datagrams: Uint8Array[]) => {
        for (const d of datagrams) await socket.send(d, server);
      };

      /** A valid new state on the newest the daemon holds; it must be acknowledged. */
      const probe = async (what: string) => {
        const base = model.latest.num;
        const num = model.states.reduce((m, x) => (x.num > m ? x.num : m), 0n) + 1n;
        const keys = encodeUserMessage([{ keys: new TextEncoder().encode("k") }]);
        // Most probes keep the older states, so that forged states can build on them over
        // many cases; now and then one lets them go, far below mosh's 1,024.
        const throwaway = model.states.length > KEEP_STATES ? base : 0n;
        const inst = envelope(base, num, keys, throwaway);
        const whole = compress(serializeInstruction(inst), platform.zlib);
        const expected = model.take(whole);
        assert.ok(expected.fresh, `the probe ${num} must be a new state`);
        await send(forger.whole(whole));
        const deadline = Date.now() + ANSWER_MS;
        while (replies.highest < num && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 2));
        }
        if (processAlive(s.pid) && replies.highest >= num) return;
        throw new Error(
          (processAlive(s.pid)
            ? `the daemon did not acknowledge state ${num} within ${ANSWER_MS} ms`
            : "the daemon died") + ` after ${what}\nits log:\n${await readLog()}`,
        );
      };

      try {
        await probe("its first state");
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          try {
            Deno.statSync(ready);
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        Deno.statSync(ready); // the application runs on a raw terminal
        const total = runs(CASES);
        for (let i = 0; i < total; i++) {
          const c = forge(rng, forger, model);
          tally.add(c.kind);
          if (c.datagrams.length === 0) continue;
          await send(c.datagrams);
          if (c.model) model = c.model;
          const what = `case ${i} (${c.kind}${
            c.whole ? `: ${toHex(c.whole.subarray(0, 120))}` : ""
          })`;
          await probe(what);
        }
        assert.equal(await readLog(), "", "the daemon logged unexpected errors");
        const skipped = tally.cases["skipped-would-end-or-exhaust"] ?? 0;
        console.log(
          `[fuzz] ${name}: ${tally.total - skipped} cases sent (${skipped} not sent), ` +
            `each followed by a probe: 0 failures, ${replies.datagrams} datagrams back, ` +
            `${Math.round(performance.now() - started)} ms`,
        );
        tally.report(name, started);
      } finally {
        socket.close();
        s.stop();
        await Deno.remove(state, { recursive: true });
      }
    });
  },
});

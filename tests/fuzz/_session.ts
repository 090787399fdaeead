/**
 * A live session for the datagram fuzzers, with a twin of each side.
 *
 * A client `Transport<UserStream, CompleteTerminal>` and a server
 * `Transport<CompleteTerminal, UserStream>` run a real session in virtual time: the user types
 * and resizes, an application draws on the server's screen, and the network delays, reorders
 * and loses datagrams. Each side has a twin built from the same seeds that receives exactly the
 * same legitimate datagrams at the same times. The fuzzers throw hostile datagrams at the main
 * sides only. Whatever hidden state a hostile datagram could touch (sequence expectations,
 * timestamps to echo, the RTT, the peer address, acknowledgements, received states, the fragment
 * being assembled), it would show up as a difference between a side and its twin: in what they
 * send (compared byte for byte, destination included), in what they received, or in their
 * public bookkeeping, which {@link FuzzSession.check} compares after every injection.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { CompleteTerminal, TerminalContext } from "../../core/statesync/complete_terminal.ts";
import { decodeUserMessage } from "../../core/statesync/user_message.ts";
import { Emulator } from "../../core/terminal/emulator.ts";
import { DatagramCodec, Direction } from "../../core/network/datagram.ts";
import { decodeFragment } from "../../core/network/fragment.ts";
import type { DropReason } from "../../core/network/drop.ts";
import type { Outgoing } from "../../core/network/connection.ts";
import { bytesEqual } from "../../core/bytes.ts";
import { Rng } from "../sim/random.ts";
import { toHex } from "../_hex.ts";
import { stackOf } from "./_fuzz.ts";
import { platform, withRandom } from "../_platform.ts";

/** The server side of a session. */
export type ServerT = Transport<CompleteTerminal, UserStream>;
/** The client side of a session. */
export type ClientT = Transport<UserStream, CompleteTerminal>;
/** Which side. */
export type Side = "server" | "client";
/** Either side. */
export type AnyT = ServerT | ClientT;

/** Where the legitimate client sends from, as the server sees it. */
export const CLIENT_ADDR = "192.0.2.1:50000";
/** The server's address, as the client knows it. */
export const SERVER_ADDR = "198.51.100.1:60001";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A server-side transport whose chaff comes from `seed`. */
export function makeServer(
  key: Base64Key,
  seed: number,
  width = 80,
  height = 24,
  now = 0,
): ServerT {
  const rng = new Rng(seed);
  return new Transport<CompleteTerminal, UserStream>({
    key,
    server: true,
    initialState: CompleteTerminal.initial(width, height),
    initialRemote: new UserStream(),
    now,
    platform: withRandom((b) => rng.fill(b)),
  });
}

/** A client-side transport whose chaff comes from `seed`. */
export function makeClient(
  key: Base64Key,
  seed: number,
  width = 80,
  height = 24,
  now = 0,
): ClientT {
  const rng = new Rng(seed);
  return new Transport<UserStream, CompleteTerminal>({
    key,
    server: false,
    remote: SERVER_ADDR,
    initialState: new UserStream(),
    initialRemote: CompleteTerminal.initial(width, height, new TerminalContext()),
    now,
    sendMinDelay: 1,
    platform: withRandom((b) => rng.fill(b)),
  });
}

/** The public bookkeeping of a transport that a hostile datagram must not change. */
export interface Observation {
  remoteNum: bigint;
  ackNum: bigint;
  ackedNum: bigint;
  lastSentNum: bigint;
  srtt: number;
  rttvar: number;
  remoteAddr: string | undefined;
  lastHeard: number;
  socketId: number;
}

/** What {@link Observation} says about `t` now. */
export function observe(t: AnyT): Observation {
  const c = t.connection;
  return {
    remoteNum: t.latestRemote.num,
    ackNum: t.sender.ackNum,
    ackedNum: t.sender.acked.num,
    lastSentNum: t.sender.lastSent.num,
    srtt: c.rtt.srtt,
    rttvar: c.rtt.rttvar,
    remoteAddr: c.remoteAddr,
    lastHeard: c.lastHeard,
    socketId: c.socketId,
  };
}

/** Asserts that two transports (or one, before and after) are in the same observable state. */
export function assertSameState(a: AnyT, b: AnyT, what: string): void {
  assert.deepStrictEqual(observe(a), observe(b), `${what}: bookkeeping differs`);
  // deno-lint-ignore no-explicit-any
  const ra = a.latestRemote.state as any, rb = b.latestRemote.state;
  assert.ok(ra.equals(rb), `${what}: the newest remote state differs`);
}

/** A copy of a drop tally. */
export function dropCounts(t: AnyT): Partial<Record<DropReason, number>> {
  return { ...t.drops.counts };
}

/** The reasons and counts by which `after` exceeds `before`. */
export function dropDelta(
  before: Partial<Record<DropReason, number>>,
  after: Partial<Record<DropReason, number>>,
): Partial<Record<DropReason, number>> {
  const out: Partial<Record<DropReason, number>> = {};
  for (const [k, v] of Object.entries(after) as [DropReason, number][]) {
    const d = v - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

interface InFlight {
  at: number;
  order: number;
  toServer: boolean;
  data: Uint8Array;
}

/** The fragment-assembly state a side is in, as far as the legitimate stream goes. */
class ShadowAssembly {
  #id: bigint | undefined;
  #have = new Set<number>();
  #total = -1;

  add(payload: Uint8Array): void {
    const f = decodeFragment(payload);
    if (typeof f === "string") return;
    if (f.id !== this.#id) [this.#id, this.#have, this.#total] = [f.id, new Set(), -1];
    this.#have.add(f.num);
    if (f.final) this.#total = f.num + 1;
    if (this.#have.size === this.#total) {
      [this.#id, this.#have, this.#total] = [undefined, new Set(), -1];
    }
  }

  /** Whether part of an instruction is waiting for the rest. */
  get partial(): boolean {
    return this.#id !== undefined;
  }
}

/** Options of a {@link FuzzSession}. */
export interface FuzzSessionOptions {
  seed: number;
  key?: Base64Key;
  width?: number;
  height?: number;
  /** Probability that a legitimate datagram is lost. */
  loss?: number;
  /** Extra random delay per datagram, ms (this also reorders). */
  jitter?: number;
}

/** A session, its twins, and hostile datagrams injected into it. */
export class FuzzSession {
  readonly key: Base64Key;
  readonly rng: Rng;
  readonly server: ServerT;
  readonly serverTwin: ServerT;
  readonly client: ClientT;
  readonly clientTwin: ClientT;
  /** The application whose screen the server synchronizes. */
  readonly app: Emulator;
  now = 0;
  /** Keystrokes the server's application received, main and twin. */
  keys = "";
  keysTwin = "";
  /** Everything the user typed. */
  typed = "";
  /** Legitimate datagrams each side has received (a window of the latest), for replays. */
  readonly delivered: Record<Side, Delivered[]> = { server: [], client: [] };
  /** Datagrams each side has sent (a window of the latest), for reflections. */
  readonly sent: Record<Side, Uint8Array[]> = { server: [], client: [] };
  /** Drops injected on purpose, by side and reason. */
  readonly injected: Record<Side, Partial<Record<DropReason, number>>> = { server: {}, client: {} };
  readonly #options: Required<Omit<FuzzSessionOptions, "key">>;
  readonly #queue: InFlight[] = [];
  #order = 0;
  readonly #codec: DatagramCodec;
  readonly #shadow: Record<Side, ShadowAssembly> = {
    server: new ShadowAssembly(),
    client: new ShadowAssembly(),
  };

  constructor(options: FuzzSessionOptions) {
    this.#options = { width: 80, height: 24, loss: 0.05, jitter: 30, ...options };
    const { seed, width, height } = this.#options;
    this.key = options.key ?? Base64Key.fromBytes(new Rng(seed ^ 0x5eed).fill(new Uint8Array(16)));
    this.#codec = new DatagramCodec(this.key, platform);
    this.rng = new Rng(seed);
    this.server = makeServer(this.key, seed + 1, width, height);
    this.serverTwin = makeServer(this.key, seed + 1, width, height);
    this.client = makeClient(this.key, seed + 2, width, height);
    this.clientTwin = makeClient(this.key, seed + 2, width, height);
    const first = new UserStream().pushResize(width, height); // as mosh-client starts
    this.client.setCurrentState(first);
    this.clientTwin.setCurrentState(first);
    this.app = new Emulator(width, height);
  }

  /** The main transport of a side. */
  side(s: Side): AnyT {
    return s === "server" ? this.server : this.client;
  }

  /** The twin of a side. */
  twin(s: Side): AnyT {
    return s === "server" ? this.serverTwin : this.clientTwin;
  }

  /** One event of the session: maybe typing or drawing, then time moves and datagrams flow. */
  step(): void {
    const rng = this.rng;
    if (rng.chance(0.3)) {
      const keys = Array.from(
        { length: rng.int(1, 6) },
        () => String.fromCharCode(rng.int(32, 126)),
      )
        .join("");
      this.typed += keys;
      const s = this.client.currentState.pushKeys(enc.encode(keys));
      this.client.setCurrentState(s);
      this.clientTwin.setCurrentState(s);
    }
    if (rng.chance(0.02)) {
      const s = this.client.currentState.pushResize(rng.int(1, 300), rng.int(1, 100));
      this.client.setCurrentState(s);
      this.clientTwin.setCurrentState(s);
    }
    if (rng.chance(0.3)) this.#draw();

    const wake = Math.min(this.#waitTime(), rng.int(1, 60));
    const due = this.#queue.length
      ? Math.min(...this.#queue.map((q) => q.at)) - this.now
      : Infinity;
    this.now += Math.max(1, Math.min(wake, due));

    this.#queue.sort((a, b) => a.at - b.at || a.order - b.order);
    while (this.#queue.length && this.#queue[0].at <= this.now) this.#deliver(this.#queue.shift()!);
    this.#tick("client");
    this.#tick("server");
  }

  /**
   * When the next side wants to tick. Asking moves the senders' timers (mosh's
   * `calculate_timers`), so the twins are asked too, and must agree.
   */
  #waitTime(): number {
    let wake = Infinity;
    for (const s of ["client", "server"] as const) {
      const a = this.side(s).waitTime(this.now), b = this.twin(s).waitTime(this.now);
      assert.equal(a, b, `${s} and its twin want to wake at different times`);
      wake = Math.min(wake, a);
    }
    return wake;
  }

  #draw(): void {
    const rng = this.rng;
    const { width, height } = this.#options;
    let text = "";
    const r = rng.next();
    if (r < 0.05) {
      // A screenful of incompressible text: its diff takes several fragments.
      text = "\x1b[H";
      for (let i = 0; i < width * height; i++) text += String.fromCharCode(rng.int(33, 126));
    } else if (r < 0.1) {
      text = `\x1b[${rng.int(1, height)};${rng.int(1, width)}H\x1b[${rng.int(30, 47)}m`;
    } else {
      for (let n = rng.int(1, 40); n > 0; n--) text += String.fromCharCode(rng.int(32, 126));
      if (rng.chance(0.3)) text += "\r\n";
    }
    this.app.write(enc.encode(text));
    const fb = this.app.snapshot();
    this.server.setCurrentState(this.server.currentState.withFramebuffer(fb));
    this.serverTwin.setCurrentState(this.serverTwin.currentState.withFramebuffer(fb));
  }

  #tick(s: Side): void {
    const a = this.side(s).tick(this.now), b = this.twin(s).tick(this.now);
    assert.equal(a.length, b.length, `${s} and its twin sent different numbers of datagrams`);
    a.forEach((o: Outgoing, i) => {
      const t = b[i];
      assert.ok(
        o.to === t.to && o.socket === t.socket && bytesEqual(o.data, t.data),
        `${s} and its twin sent different datagrams at ${this.now} ms (to ${o.to} / ${t.to})`,
      );
      remember(this.sent[s], o.data);
      if (this.rng.chance(this.#options.loss)) return;
      this.#queue.push({
        at: this.now + 5 + this.rng.int(0, this.#options.jitter),
        order: this.#order++,
        toServer: s === "client",
        data: o.data,
      });
    });
  }

  #deliver(p: InFlight): void {
    const s: Side = p.toServer ? "server" : "client";
    const from = p.toServer ? CLIENT_ADDR : SERVER_ADDR;
    const a = this.side(s).receive(this.now, p.data, from);
    const b = this.twin(s).receive(this.now, p.data, from);
    assert.equal(a, b, `${s} and its twin disagree on a legitimate datagram`);
    if (a && p.toServer) {
      this.keys += keysOf(this.server.takeRemoteDiff());
      this.keysTwin += keysOf(this.serverTwin.takeRemoteDiff());
      assert.equal(this.keys, this.keysTwin, "the server and its twin received different keys");
    }
    const opened = this.#codec.open(p.data, p.toServer ? Direction.ToServer : Direction.ToClient);
    if (typeof opened === "string") return;
    this.#shadow[s].add(opened.payload);
    const f = decodeFragment(opened.payload);
    if (typeof f !== "string") {
      remember(this.delivered[s], { data: p.data, id: f.id, num: f.num, final: f.final });
    }
  }

  /**
   * Gives `side` a hostile datagram, which must be dropped and counted under `expect`.
   */
  inject(side: Side, wire: Uint8Array, from: string, expect: DropReason): void {
    const t = this.side(side);
    const total = t.drops.total(), count = t.drops.total(expect);
    const fresh = this.#receive(t, side, wire, from);
    if (fresh || t.drops.total() !== total + 1 || t.drops.total(expect) !== count + 1) {
      assert.fail(
        `${side} did not drop ${toHex(wire)} from ${from} as "${expect}": fresh=${fresh}, ` +
          `drops ${JSON.stringify(t.drops.counts)}, before ${total} (${count} "${expect}")`,
      );
    }
    const tally = this.injected[side];
    tally[expect] = (tally[expect] ?? 0) + 1;
  }

  /**
   * Replays to `side` an instruction it received before: the authentic datagrams that carried
   * it, in order. They are dropped by no rule (they are authentic) and must change nothing: not
   * the peer address, the clock echo or the RTT (their sequence numbers are old), nor the
   * states (they bring none the side does not have).
   *
   * With one exception, in mosh as here: an instruction that arrived before the state it is
   * based on was ignored then, and its replay, now that the base is here, brings the peer's
   * genuine state, as a late network duplicate of it would. Then the twin is given the same
   * datagrams, from the legitimate address, and must take them the same way.
   * @returns whether the replay brought a state
   */
  replay(side: Side, group: Uint8Array[], from: string): boolean {
    const t = this.side(side);
    const total = t.drops.total();
    let fresh = false;
    group.forEach((wire, i) => {
      fresh = this.#receive(t, side, wire, from);
      if (fresh && i < group.length - 1) assert.fail(`${side}: a state before the last fragment`);
    });
    if (t.drops.total() !== total) assert.fail(`${side}: a replay counted as a drop`);
    if (!fresh) return false;
    const legit = side === "server" ? CLIENT_ADDR : SERVER_ADDR;
    const twin = group.map((wire) => this.twin(side).receive(this.now, wire, legit));
    assert.equal(twin.at(-1), true, "the twin ignored it");
    if (side === "server") {
      this.keys += keysOf(this.server.takeRemoteDiff());
      this.keysTwin += keysOf(this.serverTwin.takeRemoteDiff());
      assert.equal(this.keys, this.keysTwin, "the server and its twin received different keys");
    }
    return true;
  }

  #receive(t: AnyT, side: Side, wire: Uint8Array, from: string): boolean {
    try {
      return t.receive(this.now, wire, from);
    } catch (e) {
      throw new Error(`${side}.receive threw on ${toHex(wire)} from ${from}: ${stackOf(e)}`);
    }
  }

  /**
   * An instruction `side` received whole earlier, as the datagrams that carried it, if one can
   * be replayed now.
   */
  replayable(side: Side): Uint8Array[] | undefined {
    // A replayed fragment discards the part of another instruction assembled so far, in mosh
    // as here (FragmentAssembly holds one instruction); that is a loss the sender repairs, not
    // a change of state, so replays go between instructions. And a part of an instruction
    // would leave a part assembled that a late legitimate fragment could complete: replays are
    // of whole instructions.
    const list = this.delivered[side];
    if (this.#shadow[side].partial || list.length === 0) return undefined;
    const chosen = list[this.rng.int(0, list.length - 1)];
    const parts = new Map<number, Delivered>();
    for (const d of list) if (d.id === chosen.id) parts.set(d.num, d);
    const last = [...parts.values()].find((d) => d.final);
    if (!last) return undefined;
    const group: Uint8Array[] = [];
    for (let n = 0; n <= last.num; n++) {
      const d = parts.get(n);
      if (!d) return undefined;
      group.push(d.data);
    }
    return group;
  }

  /** Asserts that each side is still exactly its twin, apart from the drops injected. */
  check(): void {
    for (const s of ["server", "client"] as const) {
      assertSameState(this.side(s), this.twin(s), s);
      const main = dropCounts(this.side(s)), twin = dropCounts(this.twin(s));
      const want: Partial<Record<DropReason, number>> = { ...twin };
      for (const [k, v] of Object.entries(this.injected[s]) as [DropReason, number][]) {
        want[k] = (want[k] ?? 0) + v;
      }
      assert.deepStrictEqual(main, want, `${s}: drops beyond the injected ones`);
    }
  }

  /** Runs until both sides hold each other's newest states (a healed network), or fails. */
  settle(maxSteps = 20_000): void {
    const saved = this.#options.loss;
    this.#options.loss = 0;
    for (let i = 0; i < maxSteps; i++) {
      this.now += Math.max(1, Math.min(this.#waitTime(), 50));
      this.#queue.sort((a, b) => a.at - b.at || a.order - b.order);
      while (this.#queue.length && this.#queue[0].at <= this.now) {
        this.#deliver(this.#queue.shift()!);
      }
      this.#tick("client");
      this.#tick("server");
      if (
        this.#queue.length === 0 && this.keys === this.typed &&
        this.client.latestRemote.state.fb.equals(this.server.currentState.fb)
      ) {
        this.#options.loss = saved;
        return;
      }
    }
    assert.fail(`the session did not settle: keys ${this.keys.length}/${this.typed.length}`);
  }
}

function keysOf(diff: Uint8Array): string {
  let out = "";
  for (const u of decodeUserMessage(diff) ?? []) if ("keys" in u) out += dec.decode(u.keys);
  return out;
}

/** A legitimate datagram a side received, and the fragment it carried. */
interface Delivered {
  data: Uint8Array;
  id: bigint;
  num: number;
  final: boolean;
}

/** Keeps the latest 1,000 datagrams. */
function remember<T>(list: T[], data: T): void {
  list.push(data);
  if (list.length > 1000) list.splice(0, list.length - 1000);
}

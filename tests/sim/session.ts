/**
 * A whole mosh session on a simulated network, in virtual time: a client Transport sending a
 * UserStream and a server Transport sending a {@link TextState}, joined by a seeded network
 * with delay, jitter, loss, duplication and reordering per direction, blackouts, NAT rebinding
 * of the client's address, and the client's own port hops. Time jumps to the earliest wake-up,
 * so a minute of session costs milliseconds, and the same seed replays the same session.
 */
import { Base64Key } from "../../core/crypto/key.ts";
import type { Outgoing } from "../../core/network/connection.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { decodeUserMessage } from "../../core/statesync/user_message.ts";
import { Rng } from "./random.ts";
import { TextState } from "./text_state.ts";
import { withRandom } from "../_platform.ts";

/** One direction of the network. */
export interface Link {
  /** One-way delay, ms. */
  delay: number;
  /** Extra random delay, 0..jitter ms. */
  jitter: number;
  /** Probability of losing a datagram. */
  loss: number;
  /** Probability of delivering it twice. */
  duplicate: number;
  /** Probability of holding it back by up to 3× the delay, so later ones overtake it. */
  reorder: number;
}

/** A scripted session. Times are virtual milliseconds from the start. */
export interface Scenario {
  seed: number;
  c2s: Link;
  s2c: Link;
  /** Intervals during which every datagram is lost. */
  blackouts: { start: number; end: number }[];
  /** Times at which the client's NAT mapping changes (its address, as the server sees it). */
  rebinds: number[];
  /** Keystrokes the user types. */
  typing: { at: number; keys: string }[];
  /** New server screens (texts). */
  output: { at: number; text: string }[];
  /** From this time on the network is perfect: no loss, no blackout. */
  healAt: number;
  /** Convergence is looked for from this time on (default: healAt). */
  settleFrom?: number;
  /** The session ends here. */
  end: number;
  /** One side starts the shutdown handshake at this time. */
  shutdown?: { at: number; by: "client" | "server" };
}

/** What happened, for the properties to judge. */
export interface SessionResult {
  /** Every byte the server application received, in order. */
  received: string;
  /** Every byte the user typed, in order. */
  typed: string;
  /** The server's final text and the client's copy of it. */
  serverText: string;
  clientText: string;
  /** When the client first held the server's final text and the server the final keystrokes. */
  convergedAt: number | undefined;
  /** Send times of every datagram, per direction. */
  sends: { c2s: number[]; s2c: number[] };
  bytes: { c2s: number; s2c: number };
  /** True if the server's received bytes were ever not a prefix of the typed ones. */
  orderViolation: boolean;
  steps: number;
  clientPorts: number;
  /**
   * How each side ended, if it did: the initiator "clean", "timeout", or "no-peer" (a server
   * that never heard a client), the peer "acked".
   */
  exits: { client?: Exit; server?: Exit };
}

/** How and when one side left the session. */
export interface Exit {
  at: number;
  how: "clean" | "timeout" | "acked" | "no-peer";
}

interface InFlight {
  at: number;
  order: number;
  toServer: boolean;
  data: Uint8Array;
  /** The client's address as the server sees it: NAT mapping and source socket. */
  from: string;
  /** For server-to-client datagrams: the NAT mapping and client socket they are sent to. */
  mapping: number;
  socket: number;
}

const KEY = Base64Key.fromBytes(new Uint8Array(16).fill(7));
const MAX_STEPS = 200_000;
const dec = new TextDecoder();

/** Runs one scenario to its end. */
export function runSession(s: Scenario): SessionResult {
  const rng = new Rng(s.seed);
  const random = (b: Uint8Array) => rng.fill(b);
  const client = new Transport<UserStream, TextState>({
    key: KEY,
    server: false,
    remote: "server",
    initialState: new UserStream(),
    initialRemote: new TextState(),
    now: 0,
    sendMinDelay: 1,
    platform: withRandom(random),
  });
  client.setCurrentState(new UserStream().pushResize(80, 24)); // as mosh-client starts
  const server = new Transport<TextState, UserStream>({
    key: KEY,
    server: true,
    initialState: new TextState(),
    initialRemote: new UserStream(),
    now: 0,
    platform: withRandom(random),
  });

  const queue: InFlight[] = [];
  let order = 0;
  let nat = 0;
  let typed = "";
  let received = "";
  let orderViolation = false;
  let convergedAt: number | undefined;
  const sends = { c2s: [] as number[], s2c: [] as number[] };
  const bytes = { c2s: 0, s2c: 0 };
  const typing = [...s.typing].sort((a, b) => a.at - b.at);
  const output = [...s.output].sort((a, b) => a.at - b.at);
  const rebinds = [...s.rebinds].sort((a, b) => a - b);
  const ports = new Set<number>();

  const inBlackout = (t: number) =>
    t < s.healAt && s.blackouts.some((b) => t >= b.start && t < b.end);

  /** Puts a datagram on the wire; `to` is the server's view of the client address. */
  const transmit = (now: number, toServer: boolean, o: Outgoing) => {
    const link = toServer ? s.c2s : s.s2c;
    let mapping = nat, socket = o.socket;
    if (!toServer) [, mapping, socket] = o.to.split("/").map(Number);
    (toServer ? sends.c2s : sends.s2c).push(now);
    bytes[toServer ? "c2s" : "s2c"] += o.data.length;
    if (toServer) ports.add(o.socket);
    const healed = now >= s.healAt;
    if (inBlackout(now) || (!healed && rng.chance(link.loss))) return;
    const copies = !healed && rng.chance(link.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = link.delay + (healed ? 0 : rng.int(0, link.jitter));
      if (!healed && rng.chance(link.reorder)) delay += rng.int(0, 3 * link.delay + 10);
      queue.push({
        at: now + delay,
        order: order++,
        toServer,
        data: o.data,
        // The server sees the client's NAT mapping and source port.
        from: toServer ? `client/${nat}/${o.socket}` : "server",
        mapping,
        socket,
      });
    }
  };

  const exits: SessionResult["exits"] = {};
  const deliver = (now: number, p: InFlight) => {
    if (inBlackout(now)) return;
    if (p.toServer ? exits.server : exits.client) return;
    if (p.toServer) {
      if (server.receive(now, p.data, p.from)) {
        const diff = server.takeRemoteDiff();
        for (const u of decodeUserMessage(diff) ?? []) {
          if ("keys" in u) received += dec.decode(u.keys);
        }
        if (!typed.startsWith(received)) orderViolation = true;
      }
    } else {
      // A reply reaches the client only through its current NAT mapping and an open socket.
      if (p.mapping !== nat || !client.connection.liveSockets.includes(p.socket)) return;
      client.receive(now, p.data, "server");
    }
  };

  let now = 0;
  let steps = 0;
  for (; steps < MAX_STEPS && now <= s.end; steps++) {
    while (typing.length && typing[0].at <= now) {
      const k = typing.shift()!;
      typed += k.keys;
      client.setCurrentState(client.currentState.pushKeys(new TextEncoder().encode(k.keys)));
    }
    while (output.length && output[0].at <= now) {
      server.setCurrentState(new TextState(output.shift()!.text));
    }
    while (rebinds.length && rebinds[0] <= now) {
      rebinds.shift();
      nat++;
    }
    if (s.shutdown && s.shutdown.at <= now) {
      const by = s.shutdown.by, t = by === "client" ? client : server;
      // As mosh's programs do: with nobody to tell, leave at once.
      if (!t.connection.hasRemoteAddr && !exits[by]) exits[by] = { at: now, how: "no-peer" };
      t.startShutdown(now);
    }
    queue.sort((a, b) => a.at - b.at || a.order - b.order);
    while (queue.length && queue[0].at <= now) deliver(now, queue.shift()!);
    if (!exits.client) { for (const o of client.tick(now)) transmit(now, true, o); }
    if (!exits.server) { for (const o of server.tick(now)) transmit(now, false, o); }
    for (const [name, t] of [["client", client], ["server", server]] as const) {
      if (exits[name]) continue;
      const sender = t.sender;
      if (sender.shutdownInProgress && sender.shutdownAcknowledged) {
        exits[name] = { at: now, how: "clean" };
      } else if (sender.shutdownAckTimedOut(now)) exits[name] = { at: now, how: "timeout" };
      else if (sender.counterpartyShutdownAckSent) exits[name] = { at: now, how: "acked" };
    }
    if (exits.client && exits.server) break;

    if (
      convergedAt === undefined && now >= (s.settleFrom ?? s.healAt) && typing.length === 0 &&
      output.length === 0 && received === typed &&
      client.latestRemote.state.equals(server.currentState)
    ) {
      convergedAt = now;
    }

    let next = Math.min(
      exits.client ? Infinity : now + client.waitTime(now),
      exits.server ? Infinity : now + server.waitTime(now),
      s.shutdown && s.shutdown.at > now ? s.shutdown.at : Infinity,
      queue.length ? Math.min(...queue.map((q) => q.at)) : Infinity,
      typing.length ? typing[0].at : Infinity,
      output.length ? output[0].at : Infinity,
      rebinds.length ? rebinds[0] : Infinity,
      s.end + 1,
    );
    if (next <= now) next = now + 1; // a due timer that tick() declined: move on a millisecond
    now = next;
  }

  return {
    received,
    typed,
    serverText: server.currentState.text,
    clientText: client.latestRemote.state.text,
    convergedAt,
    sends,
    bytes,
    orderViolation,
    steps,
    clientPorts: ports.size,
    exits,
  };
}

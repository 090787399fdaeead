/**
 * A whole mosh session on a simulated network, in virtual time: a client Transport sending a
 * UserStream and a server Transport sending a {@link TextState}, joined by a seeded network
 * with delay, jitter, loss, duplication and reordering per direction, blackouts, NAT rebinding
 * of the client's address, and the client's own port hops. Time jumps to the earliest wake-up,
 * so a minute of session costs milliseconds, and the same seed replays the same session.
 */
import { Base64Key } from "../../core/crypto/key.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { decodeUserMessage } from "../../core/statesync/user_message.ts";
import { TextState } from "./text_state.ts";
import { type InFlight, type NetworkScript, SERVER_ADDRESS, SimNetwork } from "./network.ts";
import { withRandom } from "../_platform.ts";

export type { Link } from "./network.ts";

/** A scripted session. Times are virtual milliseconds from the start. */
export interface Scenario extends NetworkScript {
  seed: number;
  /** Keystrokes the user types. */
  typing: { at: number; keys: string }[];
  /** New server screens (texts). */
  output: { at: number; text: string }[];
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

const KEY = Base64Key.fromBytes(new Uint8Array(16).fill(7));
const MAX_STEPS = 200_000;
const dec = new TextDecoder();

/** Runs one scenario to its end. */
export function runSession(s: Scenario): SessionResult {
  const net = new SimNetwork(s.seed, s);
  const random = (b: Uint8Array) => net.rng.fill(b);
  const client = new Transport<UserStream, TextState>({
    key: KEY,
    server: false,
    remote: SERVER_ADDRESS,
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

  let typed = "";
  let received = "";
  let orderViolation = false;
  let convergedAt: number | undefined;
  const typing = [...s.typing].sort((a, b) => a.at - b.at);
  const output = [...s.output].sort((a, b) => a.at - b.at);

  const exits: SessionResult["exits"] = {};
  const deliver = (now: number, p: InFlight) => {
    if (p.toServer ? exits.server : exits.client) return;
    if (p.toServer) {
      if (server.receive(now, p.data, p.from)) {
        const diff = server.takeRemoteDiff();
        for (const u of decodeUserMessage(diff) ?? []) {
          if ("keys" in u) received += dec.decode(u.keys);
        }
        if (!typed.startsWith(received)) orderViolation = true;
      }
    } else if (net.reachesClient(p, client.connection.liveSockets)) {
      client.receive(now, p.data, SERVER_ADDRESS);
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
    net.advance(now);
    if (s.shutdown && s.shutdown.at <= now) {
      const by = s.shutdown.by, t = by === "client" ? client : server;
      // As mosh's programs do: with nobody to tell, leave at once.
      if (!t.connection.hasRemoteAddr && !exits[by]) exits[by] = { at: now, how: "no-peer" };
      t.startShutdown(now);
    }
    for (const p of net.due(now)) deliver(now, p);
    if (!exits.client) {
      for (const o of client.tick(now)) net.transmit(now, true, o.data, o.socket, o.to);
    }
    if (!exits.server) {
      for (const o of server.tick(now)) net.transmit(now, false, o.data, o.socket, o.to);
    }
    for (const [name, t] of [["client", client], ["server", server]] as const) {
      if (exits[name]) continue;
      const how = t.shutdownOutcome(now);
      if (how) exits[name] = { at: now, how };
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
      net.nextEvent(),
      typing.length ? typing[0].at : Infinity,
      output.length ? output[0].at : Infinity,
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
    sends: net.sends,
    bytes: net.bytes,
    orderViolation,
    steps,
    clientPorts: net.clientPorts.size,
    exits,
  };
}

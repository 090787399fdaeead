/**
 * The simulated network both simulators share: per-direction delay, jitter, loss, duplication
 * and reordering, blackouts, a NAT that rebinds the client's address, and the client's own
 * port hops, all from one seeded PRNG and a virtual clock, so the same seed replays the same
 * network. The client is reached only through its current NAT mapping and sockets it still
 * holds open.
 */
import type { Address } from "../../core/network/connection.ts";
import { Rng } from "./random.ts";

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

/** A network's shape over a session. Times are virtual ms. */
export interface NetworkScript {
  c2s: Link;
  s2c: Link;
  /** Intervals during which every datagram is lost. */
  blackouts: { start: number; end: number }[];
  /** Times at which the client's NAT mapping changes (its address, as the server sees it). */
  rebinds: number[];
  /** From this time on the network is perfect: no loss, no blackout, no jitter. */
  healAt: number;
  /** Until this time the network is perfect too (the session gets connected first). */
  cleanUntil?: number;
  /** Other intervals of a perfect network (a reattaching client gets connected). */
  clean?: { start: number; end: number }[];
}

/** A datagram on its way. */
export interface InFlight {
  at: number;
  order: number;
  toServer: boolean;
  data: Uint8Array;
  /** The client's address as the server sees it: client, NAT mapping and source socket. */
  from: Address;
  /** Which client sent it or is to receive it (0, then 1 after a reattach...). */
  client: number;
  /** For server-to-client datagrams: the NAT mapping and client socket they are sent to. */
  mapping: number;
  socket: number;
  /** The server's socket: the one it is sent to, or sent from. */
  serverSocket: number;
}

/** The server's first port; each reattach gets the next. */
export const SERVER_PORT = 60001;

/** The server's address as the client knows it. */
export const SERVER_ADDRESS = `10.0.0.1:${SERVER_PORT}`;

/** The server's address for its connection `socket` (0, then one per reattach). */
export function serverAddress(socket: number): Address {
  return `10.0.0.1:${SERVER_PORT + socket}`;
}

/** A seeded network between one client and one server. */
export class SimNetwork {
  readonly rng: Rng;
  readonly #script: NetworkScript;
  readonly #queue: InFlight[] = [];
  readonly #rebinds: number[];
  #order = 0;
  #nat = 0;
  /** Send times of every datagram, per direction. */
  readonly sends = { c2s: [] as number[], s2c: [] as number[] };
  readonly bytes = { c2s: 0, s2c: 0 };
  /** The client sockets that sent anything. */
  readonly clientPorts = new Set<number>();

  constructor(seed: number, script: NetworkScript) {
    this.rng = new Rng(seed);
    this.#script = script;
    this.#rebinds = [...script.rebinds].sort((a, b) => a - b);
  }

  /** Whether `t` is inside a blackout. */
  inBlackout(t: number): boolean {
    return !this.#perfect(t) && this.#script.blackouts.some((b) => t >= b.start && t < b.end);
  }

  /** Whether the network is perfect at `t`: before trouble starts or after it heals. */
  #perfect(t: number): boolean {
    const s = this.#script;
    return t >= s.healAt || t < (s.cleanUntil ?? 0) ||
      (s.clean ?? []).some((c) => t >= c.start && t < c.end);
  }

  /** Applies the NAT rebindings due by `now`. */
  advance(now: number): void {
    while (this.#rebinds.length && this.#rebinds[0] <= now) {
      this.#rebinds.shift();
      this.#nat++;
    }
  }

  /**
   * Puts a datagram on the wire. For a client, `socket` is its local socket and `to` the
   * server's address; for the server, `socket` is its own socket and `to` the address it sends
   * to (a client address this network made up). `client` is the sending client's number.
   */
  transmit(
    now: number,
    toServer: boolean,
    data: Uint8Array,
    socket: number,
    to: Address,
    client = 0,
  ): void {
    const s = this.#script;
    const link = toServer ? s.c2s : s.s2c;
    let mapping = this.#nat, serverSocket: number;
    if (toServer) {
      serverSocket = Number(to.slice(to.lastIndexOf(":") + 1)) - SERVER_PORT;
    } else {
      serverSocket = socket;
      const [who, m, sock] = to.split("/");
      client = Number(who.slice("client".length));
      mapping = Number(m);
      socket = Number(sock);
    }
    (toServer ? this.sends.c2s : this.sends.s2c).push(now);
    this.bytes[toServer ? "c2s" : "s2c"] += data.length;
    if (toServer) this.clientPorts.add(socket);
    const healed = this.#perfect(now);
    const rng = this.rng;
    if (this.inBlackout(now) || (!healed && rng.chance(link.loss))) return;
    const copies = !healed && rng.chance(link.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = link.delay + (healed ? 0 : rng.int(0, link.jitter));
      if (!healed && rng.chance(link.reorder)) delay += rng.int(0, 3 * link.delay + 10);
      this.#queue.push({
        at: now + delay,
        order: this.#order++,
        toServer,
        data,
        // The server sees the client's NAT mapping and source port.
        from: toServer ? `client${client}/${this.#nat}/${socket}` : serverAddress(serverSocket),
        client,
        mapping,
        socket,
        serverSocket,
      });
    }
  }

  /** The datagrams due by `now`, in arrival order, that survive a blackout at arrival. */
  due(now: number): InFlight[] {
    this.#queue.sort((a, b) => a.at - b.at || a.order - b.order);
    const out: InFlight[] = [];
    while (this.#queue.length && this.#queue[0].at <= now) {
      const p = this.#queue.shift()!;
      if (!this.inBlackout(now)) out.push(p);
    }
    return out;
  }

  /**
   * Whether a datagram for the client reaches it: only through its current NAT mapping and a
   * socket it still has open.
   */
  reachesClient(p: InFlight, liveSockets: readonly number[]): boolean {
    return p.mapping === this.#nat && liveSockets.includes(p.socket);
  }

  /** When the next datagram arrives or the NAT changes (Infinity: nothing pending). */
  nextEvent(): number {
    let next = this.#rebinds.length ? this.#rebinds[0] : Infinity;
    for (const q of this.#queue) if (q.at < next) next = q.at;
    return next;
  }
}

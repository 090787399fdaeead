/**
 * The network layer of one end of a mosh session, without a socket: mosh's `Connection`.
 *
 * It numbers and seals outgoing datagrams, opens incoming ones, echoes timestamps and measures
 * the round trip from them, and decides where to send: the server follows the source of the
 * newest authenticated datagram (roaming), and forgets it after 40 s of silence; the client
 * "hops" to a fresh local port after 10 s without a round trip, so a NAT that dropped its
 * mapping cannot strand it. The I/O shell owns the sockets; this object tells it which local
 * socket to send from ({@link Connection.socketId}) and which may be closed
 * ({@link Connection.liveSockets}).
 *
 * Times are milliseconds of a monotonic clock, passed in by the caller.
 *
 * @module
 */

import type { Base64Key } from "../crypto/key.ts";
import type { Platform } from "../platform.ts";
import {
  DatagramCodec,
  Direction,
  MAX_SEQ,
  NO_TIMESTAMP,
  timestamp16,
  timestampDiff,
} from "./datagram.ts";
import type { DropReason } from "./drop.ts";
import { MTU_FALLBACK, MTU_IPV4, MTU_IPV6 } from "./mtu.ts";
import { RttEstimator } from "./rtt.ts";

/** An opaque peer address, as the I/O shell spells it (e.g. "127.0.0.1:60001"). */
export type Address = string;

/** mosh's SERVER_ASSOCIATION_TIMEOUT: the server stops sending after this much silence, ms. */
export const SERVER_ASSOCIATION_TIMEOUT = 40_000;
/**
 * mosh's PORT_HOP_INTERVAL: the client moves to a new local port when no round trip has
 * succeeded for this long and its last move is as old, ms.
 */
export const PORT_HOP_INTERVAL = 10_000;
/** mosh's MAX_PORTS_OPEN: receive sockets a client keeps. */
export const MAX_PORTS_OPEN = 10;
/** mosh's MAX_OLD_SOCKET_AGE: older sockets close once the newest is this old, ms. */
export const MAX_OLD_SOCKET_AGE = 60_000;
/** A received timestamp is echoed only if it arrived less than this long ago, ms. */
const TIMESTAMP_ECHO_WINDOW = 1000;
/** What ECN "congestion experienced" subtracts from the echoed timestamp, ms. */
const CONGESTION_TIMESTAMP_PENALTY = 500;

/** A sealed datagram and where it goes. */
export interface Outgoing {
  to: Address;
  data: Uint8Array;
  /** The local socket to send from (the client's current port; always 0 on the server). */
  socket: number;
}

/** Options of a {@link Connection}. */
export interface ConnectionOptions {
  key: Base64Key;
  /** Supplies the block cipher (see core/platform.ts). */
  platform: Pick<Platform, "blockCipher">;
  /** True for mosh-server, false for mosh-client. */
  server: boolean;
  /** The client's server address. */
  remote?: Address;
  /** "inet6" selects mosh's IPv6 datagram size. */
  family?: "inet" | "inet6";
  /** The time of creation, which starts the port-hop clock. */
  now: number;
}

/** One end's datagram layer. */
export class Connection {
  readonly server: boolean;
  readonly #codec: DatagramCodec;
  readonly #sendDirection: Direction;
  readonly #recvDirection: Direction;
  readonly rtt: RttEstimator = new RttEstimator();
  #seq = 0n;
  #expectedSeq = 0n;
  #remote: Address | undefined;
  #mtu: number;
  #savedTimestamp = -1;
  #savedTimestampAt = 0;
  /** When the newest in-order authentic datagram arrived; -Infinity before any. */
  #lastHeard = -Infinity;
  #lastPortChoice: number;
  #lastRoundtripSuccess = -Infinity;
  #sockets: { id: number }[];
  #nextSocketId = 1;
  /** Text of the last send failure the shell reported, for the client's notification bar. */
  sendError: string | undefined;

  constructor(options: ConnectionOptions) {
    this.server = options.server;
    this.#codec = new DatagramCodec(options.key, options.platform);
    this.#sendDirection = options.server ? Direction.ToClient : Direction.ToServer;
    this.#recvDirection = options.server ? Direction.ToServer : Direction.ToClient;
    this.#remote = options.remote;
    this.#mtu = options.family === "inet6" ? MTU_IPV6 : MTU_IPV4;
    this.#lastPortChoice = options.now;
    this.#sockets = [{ id: 0 }];
  }

  /** Whether we know where to send (the client always does; the server once it heard). */
  get hasRemoteAddr(): boolean {
    return this.#remote !== undefined;
  }

  /** The peer's address, if known. */
  get remoteAddr(): Address | undefined {
    return this.#remote;
  }

  /** The datagram size to fit fragments into. */
  get mtu(): number {
    return this.#mtu;
  }

  /** When the newest in-order authentic datagram arrived (-Infinity before any). */
  get lastHeard(): number {
    return this.#lastHeard;
  }

  /** The local socket the client sends from now. */
  get socketId(): number {
    return this.#sockets[this.#sockets.length - 1].id;
  }

  /** The local sockets to keep open for receiving, oldest first; the shell closes the rest. */
  get liveSockets(): readonly number[] {
    return this.#sockets.map((s) => s.id);
  }

  /** The retransmission timeout, mosh's `timeout()`. */
  get timeout(): number {
    return this.rtt.rto;
  }

  /** The transport tells us when our newest acknowledged state was sent (port hopping). */
  setLastRoundtripSuccess(sentAt: number): void {
    this.#lastRoundtripSuccess = sentAt;
  }

  /**
   * Seals `payload` into the next datagram.
   * @returns the datagram, or null when there is no peer address yet (the server before it
   *   has heard from a client, or after it detached)
   */
  send(now: number, payload: Uint8Array): Outgoing | null {
    const to = this.#remote;
    if (to === undefined) return null;
    if (this.#seq > MAX_SEQ) throw new Error("sequence number space exhausted");
    let reply = NO_TIMESTAMP;
    if (now - this.#savedTimestampAt < TIMESTAMP_ECHO_WINDOW && this.#savedTimestamp >= 0) {
      reply = (this.#savedTimestamp + (now - this.#savedTimestampAt)) & 0xffff;
      this.#savedTimestamp = -1;
      this.#savedTimestampAt = -Infinity;
    }
    const data = this.#codec.seal({
      seq: this.#seq++,
      direction: this.#sendDirection,
      timestamp: timestamp16(now),
      timestampReply: reply,
      payload,
    });
    const out = { to, data, socket: this.socketId };
    this.#afterSend(now);
    return out;
  }

  /** Wipes the session key's schedule; the connection can neither seal nor open afterwards. */
  destroy(): void {
    this.#codec.destroy();
  }

  /** The shell reports a failed send; EMSGSIZE drops the datagram size to mosh's fallback. */
  reportSendError(message: string, messageTooLong = false): void {
    this.sendError = message;
    if (messageTooLong) this.#mtu = MTU_FALLBACK;
  }

  /** The shell reports that sends work again. */
  clearSendError(): void {
    this.sendError = undefined;
  }

  /**
   * Opens a datagram from `from`.
   * @param congestion true when the IP header's ECN field said "congestion experienced"
   * @returns its payload (a fragment), or why it was dropped
   */
  receive(
    now: number,
    wire: Uint8Array,
    from: Address,
    congestion = false,
  ): Uint8Array | DropReason {
    const p = this.#codec.open(wire, this.#recvDirection);
    if (typeof p === "string") return p;
    this.#pruneSockets(now);
    // Old or replayed datagrams still carry state (the transport ignores what it has), but
    // must not move the peer address, the clock echo, or the RTT estimate.
    if (p.seq < this.#expectedSeq) return p.payload;
    this.#expectedSeq = p.seq + 1n;
    if (p.timestamp !== NO_TIMESTAMP) {
      this.#savedTimestamp = congestion
        ? (p.timestamp - CONGESTION_TIMESTAMP_PENALTY) & 0xffff
        : p.timestamp;
      this.#savedTimestampAt = now;
    }
    if (p.timestampReply !== NO_TIMESTAMP) {
      this.rtt.sample(timestampDiff(timestamp16(now), p.timestampReply));
    }
    this.#lastHeard = now;
    if (this.server) this.#remote = from;
    return p.payload;
  }

  #afterSend(now: number): void {
    if (this.server) {
      if (now - this.#lastHeard > SERVER_ASSOCIATION_TIMEOUT) this.#remote = undefined;
      return;
    }
    if (
      now - this.#lastPortChoice > PORT_HOP_INTERVAL &&
      now - this.#lastRoundtripSuccess > PORT_HOP_INTERVAL
    ) {
      this.#hopPort(now);
    }
  }

  #hopPort(now: number): void {
    this.#lastPortChoice = now;
    this.#sockets.push({ id: this.#nextSocketId++ });
    this.#pruneSockets(now);
  }

  /**
   * mosh's `prune_sockets`, run after a hop and after each authentic datagram: old receive
   * sockets close once the newest has been chosen a minute ago, and never more than ten stay.
   */
  #pruneSockets(now: number): void {
    if (this.#sockets.length <= 1) return;
    if (now - this.#lastPortChoice > MAX_OLD_SOCKET_AGE) {
      this.#sockets.splice(0, this.#sockets.length - 1);
    }
    if (this.#sockets.length > MAX_PORTS_OPEN) {
      this.#sockets.splice(0, this.#sockets.length - MAX_PORTS_OPEN);
    }
  }
}

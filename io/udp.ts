/**
 * The real-UDP shell around a sans-IO {@link Transport}: sockets from `Deno.listenDatagram`,
 * a monotonic clock, and one timer set to the transport's next wake-up. mosh-server and
 * mosh-client both run on it.
 *
 * Every event (a datagram, a new local state, the timer) ends in {@link UdpEndpoint.service}:
 * tick the transport, send what it produced, reconcile the client's sockets with the ports the
 * transport wants open (port hopping), and re-arm the timer. Nothing here decides anything
 * about the protocol.
 *
 * Deviation from mosh: Deno exposes neither the IP TOS byte of received datagrams nor
 * `IP_MTU_DISCOVER`, so ECN congestion marks are not read and path-MTU discovery is left at the
 * system default; both are optional for interoperability.
 *
 * @module
 */

import type { Address } from "../core/network/connection.ts";
import type { Transport } from "../core/transport/transport.ts";
import type { SyncState } from "../core/statesync/state.ts";

/** Milliseconds of a monotonic clock, whole. */
export function monotonicNow(): number {
  return Math.floor(performance.now());
}

/** The transport's spelling of a socket address. */
export function addressKey(addr: Deno.NetAddr): Address {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** A socket address from the transport's spelling. */
export function parseAddress(key: Address): Deno.NetAddr {
  const colon = key.lastIndexOf(":");
  let hostname = key.slice(0, colon);
  if (hostname.startsWith("[")) hostname = hostname.slice(1, -1);
  return { transport: "udp", hostname, port: Number(key.slice(colon + 1)) };
}

/** Options of a {@link UdpEndpoint}. */
export interface UdpEndpointOptions {
  /** The server's bound socket; a client leaves it out and gets an ephemeral port per hop. */
  socket?: Deno.DatagramConn;
  /** Where a client's sockets bind: "0.0.0.0" (the default) or "::". */
  clientBindHost?: string;
  /** Called after each datagram that brought a new peer state. */
  onRemoteState?: () => void;
  /** Called before each tick, e.g. to bring the local state up to date. */
  beforeTick?: (now: number) => void;
  /** Called after every serviced event, e.g. to redraw or check for exit. */
  onService?: () => void;
  /** Milliseconds until the program's own timers need a service (default: none). */
  wakeAfter?: (now: number) => number;
  /** The clock; tests may pass their own. */
  now?: () => number;
}

/** A transport attached to real UDP sockets. */
export class UdpEndpoint<My extends SyncState<My>, Remote extends SyncState<Remote>> {
  readonly transport: Transport<My, Remote>;
  readonly #sockets = new Map<number, Deno.DatagramConn>();
  readonly #options: UdpEndpointOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(transport: Transport<My, Remote>, options: UdpEndpointOptions = {}) {
    this.transport = transport;
    this.#options = options;
    this.#now = options.now ?? monotonicNow;
    if (options.socket) this.#adopt(0, options.socket);
    this.service();
  }

  /** Replaces the local state and services the transport. */
  setCurrentState(state: My): void {
    this.transport.setCurrentState(state);
    this.service();
  }

  /** Ticks the transport, sends what is due and re-arms the timer. */
  service(): void {
    if (this.#closed) return;
    const now = this.#now();
    this.#reconcileSockets();
    this.#options.beforeTick?.(now);
    for (const out of this.transport.tick(now)) this.#send(out.socket, out.to, out.data);
    this.#reconcileSockets();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const later = this.#now();
    const wait = Math.min(
      this.transport.waitTime(later),
      this.#options.wakeAfter?.(later) ?? Infinity,
    );
    if (Number.isFinite(wait)) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.service();
      }, Math.max(0, wait));
    }
    this.#options.onService?.();
  }

  /** Closes every socket and stops the timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const s of this.#sockets.values()) this.#closeSocket(s);
    this.#sockets.clear();
  }

  #send(socketId: number, to: Address, data: Uint8Array): void {
    const socket = this.#sockets.get(socketId);
    if (!socket) return;
    socket.send(data, parseAddress(to)).then(
      () => this.transport.connection.clearSendError(),
      (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        this.transport.connection.reportSendError(
          `sendto: ${message}`,
          /too long|EMSGSIZE/i.test(message),
        );
      },
    );
  }

  /** Opens the client's new port after a hop, and closes ports the transport let go. */
  #reconcileSockets(): void {
    const conn = this.transport.connection;
    if (conn.server) return;
    const live = new Set(conn.liveSockets);
    for (const [id, s] of this.#sockets) {
      if (!live.has(id)) {
        this.#sockets.delete(id);
        this.#closeSocket(s);
      }
    }
    const current = conn.socketId;
    if (!this.#sockets.has(current)) {
      const hostname = this.#options.clientBindHost ?? "0.0.0.0";
      this.#adopt(current, Deno.listenDatagram({ transport: "udp", hostname, port: 0 }));
    }
  }

  #adopt(id: number, socket: Deno.DatagramConn): void {
    this.#sockets.set(id, socket);
    (async () => {
      for (let errors = 0; errors < 100;) {
        let datagram: [Uint8Array, Deno.Addr];
        try {
          datagram = await socket.receive();
        } catch (e) {
          // A closed socket (a pruned port, or shutdown) ends the loop; anything else (an
          // ICMP error surfacing) is retried a bounded number of times in a row.
          if (this.#closed || !this.#sockets.has(id) || e instanceof Deno.errors.BadResource) {
            return;
          }
          errors++;
          continue;
        }
        errors = 0;
        if (this.#closed) return;
        const [data, from] = datagram;
        const fresh = this.transport.receive(this.#now(), data, addressKey(from as Deno.NetAddr));
        if (fresh) this.#options.onRemoteState?.();
        this.service();
      }
    })();
  }

  #closeSocket(s: Deno.DatagramConn): void {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
}

/**
 * An in-memory twin of the UDP network ({@link DatagramNetwork}): sockets bound to addresses in
 * one process, datagrams delivered after a delay on a {@link Clock} (a virtual one in tests),
 * and a hook that may drop, delay or rewrite each one (loss, a blackout, a NAT that changes
 * the client's source address). Whole programs run over it in virtual time.
 *
 * Like UDP: a datagram to an address nobody is bound to vanishes, and a closed socket's
 * pending receive rejects with `Deno.errors.BadResource`.
 *
 * @module
 */

import type { Address } from "../core/network/connection.ts";
import type { Clock } from "./clock.ts";
import { addressKey, type DatagramNetwork, type DatagramSocket } from "./datagram.ts";

/** One datagram on its way. */
export interface Packet {
  from: Address;
  to: Address;
  data: Uint8Array;
}

/** What happens to a packet: lost (null), or delivered after `delay` ms, perhaps rewritten. */
export type Route = (packet: Packet) => { packet: Packet; delay: number } | null;

/** Ports handed out for port 0, as an OS's ephemeral range. */
const EPHEMERAL_FIRST = 40_000;

/** A network of in-memory datagram sockets. */
export class MemoryNetwork implements DatagramNetwork {
  readonly #clock: Clock;
  readonly #sockets = new Map<Address, MemorySocket>();
  #nextPort = EPHEMERAL_FIRST;
  /** Decides each packet's fate; by default every packet arrives after 1 ms. */
  route: Route = (packet) => ({ packet, delay: 1 });
  /** Every packet sent, for tests to count. */
  readonly sent: Packet[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  bind(hostname: string, port: number): DatagramSocket {
    if (port === 0) {
      while (this.#sockets.has(addressKey({ hostname, port: this.#nextPort }))) this.#nextPort++;
      port = this.#nextPort++;
    }
    const address = addressKey({ hostname, port });
    if (this.#sockets.has(address)) throw new Deno.errors.AddrInUse(`${address} is in use`);
    const socket = new MemorySocket(this, address, port);
    this.#sockets.set(address, socket);
    return socket;
  }

  /** @internal a socket's send */
  transmit(packet: Packet): void {
    this.sent.push(packet);
    const routed = this.route(packet);
    if (!routed) return;
    this.#clock.setTimer(routed.delay, () => {
      const target = this.#sockets.get(routed.packet.to) ??
        this.#sockets.get(anyInterface(routed.packet.to));
      target?.deliver(routed.packet);
    });
  }

  /** @internal a socket's close */
  unbind(address: Address): void {
    this.#sockets.delete(address);
  }
}

/** The wildcard address a packet to `to` also reaches ("0.0.0.0:port" for IPv4). */
function anyInterface(to: Address): Address {
  const port = to.slice(to.lastIndexOf(":") + 1);
  return to.startsWith("[") ? `[::]:${port}` : `0.0.0.0:${port}`;
}

class MemorySocket implements DatagramSocket {
  readonly port: number;
  readonly #network: MemoryNetwork;
  readonly #address: Address;
  readonly #queue: Packet[] = [];
  #waiter: { resolve: (p: Packet) => void; reject: (e: Error) => void } | undefined;
  #closed = false;

  constructor(network: MemoryNetwork, address: Address, port: number) {
    this.#network = network;
    this.#address = address;
    this.port = port;
  }

  send(data: Uint8Array, to: Address): Promise<void> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("socket is closed"));
    // The source is the address as a peer sees it: a wildcard bind is seen as loopback.
    const from = this.#address.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
    this.#network.transmit({ from, to, data: data.slice() });
    return Promise.resolve();
  }

  receive(): Promise<{ data: Uint8Array; from: Address }> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("socket is closed"));
    if (this.#waiter) throw new Error("MemorySocket.receive: a receive is already pending");
    const next = this.#queue.shift();
    if (next) return Promise.resolve({ data: next.data, from: next.from });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve: (p) => resolve({ data: p.data, from: p.from }), reject };
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#network.unbind(this.#address);
    this.#queue.length = 0;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(new Deno.errors.BadResource("socket is closed"));
  }

  /** @internal a packet arrives */
  deliver(packet: Packet): void {
    if (this.#closed) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve(packet);
    } else this.#queue.push(packet);
  }
}

/**
 * The datagram seam, after wireguard-go's `conn.Bind`: a session's shell sends and receives
 * through a {@link DatagramSocket} taken from a {@link DatagramNetwork}, which is either the
 * real UDP stack ({@link udpNetwork}, `Deno.listenDatagram`) or an in-memory twin
 * (`io/memory_network.ts`) that tests run whole programs over in virtual time.
 *
 * Addresses are the transport's spelling, "host:port" or "[v6]:port".
 *
 * Deviation from mosh: Deno exposes neither the IP TOS byte of received datagrams nor
 * `IP_MTU_DISCOVER`, so ECN congestion marks are not read and path-MTU discovery is left at the
 * system default; both are optional for interoperability.
 *
 * @module
 */

import type { Address } from "../core/network/connection.ts";

/** One bound datagram socket. */
export interface DatagramSocket {
  /** The local port it is bound to. */
  readonly port: number;
  /** Sends one datagram; rejects with the system's error (EMSGSIZE, unreachable...). */
  send(data: Uint8Array, to: Address): Promise<void>;
  /**
   * The next datagram. Rejects with `Deno.errors.BadResource` once the socket is closed, and
   * with other errors the system reports (an ICMP error surfacing), after which it can be
   * called again.
   */
  receive(): Promise<{ data: Uint8Array; from: Address }>;
  /** Closes it; a pending receive rejects. Idempotent. */
  close(): void;
}

/** Where sockets come from. */
export interface DatagramNetwork {
  /**
   * A socket bound to `hostname`:`port` (port 0: any free port).
   * @throws the system's error (address in use, no such address)
   */
  bind(hostname: string, port: number): DatagramSocket;
}

/** The transport's spelling of a socket address. */
export function addressKey(addr: { hostname: string; port: number }): Address {
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

/** The largest UDP payload (65,535 less the IPv4 and UDP headers): nothing is cut short. */
const MAX_DATAGRAM_BYTES = 65_507;

/**
 * A {@link DatagramSocket} over a socket from `Deno.listenDatagram`.
 *
 * Each socket receives into one buffer of its own and hands out a copy of just the datagram.
 * Without a buffer, Deno's `receive()` allocates a fresh zeroed 64 KiB one for every datagram
 * and returns a view of it, which keeps the whole 64 KiB alive until a collection: an idle
 * session grew by a megabyte a minute that way, and the zeroing and page faults were a tenth
 * of its idle CPU time.
 */
export function udpSocket(conn: Deno.DatagramConn): DatagramSocket {
  let closed = false;
  const buffer = new Uint8Array(MAX_DATAGRAM_BYTES);
  let receiving = false;
  return {
    port: (conn.addr as Deno.NetAddr).port,
    async send(data, to) {
      await conn.send(data, parseAddress(to));
    },
    async receive() {
      if (closed) throw new Deno.errors.BadResource("the socket is closed");
      // The shells receive one datagram at a time; a second receive at once gets its own buffer.
      const into = receiving ? new Uint8Array(MAX_DATAGRAM_BYTES) : buffer;
      if (into === buffer) receiving = true;
      try {
        const [view, from] = await conn.receive(into);
        return { data: view.slice(), from: addressKey(from as Deno.NetAddr) };
      } catch (e) {
        // Deno ends a receive pending at close with Interrupted: one contract for both twins.
        if (closed) throw new Deno.errors.BadResource("the socket is closed");
        throw e;
      } finally {
        if (into === buffer) receiving = false;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed by the runtime
      }
    },
  };
}

/** The real UDP stack. */
export const udpNetwork: DatagramNetwork = {
  bind(hostname, port) {
    return udpSocket(Deno.listenDatagram({ transport: "udp", hostname, port }));
  },
};

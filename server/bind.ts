/**
 * Binding mosh-server's UDP socket as mosh does: the asked-for address first (from `-i` or
 * `-s`), trying each port of the range in order, then any interface; each failure is reported
 * in mosh's words, and total failure is an error the caller prints before exiting non-zero.
 *
 * "Any interface" is 0.0.0.0 here; mosh takes the first passive address getaddrinfo offers.
 *
 * @module
 */

import { type DatagramNetwork, type DatagramSocket, udpNetwork } from "../io/datagram.ts";

/** A bound socket. */
export interface Bound {
  socket: DatagramSocket;
  hostname: string;
  port: number;
  family: "inet" | "inet6";
  /** What failed before this succeeded (mosh prints it to stderr). */
  messages: string[];
}

/** Binding failed everywhere; `messages` say where and why. */
export interface BindFailure {
  messages: string[];
}

function tryBind(
  network: DatagramNetwork,
  hostname: string,
  [low, high]: [number, number],
): Bound | string {
  let last = "";
  for (let port = low; port <= high; port++) {
    try {
      const socket = network.bind(hostname, port);
      const family = hostname.includes(":") ? "inet6" : "inet";
      return { socket, hostname, port: socket.port, family, messages: [] };
    } catch (e) {
      last = e instanceof Error ? e.message.replace(/ \(os error \d+\)$/, "") : String(e);
    }
  }
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `Failed binding to ${shown}:${high}\nbind: ${last}`;
}

/**
 * Binds a UDP socket for the server.
 * @param ip the address to try first, or undefined for any interface only
 * @param ports the ports to try, low to high
 * @param network where to bind (the real UDP stack unless a test says otherwise)
 */
export function bindServer(
  ip: string | undefined,
  ports: [number, number],
  network: DatagramNetwork = udpNetwork,
): Bound | BindFailure {
  const messages: string[] = [];
  if (ip !== undefined) {
    const r = tryBind(network, ip, ports);
    if (typeof r !== "string") return r;
    const [failed, why] = r.split("\n");
    messages.push(failed, `Error binding to IP ${ip}: ${why}`);
  }
  const any = tryBind(network, "0.0.0.0", ports);
  if (typeof any !== "string") return { ...any, messages };
  const [failed, why] = any.split("\n");
  messages.push(failed, `Error binding to any interface: ${why}`);
  const range = ports[0] === ports[1] ? `port ${ports[0]}` : `ports ${ports[0]}-${ports[1]}`;
  messages.push(
    `mosh-server: could not bind a UDP socket on ${range} (${why.replace(/^bind: /, "")}); ` +
      "choose a free port or range with -p",
  );
  return { messages };
}

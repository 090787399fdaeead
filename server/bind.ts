/**
 * Binding mosh-server's UDP socket as mosh does: the asked-for address first (from `-i` or
 * `-s`), trying each port of the range in order, then any interface; each failure is reported
 * in mosh's words, and total failure is an error the caller prints before exiting non-zero.
 *
 * "Any interface" is 0.0.0.0 here; mosh takes the first passive address getaddrinfo offers.
 *
 * The address must be numeric, as mosh asks getaddrinfo with AI_NUMERICHOST: a name (such as
 * `list` in `mosh-server list`, which mosh 1.4.0 takes for the legacy `mosh-server IP` form) is
 * refused at once in mosh's words, without a DNS lookup that could hang, and the server goes on
 * to any interface as mosh does.
 *
 * @module
 */

import { type DatagramNetwork, type DatagramSocket, udpNetwork } from "../io/datagram.ts";
import { SystemError } from "../io/libc.ts";

/** A bound socket. */
export interface Bound<S extends DatagramSocket = DatagramSocket> {
  socket: S;
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

/** Where sockets come from: a {@link DatagramNetwork} whose sockets are `S`. */
type Network<S extends DatagramSocket> = { bind(hostname: string, port: number): S };

function tryBind<S extends DatagramSocket>(
  network: Network<S>,
  hostname: string,
  [low, high]: [number, number],
): Bound<S> | string {
  let last = "";
  for (let port = low; port <= high; port++) {
    try {
      const socket = network.bind(hostname, port);
      const family = hostname.includes(":") ? "inet6" : "inet";
      return { socket, hostname, port: socket.port, family, messages: [] };
    } catch (e) {
      last = e instanceof SystemError
        ? e.text
        : e instanceof Error
        ? e.message.replace(/ \(os error \d+\)$/, "")
        : String(e);
    }
  }
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `Failed binding to ${shown}:${high}\nbind: ${last}`;
}

/** One part of an IPv4 address as inet_aton reads it: decimal, 0-octal or 0x-hex. */
const IPV4_PART = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

/**
 * Whether getaddrinfo with AI_NUMERICHOST takes `host`: an IPv4 address in inet_aton's forms
 * ("127.0.0.1", "127.1", "0x7f.1", "2130706433") or an IPv6 address with an optional zone
 * (`%` and an interface's name or number, as glibc's inet6_scopeid_pton takes it).
 */
export function isNumericHost(host: string): boolean {
  if (host.includes(":")) {
    const [address, ...zone] = host.split("%");
    if (zone.length > 1 || !/^[0-9a-fA-F:.]+$/.test(address)) return false;
    if (zone.length === 1 && !isZone(zone[0])) return false;
    try {
      new URL(`http://[${address}]/`);
      return true;
    } catch {
      return false;
    }
  }
  const parts = host.split(".");
  if (parts.length > 4 || !parts.every((p) => IPV4_PART.test(p))) return false;
  const values = parts.map((p) =>
    /^0[xX]/.test(p) ? parseInt(p.slice(2) || "0", 16) : /^0./.test(p) ? parseInt(p, 8) : Number(p)
  );
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return false;
  return last < 2 ** (8 * (4 - values.length));
}

/** An IPv6 zone glibc accepts: an interface's name, or a decimal number that fits 32 bits. */
function isZone(zone: string): boolean {
  if (/^[0-9]+$/.test(zone)) return Number(zone) <= 0xffffffff;
  try {
    return Deno.networkInterfaces().some((i) => i.name === zone);
  } catch {
    return false; // not permitted to list them: only numeric zones
  }
}

/**
 * Binds a UDP socket for the server.
 * @param ip the address to try first, or undefined for any interface only
 * @param ports the ports to try, low to high
 * @param network where to bind (the real UDP stack unless a test says otherwise)
 */
export function bindServer<S extends DatagramSocket = DatagramSocket>(
  ip: string | undefined,
  ports: [number, number],
  network: Network<S> = udpNetwork as DatagramNetwork as Network<S>,
): Bound<S> | BindFailure {
  const messages: string[] = [];
  if (ip !== undefined && !isNumericHost(ip)) {
    // getaddrinfo's EAI_NONAME, and mosh's NetworkException appending strerror(0).
    messages.push(
      `Error binding to IP ${ip}: Bad IP address (${ip}): Name or service not known: Success`,
    );
  } else if (ip !== undefined) {
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

/**
 * UDP sockets over libc, for the one socket whose descriptor must pass from one process to
 * another: `mosh-server new` binds the session's port and hands it to the daemon it starts
 * (`cli/server_new.ts`), so that it can print MOSH CONNECT and exit without waiting for the
 * daemon's runtime to start. `Deno.listenDatagram` exposes no descriptor and adopts none.
 *
 * The design follows `io/unix_socket.ts`: the socket is O_NONBLOCK and used synchronously on
 * the JavaScript thread; only waiting for a datagram is moved to a worker thread
 * (`io/waitable.ts`). A send is one `sendto` that either takes the datagram or fails, as
 * mosh's: nothing is queued or retried.
 *
 * errno decides nothing here (see `io/libc.ts`): a receive is attempted only after poll said
 * the socket is readable, so -1 is an error, and errno only words it. Whether a failed send was
 * too long for the path is decided by its size ({@link UdpSendError.tooLong}).
 *
 * Requires `--allow-ffi`.
 *
 * @module
 */

import type { Address } from "../core/network/connection.ts";
import { MTU_FALLBACK } from "../core/network/mtu.ts";
import type { DatagramNetwork, DatagramSocket } from "./datagram.ts";
import {
  check,
  close as closeFd,
  cString,
  errno,
  fixedBytes,
  lazyLibc,
  MSG_NOSIGNAL,
  POLLERR,
  POLLIN,
  setCloseOnExec,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SystemError,
} from "./libc.ts";
import { nextTurn, Streak } from "./main_wait.ts";
import { Waitable } from "./waitable.ts";

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;

/** struct sockaddr_in is 16 bytes, struct sockaddr_in6 28. */
const SOCKADDR_IN_BYTES = 16;
const SOCKADDR_IN6_BYTES = 28;
/** INET6_ADDRSTRLEN, with room to spare. */
const ADDRESS_TEXT_BYTES = 64;
/** The largest UDP payload (65,535 less the IPv4 and UDP headers). */
const MAX_DATAGRAM_BYTES = 65_507;

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  recvfrom: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"],
    result: "isize",
  },
  inet_aton: { parameters: ["buffer", "buffer"], result: "i32" },
  inet_pton: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  inet_ntop: { parameters: ["i32", "buffer", "buffer", "u32"], result: "pointer" },
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
} as const;

/** These symbols of libc, each bound on its first use (the first process needs four). */
const symbols = lazyLibc(SYMBOLS);

function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  return symbols;
}

/** A send the system refused. */
export class UdpSendError extends Error {
  /**
   * Whether later datagrams should be smaller: the datagram was longer than mosh's fallback
   * size. (errno's EMSGSIZE would say so exactly, but errno is not ours to decide on.)
   */
  readonly tooLong: boolean;

  constructor(message: string, tooLong: boolean) {
    super(message);
    this.name = "UdpSendError";
    this.tooLong = tooLong;
  }
}

/**
 * `hostname` (a numeric IPv4 address in any of inet_aton's forms, or an IPv6 address with an
 * optional `%zone`) and `port` as a struct sockaddr.
 * @throws TypeError when `hostname` is not a numeric address
 */
export function socketAddress(hostname: string, port: number): Uint8Array<ArrayBuffer> {
  const l = libc();
  if (hostname.includes(":")) {
    const [address, zone] = hostname.split("%", 2);
    const addr = fixedBytes(SOCKADDR_IN6_BYTES);
    const view = new DataView(addr.buffer);
    view.setUint16(0, AF_INET6, true);
    view.setUint16(2, port, false);
    if (l.inet_pton(AF_INET6, cString(address, "address"), addr.subarray(8, 24)) !== 1) {
      throw new TypeError(`Not an IPv6 address: ${hostname}`);
    }
    if (zone !== undefined) {
      const scope = /^[0-9]+$/.test(zone) ? Number(zone) : l.if_nametoindex(cString(zone));
      if (!scope || scope > 0xffffffff) throw new TypeError(`No such interface: ${zone}`);
      view.setUint32(24, scope, true);
    }
    return addr;
  }
  const addr = fixedBytes(SOCKADDR_IN_BYTES);
  const view = new DataView(addr.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  if (l.inet_aton(cString(hostname, "address"), addr.subarray(4, 8)) === 0) {
    throw new TypeError(`Not an IPv4 address: ${hostname}`);
  }
  return addr;
}

/** A struct sockaddr (IPv4 or IPv6) in the transport's spelling, "host:port" or "[v6]:port". */
export function addressOf(addr: Uint8Array<ArrayBuffer>): Address {
  const view = new DataView(addr.buffer, addr.byteOffset);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  const text = fixedBytes(ADDRESS_TEXT_BYTES);
  const v6 = family === AF_INET6;
  const raw = v6 ? addr.subarray(8, 24) : addr.subarray(4, 8);
  const p = libc().inet_ntop(v6 ? AF_INET6 : AF_INET, raw, text, ADDRESS_TEXT_BYTES);
  if (p === null) throw new TypeError(`Not an IP socket address (family ${family})`);
  const host = new TextDecoder().decode(text.subarray(0, text.indexOf(0)));
  return v6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A non-blocking UDP socket bound to `hostname`:`port` (0: any free port), close-on-exec.
 * @returns its fd and the port it got
 * @throws SystemError when the system refuses (the address is in use, not ours)
 * @throws TypeError when `hostname` is not a numeric address
 */
export function bindUdp(hostname: string, port: number): { fd: number; port: number } {
  const addr = socketAddress(hostname, port);
  const l = libc();
  const family = addr.length === SOCKADDR_IN6_BYTES ? AF_INET6 : AF_INET;
  const fd = check(l.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
  if (l.bind(fd, addr, addr.length) !== 0) {
    const cause = errno(); // only for the message
    closeFd(fd);
    throw new SystemError("bind", cause);
  }
  if (port !== 0) return { fd, port };
  try {
    return { fd, port: boundPort(fd) };
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

/** The local port `fd` is bound to. */
function boundPort(fd: number): number {
  const addr = fixedBytes(SOCKADDR_IN6_BYTES);
  const length = new Uint32Array(new ArrayBuffer(4));
  length[0] = addr.length;
  check(libc().getsockname(fd, addr, new Uint8Array(length.buffer)), "getsockname", `fd ${fd}`);
  return new DataView(addr.buffer).getUint16(2, false);
}

/**
 * A {@link DatagramSocket} over a bound, non-blocking UDP socket `fd`, which it owns from now
 * on; an fd inherited from another process is made close-on-exec, so no child of ours holds it.
 */
export function adoptUdpSocket(fd: number): DatagramSocket & { readonly fd: number } {
  setCloseOnExec(fd);
  return new UdpSocket(fd, boundPort(fd));
}

/** Sockets bound with {@link bindUdp}, for `server/bind.ts`. */
export const ffiUdpNetwork: DatagramNetwork & {
  bind(hostname: string, port: number): DatagramSocket & { readonly fd: number };
} = {
  bind(hostname, port) {
    const bound = bindUdp(hostname, port);
    return new UdpSocket(bound.fd, bound.port);
  },
};

class UdpSocket implements DatagramSocket {
  readonly port: number;
  readonly #socket: Waitable;
  /** Datagrams are received into this, and a copy of just the datagram handed out. */
  readonly #buffer = fixedBytes(MAX_DATAGRAM_BYTES);
  #receiving = false;
  readonly #streak = new Streak();
  /** The last peer spelled both ways: a session talks to one address for a long time. */
  #lastTo: { address: Address; addr: Uint8Array<ArrayBuffer> } | undefined;
  #lastFrom: { address: Address; addr: Uint8Array<ArrayBuffer> } | undefined;

  constructor(fd: number, port: number) {
    this.#socket = new Waitable(fd);
    this.port = port;
  }

  /** The socket's fd; owned by this object. */
  get fd(): number {
    return this.#socket.fd;
  }

  send(data: Uint8Array, to: Address): Promise<void> {
    if (this.#socket.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    let addr: Uint8Array<ArrayBuffer>;
    if (this.#lastTo?.address === to) {
      addr = this.#lastTo.addr;
    } else {
      const colon = to.lastIndexOf(":");
      const host = to.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
      try {
        addr = socketAddress(host, Number(to.slice(colon + 1)));
      } catch (e) {
        return Promise.reject(e);
      }
      this.#lastTo = { address: to, addr };
    }
    const n = Number(
      libc().sendto(this.fd, data, BigInt(data.length), MSG_NOSIGNAL, addr, addr.length),
    );
    if (n !== data.length) {
      const why = new SystemError("sendto", errno()).text; // only for the message
      return Promise.reject(new UdpSendError(why, data.length > MTU_FALLBACK));
    }
    return Promise.resolve();
  }

  async receive(): Promise<{ data: Uint8Array; from: Address }> {
    // The shells receive one datagram at a time; a second receive at once gets its own buffer.
    const into = this.#receiving ? fixedBytes(MAX_DATAGRAM_BYTES) : this.#buffer;
    if (into === this.#buffer) this.#receiving = true;
    try {
      for (;;) {
        if (this.#socket.closed) throw new Deno.errors.BadResource("the socket is closed");
        let revents = this.#socket.ready(POLLIN);
        if (revents && this.#streak.next()) {
          await nextTurn(); // datagrams queued: a round of the loop every few (main_wait.ts)
          continue;
        }
        if (!revents) {
          this.#streak.reset();
          revents = await this.#socket.wait(POLLIN, -1);
        }
        if (this.#socket.closed) throw new Deno.errors.BadResource("the socket is closed");
        if ((revents & (POLLIN | POLLERR)) === 0) continue;
        const from = fixedBytes(SOCKADDR_IN6_BYTES);
        const fromLength = fixedBytes(4);
        new DataView(fromLength.buffer).setUint32(0, from.length, true);
        const n = Number(
          libc().recvfrom(this.fd, into, BigInt(into.length), 0, from, fromLength),
        );
        if (n < 0) throw new SystemError("recvfrom", errno(), `fd ${this.fd}`);
        return { data: into.slice(0, n), from: this.#spell(from) };
      }
    } finally {
      if (into === this.#buffer) this.#receiving = false;
    }
  }

  close(): void {
    this.#socket.close();
  }

  /** `addr` in the transport's spelling, from the last one when it is the same. */
  #spell(addr: Uint8Array<ArrayBuffer>): Address {
    const last = this.#lastFrom;
    if (last && last.addr.every((b, i) => b === addr[i])) return last.address;
    const address = addressOf(addr);
    this.#lastFrom = { address, addr };
    return address;
  }
}

/**
 * An impairment proxy for end-to-end tests: a UDP relay on loopback between a mosh client and
 * a mosh server, with per-direction loss, delay, jitter, duplication and blackouts, and a
 * switch that makes the client appear from a new source port (a NAT rebinding). The client
 * connects to the proxy's port; the proxy talks to the server from one socket per client
 * "mapping", so rebinding is a fresh socket.
 */

/** One direction's impairments. */
export interface Impairment {
  /** Probability of dropping a datagram. */
  loss?: number;
  /** One-way delay, ms. */
  delay?: number;
  /** Extra random delay 0..jitter, ms (this also reorders). */
  jitter?: number;
  /** Probability of sending a datagram twice. */
  duplicate?: number;
  /** Drop everything. */
  blocked?: boolean;
}

/** Counts of what the proxy saw and did, per direction. */
export interface ProxyStats {
  c2s: { datagrams: number; bytes: number; dropped: number };
  s2c: { datagrams: number; bytes: number; dropped: number };
}

/** A running proxy. */
export class ImpairmentProxy {
  readonly #front: Deno.DatagramConn;
  #back: Deno.DatagramConn;
  readonly #old: Deno.DatagramConn[] = [];
  readonly #server: Deno.NetAddr;
  #client: Deno.Addr | undefined;
  #closed = false;
  #random: () => number;
  c2s: Impairment = {};
  s2c: Impairment = {};
  readonly stats: ProxyStats = {
    c2s: { datagrams: 0, bytes: 0, dropped: 0 },
    s2c: { datagrams: 0, bytes: 0, dropped: 0 },
  };
  /** Send times (ms, performance.now) of every datagram forwarded, per direction. */
  readonly times: { c2s: number[]; s2c: number[] } = { c2s: [], s2c: [] };
  /** Called with every datagram the proxy sees, before any impairment (for tracing). */
  onDatagram?: (dir: "c2s" | "s2c", data: Uint8Array, t: number) => void;

  /** Starts a proxy in front of the server at 127.0.0.1:`serverPort`. */
  constructor(serverPort: number, seed = 1) {
    this.#server = { transport: "udp", hostname: "127.0.0.1", port: serverPort };
    this.#front = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    this.#back = this.#newBack();
    let s = seed >>> 0;
    this.#random = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    this.#pumpFront();
  }

  /** The port the client should connect to. */
  get port(): number {
    return (this.#front.addr as Deno.NetAddr).port;
  }

  /** From now on the server sees the client at a new source port (NAT rebinding). */
  rebind(): void {
    this.#old.push(this.#back);
    this.#back = this.#newBack();
  }

  #newBack(): Deno.DatagramConn {
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    (async () => {
      for (;;) {
        let data: Uint8Array;
        try {
          [data] = await sock.receive();
        } catch {
          return;
        }
        // Replies to an old mapping are lost, as at a NAT that forgot it.
        if (sock !== this.#back || !this.#client) continue;
        this.#forward("s2c", data, this.#front, this.#client);
      }
    })();
    return sock;
  }

  #pumpFront(): void {
    (async () => {
      for (;;) {
        let data: Uint8Array, from: Deno.Addr;
        try {
          [data, from] = await this.#front.receive();
        } catch {
          return;
        }
        this.#client = from;
        this.#forward("c2s", data, this.#back, this.#server);
      }
    })();
  }

  #forward(dir: "c2s" | "s2c", data: Uint8Array, via: Deno.DatagramConn, to: Deno.Addr): void {
    const imp = this[dir];
    const stats = this.stats[dir];
    stats.datagrams++;
    stats.bytes += data.length;
    const now = performance.now();
    this.times[dir].push(now);
    this.onDatagram?.(dir, data, now);
    if (imp.blocked || this.#random() < (imp.loss ?? 0)) {
      stats.dropped++;
      return;
    }
    const copies = this.#random() < (imp.duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = (imp.delay ?? 0) + this.#random() * (imp.jitter ?? 0);
      const send = () => {
        if (!this.#closed) via.send(data, to).catch(() => {});
      };
      if (delay > 0) setTimeout(send, delay);
      else send();
    }
  }

  /** Stops relaying and closes every socket. */
  close(): void {
    this.#closed = true;
    for (const s of [this.#front, this.#back, ...this.#old]) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}

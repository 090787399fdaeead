/**
 * mosh-client's program loop: the I/O shell around a {@link ClientSession}. It moves bytes and
 * nothing else: the user's keys, window resizes, datagrams, send results, signals and the timer
 * go in as events with the time; the session's actions (datagrams, text for the terminal, raw
 * mode, suspend, exit) are carried out. Every rule (the escape key, prediction, the
 * notification bar, when to leave) is in `core/session/client_session.ts`.
 *
 * The client sends from one local port at a time and "hops" to a new one when the transport
 * says so: a socket is opened when the first datagram is to leave from it, so no datagram of an
 * instruction is lost across a hop, and sockets the transport let go of are closed.
 *
 * @module
 */

import type { Base64Key } from "../core/crypto/key.ts";
import type { ClientAction } from "../core/session/action.ts";
import {
  ClientSession,
  type ClientSettings,
  type TerminalCapabilities,
} from "../core/session/client_session.ts";
import { type Clock, systemClock } from "../io/clock.ts";
import { type DatagramNetwork, type DatagramSocket, udpNetwork } from "../io/datagram.ts";
import { kill } from "../io/libc.ts";
import { UdpSendError } from "../io/udp_socket.ts";
import { IdleCollector } from "../io/idle_gc.ts";
import { SessionLoop } from "../io/session_loop.ts";
import { logUnexpected } from "../io/crash_log.ts";
import { nativePlatform } from "../io/platform.ts";
import type { Platform } from "../core/platform.ts";

export type { ClientSettings } from "../core/session/client_session.ts";

/** What the client needs. */
export interface ClientConfig {
  ip: string;
  port: number;
  key: Base64Key;
  caps: TerminalCapabilities;
  settings: ClientSettings;
  /** Raw-mode terminal I/O; tests may pass a stand-in. */
  tty: ClientTty;
  /** The network; real UDP unless a test runs in memory. */
  network?: DatagramNetwork;
  /** The clock and timers; the system's unless a test runs in virtual time. */
  clock?: Clock;
  /** Where a fault goes besides the session: the crash log the user can find, by default. */
  faultLog?: (error: unknown) => void;
  /** The AES block cipher, zlib and randomness; the machine's own unless a test says not. */
  platform?: Platform;
  /** Listen for SIGWINCH, SIGCONT, SIGTERM, SIGINT, SIGHUP, SIGPIPE; default true. */
  signals?: boolean;
}

/** The user's terminal as the client uses it. */
export interface ClientTty {
  size(): { columns: number; rows: number };
  setRaw(raw: boolean): void;
  write(text: string): void;
  /** Reads some bytes; null at end of input. */
  read(): Promise<Uint8Array | null>;
}

/** Ends the client and says how: clean or not, and what to print after the terminal is back. */
export interface ClientExit {
  clean: boolean;
  /** A message for stderr after the terminal is restored. */
  message?: string;
}

/** A running client. */
export class MoshClient {
  readonly session: ClientSession;
  readonly #config: ClientConfig;
  readonly #clock: Clock;
  readonly #network: DatagramNetwork;
  readonly #bindHost: string;
  readonly #sockets = new Map<number, DatagramSocket>();
  /**
   * A full collection after each burst of drawing (io/idle_gc.ts): 4 KiB of it, which a
   * flood of output passes at once (`seq 1 1000000` draws 7 KiB in 40 frames, and leaves the
   * client 10 MB larger until collected) and typing in some hundreds of keys.
   */
  readonly #collector = new IdleCollector(4 * 1024);
  readonly #loop: SessionLoop<ClientAction>;
  /** The last send failed: the next one that works is news for the session. */
  #sendFailing = false;
  #exit: ClientExit | undefined;
  #resolveExit!: (e: ClientExit) => void;
  readonly #exited: Promise<ClientExit>;
  #signals: [Deno.Signal, () => void][] = [];

  constructor(config: ClientConfig) {
    this.#config = config;
    this.#clock = config.clock ?? systemClock;
    this.#network = config.network ?? udpNetwork;
    this.#bindHost = config.ip.includes(":") ? "::" : "0.0.0.0";
    this.#exited = new Promise((r) => (this.#resolveExit = r));
    const { columns, rows } = config.tty.size();
    this.session = new ClientSession({
      key: config.key,
      platform: config.platform ?? nativePlatform(),
      now: this.#clock.now(),
      ip: config.ip,
      port: config.port,
      width: columns,
      height: rows,
      caps: config.caps,
      settings: config.settings,
    });
    this.#loop = new SessionLoop({
      session: this.session,
      clock: this.#clock,
      perform: (a) => this.#perform(a),
      finished: () => this.#exit !== undefined,
      afterActions: () => this.#closeLetGoSockets(),
      beforeTick: (now) => this.#collector.maybeCollect(now),
      faultLog: config.faultLog ?? ((e) => logUnexpected("mosh-client", e)), // io/crash_log.ts
      giveUp: (error) => {
        // The session cannot even end itself: give the terminal back and leave.
        this.#tty((t) => t.setRaw(false));
        this.#finish({ clean: false, message: `Error: ${error}\n` });
      },
    });
    if (config.signals ?? true) this.#listenSignals();
    this.#dispatch(() => {}); // carries out what the session did at start
    this.#readInput();
  }

  /** Resolves when the session is over (the terminal is restored by then). */
  get exited(): Promise<ClientExit> {
    return this.#exited;
  }

  /** Ends at once, restoring the terminal: an exception nobody caught. */
  abort(error: unknown): void {
    this.#dispatch((now) => this.session.fault(now, error));
  }

  #dispatch(event: (now: number) => void): void {
    this.#loop.dispatch(event);
  }

  #perform(a: ClientAction): void {
    switch (a.type) {
      case "send":
        return this.#send(a.socket, a.to, a.data);
      case "write":
        this.#collector.activity(this.#clock.now(), a.text.length);
        return this.#tty((t) => t.write(a.text));
      case "raw":
        return this.#tty((t) => t.setRaw(a.on));
      case "suspend":
        // This returns once we run again, after SIGCONT: resume now. (SIGCONT's listener does
        // too, for a stop from outside; a second resume does nothing. A client waiting in its
        // own poll, io/main_wait.ts, hears of that signal only at its next event-loop turn.)
        kill(0, "SIGSTOP");
        return this.#dispatch((now) => this.session.resume(now));
      case "log":
        return;
      case "exit":
        return this.#finish({ clean: a.clean, message: a.message });
    }
  }

  /** The terminal may be gone (its window closed): writing to it must not end the session. */
  #tty(f: (tty: ClientTty) => void): void {
    try {
      f(this.#config.tty);
    } catch {
      // nothing to draw on; the shutdown still reaches the server
    }
  }

  #send(socketId: number, to: string, data: Uint8Array): void {
    let socket = this.#sockets.get(socketId);
    if (!socket) {
      try {
        socket = this.#network.bind(this.#bindHost, 0);
      } catch (e) {
        this.#sendFailed(e);
        return;
      }
      this.#sockets.set(socketId, socket);
      this.#receiveLoop(socketId, socket);
    }
    socket.send(data, to).then(
      () => {
        if (!this.#sendFailing) return;
        this.#sendFailing = false;
        this.#dispatch((now) => this.session.sendResult(now));
      },
      (e: unknown) => this.#sendFailed(e),
    );
  }

  #sendFailed(e: unknown): void {
    this.#sendFailing = true;
    const message = e instanceof Error ? e.message : String(e);
    // Deno's sockets name the error; ours over libc say by the datagram's size (io/udp_socket.ts).
    const tooLong = e instanceof UdpSendError ? e.tooLong : /too long|EMSGSIZE/i.test(message);
    this.#dispatch((now) =>
      this.session.sendResult(now, { message: `sendto: ${message}`, tooLong })
    );
  }

  #closeLetGoSockets(): void {
    if (this.#sockets.size <= 1) return;
    const live = this.session.liveSockets;
    for (const [id, socket] of this.#sockets) {
      if (!live.includes(id)) {
        this.#sockets.delete(id);
        socket.close();
      }
    }
  }

  async #receiveLoop(id: number, socket: DatagramSocket): Promise<void> {
    for (let errors = 0; !this.#exit && this.#sockets.get(id) === socket;) {
      let datagram: { data: Uint8Array; from: string };
      try {
        datagram = await socket.receive();
      } catch (e) {
        // A closed socket (a pruned port, or the end) ends the loop; anything else (an ICMP
        // error surfacing) is tried again, backing off, and shown on the bar by the next send.
        if (e instanceof Deno.errors.BadResource || this.#sockets.get(id) !== socket) return;
        errors++;
        const backoff = Math.min(1000, 2 ** Math.min(errors, 10));
        await new Promise((resolve) => this.#clock.setTimer(backoff, () => resolve(undefined)));
        continue;
      }
      errors = 0;
      const { data, from } = datagram;
      this.#dispatch((now) => this.session.receive(now, data, from));
    }
  }

  #listenSignals(): void {
    const on = (signal: Deno.Signal, f: () => void) => {
      try {
        Deno.addSignalListener(signal, f);
        this.#signals.push([signal, f]);
      } catch {
        // not a signal this platform lets us catch
      }
    };
    on("SIGWINCH", () => {
      const { columns, rows } = this.#config.tty.size();
      this.#dispatch((now) => this.session.resize(now, columns, rows));
    });
    on("SIGCONT", () => this.#dispatch((now) => this.session.resume(now)));
    for (const s of ["SIGTERM", "SIGINT", "SIGHUP", "SIGPIPE"] as const) {
      on(
        s,
        () => this.#dispatch((now) => this.session.quit(now, "Signal received, shutting down...")),
      );
    }
  }

  async #readInput(): Promise<void> {
    for (;;) {
      let data: Uint8Array | null;
      try {
        data = await this.#config.tty.read();
      } catch {
        data = null;
      }
      if (this.#exit) return;
      if (data === null) {
        this.#dispatch((now) => this.session.quit(now, "Exiting..."));
        return;
      }
      const keys = data;
      this.#dispatch((now) => this.session.keys(now, keys));
    }
  }

  #finish(exit: ClientExit): void {
    if (this.#exit) return;
    this.#exit = exit;
    this.#loop.stop();
    for (const socket of this.#sockets.values()) socket.close();
    this.#sockets.clear();
    for (const [s, f] of this.#signals) Deno.removeSignalListener(s, f);
    this.#resolveExit(exit);
  }
}

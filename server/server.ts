/**
 * mosh-server's daemon loop: the I/O shell around a {@link ServerSession}. It moves bytes and
 * nothing else: datagrams from the socket, the application's output from its pty, signals and
 * the timer go in as events with the time; the session's actions (datagrams, input and resizes
 * for the pty, starting the application, the exit) are carried out. Every rule of the session
 * (when to start the application, what ends the session, the echo delay) is in
 * `core/session/server_session.ts`.
 *
 * Nothing here dies silently: an exception in an event's handling is given to the session as a
 * fault (logged, shown on the screen, and the session ends with the client told), and the
 * socket's receive loop keeps going through errors, logging them.
 *
 * @module
 */

import type { ServerAction } from "../core/session/action.ts";
import { ServerSession, type ServerSignal } from "../core/session/server_session.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import { type Clock, systemClock } from "../io/clock.ts";
import { type DatagramNetwork, type DatagramSocket, udpNetwork } from "../io/datagram.ts";
import { Base64Key } from "../core/crypto/key.ts";
import { bindServer } from "./bind.ts";
import type { AttachAnswer, AttachRequest, ControlError, SessionInfo } from "./control_protocol.ts";
import { Pty } from "../io/pty.ts";
import { UdpSendError } from "../io/udp_socket.ts";
import { IdleCollector } from "../io/idle_gc.ts";
import { SessionLoop } from "../io/session_loop.ts";
import { logUnexpected } from "../io/crash_log.ts";
import { writePrivateFile } from "../io/private_file.ts";
import { SessionUtmp } from "../io/utmp.ts";
import { nativePlatform } from "../io/platform.ts";
import type { Platform } from "../core/platform.ts";
import { nextTurn } from "../io/main_wait.ts";

/** A flood of output yields to the event loop this often, ms. */
const YIELD_EVERY_MS = 5;
/** Receive errors in a row back off up to this long between tries, ms. */
const RECEIVE_BACKOFF_MAX_MS = 1000;
/** A reaped-or-not look at the application this long after closing its pty, ms. */
const REAP_AFTER_MS = 100;

/** The application on its pty, as the server uses it (`io/pty.ts`'s Pty). */
export interface Application {
  /** The next output; null once the application and its children have hung up. */
  read(): Promise<Uint8Array | null>;
  /** Typed input; never blocks (what the pty does not take is queued). */
  write(bytes: Uint8Array): void;
  /** Bytes given to write() that the application has not read yet. */
  readonly writeBacklog: number;
  resize(cols: number, rows: number): void;
  /** Closes the pty: the application gets SIGHUP. */
  close(): void;
  /** Reaps it if it has ended. */
  tryWait(): unknown;
  /** The pty's master, for the utmp record (a real pty has one). */
  readonly masterFd?: number;
}

/** What to run, and how to start it. */
export interface ApplicationSpec {
  /** The program and its argv (argv[0] may differ, e.g. "-bash" for a login shell). */
  program: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** What the daemon runs. */
export interface ServerConfig extends ApplicationSpec {
  key: Base64Key;
  socket: DatagramSocket;
  family: "inet" | "inet6";
  /** The size until the client says otherwise. */
  width: number;
  height: number;
  /** Bytes the application would have printed before the shell (the motd), or empty. */
  preamble: Uint8Array;
  /** MOSH_SERVER_NETWORK_TMOUT and MOSH_SERVER_SIGNAL_TMOUT, seconds (0 = none). */
  networkTimeout: number;
  signalTimeout: number;
  /** Where to log (`-v`, and faults); undefined = silent. */
  log?: (line: string) => void;
  /** Log every client state (`-v`). */
  verbose?: boolean;
  /** Lines of history kept (`--scrollback=N`); the session's default when absent. */
  historyLimit?: number;
  /** How long to wait for a first client, ms (mosh: 60 s). */
  noClientTimeout?: number;
  /**
   * A file to write the current screen to on SIGUSR2 (`MOSH_SERVER_SCREEN_DUMP`): the text
   * of each row and the cursor, as JSON. A debugging aid, and how the fault tests compare the
   * server's screen with what the user sees.
   */
  screenDump?: string;
  /** The clock and timers; the system's unless a test runs in virtual time. */
  clock?: Clock;
  /** Where a fault goes besides the session: the crash log the user can find, by default. */
  faultLog?: (error: unknown) => void;
  /** The AES block cipher, zlib and randomness; the machine's own unless a test says not. */
  platform?: Platform;
  /** Starts the application on a pty of the given size; a real pty unless a test says not. */
  spawn?: (spec: ApplicationSpec, cols: number, rows: number) => Application;
  /** Listen for SIGTERM, SIGINT, SIGUSR1 (and SIGUSR2 with a screen dump); default true. */
  signals?: boolean;
  /** Where a reattaching client's new port is bound; real UDP unless a test says not. */
  network?: DatagramNetwork;
  /** The ports a reattach tries when the request names none (mosh's default range). */
  attachPorts?: [number, number];
  /** The wall clock, epoch ms, for `mosh-server list`; Date.now unless a test says not. */
  wallClock?: () => number;
}

function spawnPty(spec: ApplicationSpec, cols: number, rows: number): Application {
  return Pty.spawn({
    argv: [spec.program, ...spec.argv.slice(1)],
    argv0: spec.argv[0],
    env: spec.env,
    cwd: spec.cwd,
    cols,
    rows,
  });
}

/** A running mosh-server session. */
export class MoshServer {
  readonly session: ServerSession;
  readonly #config: ServerConfig;
  readonly #clock: Clock;
  readonly #wallClock: () => number;
  readonly #started: number;
  /** The sockets of the session's connections by the session's number: 0, then one per attach. */
  readonly #sockets = new Map<number, DatagramSocket>();
  #nextSocket = 1;
  /** A full collection after each megabyte-scale burst of output (io/idle_gc.ts). */
  readonly #collector = new IdleCollector(1 << 20);
  #app: Application | undefined;
  /** The utmp record `who` shows, through libutempter when installed (io/utmp.ts). */
  readonly #utmp = new SessionUtmp();
  readonly #loop: SessionLoop<ServerAction>;
  #finished = false;
  readonly #done: Promise<number>;
  #resolveDone!: (code: number) => void;
  #signalListeners: [Deno.Signal, () => void][] = [];

  constructor(config: ServerConfig) {
    this.#config = config;
    this.#clock = config.clock ?? systemClock;
    this.#wallClock = config.wallClock ?? Date.now;
    this.#started = this.#wallClock();
    this.#sockets.set(0, config.socket);
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.session = new ServerSession({
      key: config.key,
      platform: config.platform ?? nativePlatform(),
      now: this.#clock.now(),
      width: config.width,
      height: config.height,
      preamble: config.preamble,
      networkTimeoutMs: config.networkTimeout * 1000,
      signalTimeoutMs: config.signalTimeout * 1000,
      noClientTimeoutMs: config.noClientTimeout,
      family: config.family,
      verbose: config.verbose,
      historyLimit: config.historyLimit,
    });
    this.#loop = new SessionLoop({
      session: this.session,
      clock: this.#clock,
      perform: (a) => this.#perform(a),
      finished: () => this.#finished,
      afterActions: (now) => {
        if (this.#app) this.session.inputBacklog(now, this.#app.writeBacklog);
      },
      beforeTick: (now) => this.#collector.maybeCollect(now),
      faultLog: config.faultLog ?? ((e) => logUnexpected("mosh-server", e)), // io/crash_log.ts
      giveUp: (_error, again) => {
        // The session cannot even end itself: leave, with a word in the log.
        this.#log(`mosh-server: internal error while handling an error: ${again}`);
        this.#finish(1);
      },
    });
    if (config.signals ?? true) this.#listenSignals();
    this.#receiveLoop(0, config.socket);
    this.#dispatch(() => {}); // carries out what the session did at start
  }

  /** Resolves with the exit status when the session is over. */
  get done(): Promise<number> {
    return this.#done;
  }

  /**
   * An exception nobody caught (the program's last resort): the session logs it, shows it and
   * ends with the client told.
   */
  fault(error: unknown): void {
    this.#dispatch((now) => this.session.fault(now, error));
  }

  /** The session as `mosh-server list` shows it. */
  info(): SessionInfo {
    const c = this.#config;
    const contact = this.session.clientHeard ? this.session.lastContact() : null;
    return {
      pid: Deno.pid,
      started: this.#started,
      command: c.argv.join(" "),
      lastContact: contact === null ? null : this.#wallClock() - (this.#clock.now() - contact),
      lastClient: this.session.clientAddress ?? null,
    };
  }

  /**
   * A new client takes the session over (`mosh-server attach`): a port bound as `request`
   * asks, a fresh key, and a new connection from state 0 under it; the old connection is dead
   * from this moment (core/session/server_session.ts, attach).
   */
  attach(request: AttachRequest): AttachAnswer | ControlError {
    if (this.#finished) return { error: ["The session is ending"] };
    const ports: [number, number] = request.ports
      ? [request.ports.low, request.ports.high]
      : this.#config.attachPorts ?? [60001, 60999];
    const bound = bindServer(request.ip, ports, this.#config.network ?? udpNetwork);
    if (!("socket" in bound)) return { error: bound.messages };
    const platform = this.#config.platform ?? nativePlatform();
    const key = Base64Key.generate(platform);
    const id = this.#nextSocket++;
    let attached = false;
    this.#dispatch((now) => {
      attached = this.session.attach(now, key, id, request.from);
    });
    if (!attached) {
      bound.socket.close();
      return { error: ["The session is ending"] };
    }
    this.#sockets.set(id, bound.socket);
    this.#receiveLoop(id, bound.socket);
    const answer = { port: bound.port, key: key.toString(), messages: bound.messages };
    return answer;
  }

  /** Runs one event through the session, then carries out what it asked for. */
  #dispatch(event: (now: number) => void): void {
    this.#loop.dispatch(event);
  }

  #perform(a: ServerAction): void {
    switch (a.type) {
      case "send":
        this.#sockets.get(a.socket)?.send(a.data, a.to).then(
          () => {},
          (e: unknown) => this.#onSendError(e),
        );
        return;
      case "close":
        this.#sockets.get(a.socket)?.close();
        this.#sockets.delete(a.socket);
        return;
      case "start":
        return this.#start(a.width, a.height);
      case "input":
        return this.#app?.write(a.bytes);
      case "resize":
        return this.#app?.resize(a.width, a.height);
      case "peer":
        this.#utmp.clientAddress(a.address); // utmp: the client roamed, or a new one came
        return;
      case "log":
        return this.#log(a.line);
      case "exit":
        return this.#finish(a.code);
    }
  }

  #onSendError(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    // Deno's sockets name the error; ours over libc say by the datagram's size (io/udp_socket.ts).
    const tooLong = e instanceof UdpSendError ? e.tooLong : /too long|EMSGSIZE/i.test(message);
    this.#dispatch((now) =>
      this.session.sendResult(now, { message: `sendto: ${message}`, tooLong })
    );
  }

  #log(line: string): void {
    try {
      this.#config.log?.(line);
    } catch {
      // a log that cannot be written must not take the session with it
    }
  }

  #start(width: number, height: number): void {
    const spawn = this.#config.spawn ?? spawnPty;
    try {
      this.#app = spawn(this.#config, width, height);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      const message = `mosh-server: cannot run ${this.#config.program}: ${why}`;
      this.session.applicationFailed(this.#clock.now(), message);
      return;
    }
    if (this.#app.masterFd !== undefined) this.#utmp.start(this.#app.masterFd);
    this.#pump(this.#app);
  }

  async #pump(app: Application): Promise<void> {
    let yielded = this.#clock.now();
    for (;;) {
      let data: Uint8Array | null;
      try {
        data = await app.read();
      } catch (e) {
        this.#log(`mosh-server: reading the application's terminal failed: ${e}`);
        data = null;
      }
      if (this.#finished) return;
      if (data === null) break;
      const bytes = data;
      this.#collector.activity(this.#clock.now(), bytes.length);
      this.#dispatch((now) => this.session.output(now, bytes));
      // While output keeps coming, reads complete at once and never yield: let the network
      // (the user's keys, acks) and the timers in every few milliseconds.
      const now = this.#clock.now();
      if (now - yielded >= YIELD_EVERY_MS) {
        await nextTurn();
        yielded = this.#clock.now();
      }
    }
    this.#dispatch((now) => this.session.applicationExited(now));
  }

  async #receiveLoop(id: number, socket: DatagramSocket): Promise<void> {
    for (let errors = 0; !this.#finished;) {
      let datagram: { data: Uint8Array; from: string };
      try {
        datagram = await socket.receive();
      } catch (e) {
        if (this.#finished || this.#sockets.get(id) !== socket) return;
        if (e instanceof Deno.errors.BadResource) {
          this.fault(new Error("the UDP socket was closed under the session"));
          return;
        }
        // An ICMP error surfacing, or a system in trouble: say so, back off, never give up.
        errors++;
        if (errors === 1 || errors % 100 === 0) {
          this.#log(`mosh-server: receiving from the network failed (${errors} in a row): ${e}`);
        }
        const backoff = Math.min(RECEIVE_BACKOFF_MAX_MS, 2 ** Math.min(errors, 10));
        await new Promise((resolve) => this.#clock.setTimer(backoff, () => resolve(undefined)));
        continue;
      }
      errors = 0;
      const { data, from } = datagram;
      this.#dispatch((now) => this.session.receive(now, data, from, id));
    }
  }

  #listenSignals(): void {
    const on = (signal: Deno.Signal, listener: () => void) => {
      Deno.addSignalListener(signal, listener);
      this.#signalListeners.push([signal, listener]);
    };
    for (const signal of ["SIGTERM", "SIGINT", "SIGUSR1"] as const satisfies ServerSignal[]) {
      on(signal, () => this.#dispatch((now) => this.session.signal(now, signal)));
    }
    const path = this.#config.screenDump;
    if (path) on("SIGUSR2", () => this.#dumpScreen(path));
  }

  #dumpScreen(path: string): void {
    const fb: Framebuffer = this.session.screen();
    const dump = {
      rows: fb.rows.map((r) => r.toText()),
      cursor: fb.cursor,
      clientState: String(this.session.transport.latestRemote.num),
    };
    try {
      writePrivateFile(path, JSON.stringify(dump)); // mode 0600, no symlinks (io/private_file.ts)
    } catch (e) {
      this.#log(`screen dump to ${path} failed: ${e}`);
    }
  }

  #finish(code: number): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#loop.stop();
    for (const [signal, listener] of this.#signalListeners) {
      Deno.removeSignalListener(signal, listener);
    }
    for (const socket of this.#sockets.values()) socket.close();
    this.#sockets.clear();
    const app = this.#app;
    this.#utmp.end(); // the record goes before the pty
    if (app) {
      app.close(); // the application gets SIGHUP, as with mosh
      // Reap it if it goes at once; don't wait for one that ignores the hangup.
      this.#clock.setTimer(REAP_AFTER_MS, () => {
        try {
          app.tryWait();
        } catch {
          // already reaped
        }
      });
    }
    this.#resolveDone(code);
  }
}

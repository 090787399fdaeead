/**
 * The real programs' loops (server/server.ts, client/client.ts) in virtual time: over the
 * in-memory datagram network, on a {@link VirtualClock}, with a scripted application in place
 * of a pty and a stand-in terminal whose output feeds an emulator (the user's screen). A minute
 * of a session's life passes in milliseconds, the same way every time.
 */
import { Base64Key } from "../core/crypto/key.ts";
import { Emulator } from "../core/terminal/emulator.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import { VirtualClock } from "../io/clock.ts";
import { MemoryNetwork } from "../io/memory_network.ts";
import type { DatagramNetwork, DatagramSocket } from "../io/datagram.ts";
import { type Application, MoshServer, type ServerConfig } from "../server/server.ts";
import { type ClientConfig, type ClientTty, MoshClient } from "../client/client.ts";
import { platform } from "./_platform.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A tiny shell in place of the pty: prints a prompt, echoes printable keys, answers Enter with
 * a line naming what was typed. It records everything it reads. It can stop reading (its
 * input then piles up in {@link writeBacklog}, as in a pty) and be made to fail.
 */
export class ScriptedApplication implements Application {
  received = "";
  reading = true;
  closed = false;
  /** Make write() throw, as a pty whose write fails would. */
  failWrites = false;
  size: { cols: number; rows: number };
  #line = "";
  #out: string[] = [];
  #pending: Uint8Array[] = [];
  #waiter: ((b: Uint8Array | null) => void) | undefined;

  constructor(cols: number, rows: number) {
    this.size = { cols, rows };
    this.print("$ ");
  }

  get writeBacklog(): number {
    return this.#pending.reduce((n, b) => n + b.length, 0);
  }

  write(bytes: Uint8Array): void {
    if (this.failWrites) throw new Error("write to the application failed");
    this.#pending.push(bytes.slice());
    if (this.reading) this.drain();
  }

  /** Reads everything typed so far (after `reading` was false). */
  drain(): void {
    for (const b of this.#pending.splice(0)) this.#consume(b);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
  }

  print(text: string): void {
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(enc.encode(text));
    } else this.#out.push(text);
  }

  /** The application exits: its terminal hangs up. */
  exit(): void {
    this.closed = true;
    this.#waiter?.(null);
    this.#waiter = undefined;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#out.length) return Promise.resolve(enc.encode(this.#out.splice(0).join("")));
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  close(): void {
    this.exit();
  }

  tryWait(): null {
    return null;
  }

  #consume(bytes: Uint8Array): void {
    const text = dec.decode(bytes);
    this.received += text;
    let echo = "";
    for (const ch of text) {
      if (ch === "\r") {
        echo += `\r\nran: ${this.#line}\r\n$ `;
        this.#line = "";
      } else if (ch >= " " && ch !== "\x7f") {
        echo += ch;
        this.#line += ch;
      }
    }
    if (echo) this.print(echo);
  }
}

/** The user's terminal: a raw-mode stand-in whose output is drawn by an emulator. */
export class StandInTty implements ClientTty {
  readonly screen: Emulator;
  readonly writes: string[] = [];
  readonly raw: boolean[] = [];
  columns: number;
  rows: number;
  #keys: (Uint8Array | null)[] = [];
  #waiter: ((b: Uint8Array | null) => void) | undefined;

  constructor(columns = 80, rows = 24) {
    this.columns = columns;
    this.rows = rows;
    this.screen = new Emulator(columns, rows);
  }

  size(): { columns: number; rows: number } {
    return { columns: this.columns, rows: this.rows };
  }

  setRaw(raw: boolean): void {
    this.raw.push(raw);
  }

  write(text: string): void {
    this.writes.push(text);
    this.screen.write(enc.encode(text));
  }

  /** The user types `keys`; null ends the terminal's input. */
  type(keys: string | null): void {
    const bytes = keys === null ? null : enc.encode(keys);
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(bytes);
    } else this.#keys.push(bytes);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#keys.length) return Promise.resolve(this.#keys.shift()!);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** The rows of the user's screen, as text. */
  text(): string[] {
    return this.screen.snapshot().rows.map((r) => r.toText());
  }
}

/** What a virtual session is made of. */
export interface VirtualSession {
  clock: VirtualClock;
  network: MemoryNetwork;
  server: MoshServer;
  client: MoshClient;
  tty: StandInTty;
  /** The application, once the server has started it. */
  app(): ScriptedApplication | undefined;
  logs: string[];
  /** What went to the crash log. */
  faults: unknown[];
  serverDone: Promise<number>;
  serverScreen(): Framebuffer;
}

/** Options: the server's and the client's settings that differ from the defaults. */
export interface VirtualSessionOptions {
  server?: Partial<ServerConfig>;
  client?: Partial<ClientConfig>;
  /** The client's view of the network (to inject faults). */
  clientNetwork?: (network: MemoryNetwork) => DatagramNetwork;
  /** Wraps the server's socket (to inject faults). */
  wrapSocket?: (s: DatagramSocket) => DatagramSocket;
  columns?: number;
  rows?: number;
}

/**
 * A mosh-server's configuration in virtual time: a fresh key, an 80x24 `sh`, no timeouts, no
 * signal handlers, its log lines into `logs`.
 */
export function virtualServerConfig(
  clock: VirtualClock,
  socket: DatagramSocket,
  logs: string[],
): ServerConfig {
  return {
    key: Base64Key.generate(platform),
    socket,
    family: "inet",
    program: "/bin/sh",
    argv: ["-sh"],
    env: {},
    cwd: "/",
    width: 80,
    height: 24,
    preamble: new Uint8Array(0),
    networkTimeout: 0,
    signalTimeout: 0,
    log: (line) => logs.push(line),
    clock,
    platform,
    signals: false,
  };
}

/** Starts a server and a client over an in-memory network in virtual time. */
export function virtualSession(options: VirtualSessionOptions = {}): VirtualSession {
  const clock = new VirtualClock();
  const network = new MemoryNetwork(clock);
  const key = Base64Key.generate(platform);
  const logs: string[] = [];
  const faults: unknown[] = [];
  let app: ScriptedApplication | undefined;
  const socket = network.bind("127.0.0.1", 60001);
  const server = new MoshServer({
    ...virtualServerConfig(clock, options.wrapSocket ? options.wrapSocket(socket) : socket, logs),
    key,
    faultLog: (e) => faults.push(e),
    spawn: (_spec, cols, rows) => (app = new ScriptedApplication(cols, rows)),
    ...options.server,
  });
  const tty = new StandInTty(options.columns ?? 80, options.rows ?? 24);
  const client = new MoshClient({
    ip: "127.0.0.1",
    port: 60001,
    key,
    caps: { smcup: "", rmcup: "", ech: true, bce: true, titles: true },
    settings: { termInit: true, titlePrefix: "[mosh] " },
    tty,
    network: options.clientNetwork ? options.clientNetwork(network) : network,
    clock,
    platform,
    signals: false,
    faultLog: (e) => faults.push(e),
    ...options.client,
  });
  return {
    clock,
    network,
    server,
    client,
    tty,
    app: () => app,
    logs,
    faults,
    serverDone: server.done,
    serverScreen: () => server.session.screen(),
  };
}

/** Whether a promise has settled, without waiting for it. */
export function settled<T>(p: Promise<T>): { done: boolean; value?: T } {
  const state: { done: boolean; value?: T } = { done: false };
  p.then((v) => {
    state.done = true;
    state.value = v;
  });
  return state;
}

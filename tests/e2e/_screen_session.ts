/**
 * A mosh session watched at the keystroke: a mosh-client (ours or Debian's) on a pty that this
 * process holds, talking to a mosh-server through the impairment proxy. Bytes typed into the
 * pty are timestamped as they are written; everything the client writes is timestamped as it
 * is read and fed to an emulator, so "when did this key reach the screen" is the time of the
 * first client output after which the emulated screen shows it. No tmux polling in between.
 *
 * `ScreenSession.local(argv)` runs a program on the same pty directly, without mosh: the floor
 * of the measurement (pty, reads, emulator) and the latency of a plain local terminal.
 */
import { Pty } from "../../io/pty.ts";
import { Emulator } from "../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../core/terminal/framebuffer.ts";
import { selfCommand } from "../../cli/self.ts";
import { MOSH_CLIENT } from "../_debian_mosh.ts";
import { SHELL, SHELL_ENV, type StartedServer, startServer } from "./_programs.ts";
import { ImpairmentProxy } from "./_proxy.ts";

/** Whose mosh-server and mosh-client. */
export type Peer = "ours" | "debian";

/**
 * Starts the server a session runs against: on 127.0.0.1, any port, `command` (the test shell
 * by default). `bench/compare.ts` times launches with it, so they are the sessions' launches.
 */
export function startSessionServer(
  peer: Peer,
  serverArgs: readonly string[] = [],
  command: string[] = SHELL,
): Promise<StartedServer> {
  return startServer(peer, ["-i", "127.0.0.1", "-p", "0", ...serverArgs], command, SHELL_ENV);
}

/** How to start a {@link ScreenSession}. */
export interface SessionOptions {
  /** Server and client both ours or both Debian's. */
  peer: Peer;
  /** Round trip added by the proxy, ms, half each way. */
  rtt: number;
  /** MOSH_PREDICTION_DISPLAY for the client; unset if absent. */
  predict?: string;
  /** The server's command; bash with a "$ " prompt if absent. */
  command?: string[];
  /** More options for `mosh-server new` (e.g. `--scrollback=0`, ours only). */
  serverArgs?: string[];
  /** More environment for the client (e.g. `MOSH_NO_SCROLLBACK`). */
  clientEnv?: Record<string, string>;
  cols?: number;
  rows?: number;
}

type Watcher = (fb: Framebuffer, t: number) => void;

/** A client on a pty, its screen as an emulator sees it, and what it talks to. */
export class ScreenSession {
  readonly pty: Pty;
  readonly proxy: ImpairmentProxy | null;
  /** The server, when there is one (not for {@link local}). */
  readonly server: StartedServer | null;
  /** How long `mosh-server new` took to print MOSH CONNECT, ms. */
  serverStartMs = 0;
  /** When the client was started (performance.now). */
  clientStarted = 0;
  readonly #emulator: Emulator;
  #screen: Framebuffer;
  #screenTime = 0;
  readonly #watchers = new Set<Watcher>();
  readonly #done: Promise<void>;

  private constructor(
    pty: Pty,
    cols: number,
    rows: number,
    server: StartedServer | null,
    proxy: ImpairmentProxy | null,
  ) {
    this.pty = pty;
    this.server = server;
    this.proxy = proxy;
    this.#emulator = new Emulator(cols, rows);
    this.#screen = this.#emulator.snapshot();
    this.#done = this.#pump();
  }

  /** Starts a server, a proxy in front of it, and a client on a pty. */
  static async start(o: SessionOptions): Promise<ScreenSession> {
    const cols = o.cols ?? 80, rows = o.rows ?? 24;
    const t0 = performance.now();
    const server = await startSessionServer(o.peer, o.serverArgs, o.command);
    const serverStartMs = performance.now() - t0;
    const proxy = new ImpairmentProxy(server.port);
    proxy.c2s.delay = proxy.s2c.delay = o.rtt / 2;
    const args = ["127.0.0.1", String(proxy.port)];
    const cmd = o.peer === "ours"
      ? selfCommand("mosh-client", args)
      : { cmd: MOSH_CLIENT, args, env: {} };
    const env: Record<string, string> = {
      ...inherited(),
      ...cmd.env, // as `mosh` gives our client (cli/mosh.ts)
      MOSH_KEY: server.key,
      LANG: "C.UTF-8",
      TERM: "xterm-256color",
      ...o.clientEnv,
    };
    if (o.predict !== undefined) env.MOSH_PREDICTION_DISPLAY = o.predict;
    let pty: Pty;
    const clientStarted = performance.now();
    try {
      pty = Pty.spawn({ argv: [cmd.cmd, ...cmd.args], env, cols, rows });
    } catch (e) {
      server.stop();
      proxy.close();
      throw e;
    }
    const session = new ScreenSession(pty, cols, rows, server, proxy);
    session.serverStartMs = serverStartMs;
    session.clientStarted = clientStarted;
    return session;
  }

  /** Runs `argv` on the pty directly (no mosh). */
  static local(argv: string[], cols = 80, rows = 24): ScreenSession {
    const env = { ...inherited(), ...SHELL_ENV, LANG: "C.UTF-8", TERM: "xterm-256color" };
    return new ScreenSession(Pty.spawn({ argv, env, cols, rows }), cols, rows, null, null);
  }

  /** The screen as of the client's latest output. */
  get screen(): Framebuffer {
    return this.#screen;
  }

  /** Types `text`; returns the time (performance.now) it was written to the pty. */
  type(text: string): number {
    const t = performance.now();
    this.pty.write(new TextEncoder().encode(text));
    return t;
  }

  /** Calls `f` with every new screen until the returned function is called. */
  watch(f: Watcher): () => void {
    this.#watchers.add(f);
    return () => this.#watchers.delete(f);
  }

  /**
   * The time of the first client output after which `test` holds (now, if it holds already).
   * @throws after `ms` without it, showing the screen
   */
  waitFor(test: (fb: Framebuffer) => boolean, ms: number, what: string): Promise<number> {
    if (test(this.#screen)) return Promise.resolve(this.#screenTime);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; screen:\n${this.text()}`));
      }, ms);
      const stop = this.watch((fb, t) => {
        if (!test(fb)) return;
        clearTimeout(timer);
        stop();
        resolve(t);
      });
    });
  }

  /** The screen's text, trailing spaces cut. */
  text(): string {
    return this.#screen.rows.map((r) => r.toText().trimEnd()).join("\n");
  }

  /** The row the cursor is on, as text with trailing spaces cut. */
  cursorLine(fb: Framebuffer = this.#screen): string {
    return fb.rows[fb.cursor.row].toText().trimEnd();
  }

  /** Kills the client and the server, stops the proxy. */
  async close(): Promise<void> {
    this.pty.kill("SIGKILL");
    await this.pty.wait();
    this.pty.close();
    await this.#done;
    this.server?.stop();
    this.proxy?.close();
  }

  async #pump(): Promise<void> {
    for (;;) {
      let data: Uint8Array | null;
      try {
        data = await this.pty.read();
      } catch {
        return;
      }
      if (data === null) return;
      const t = performance.now();
      this.#emulator.write(data);
      this.#emulator.takeReplies(); // a terminal's answers would go to the client; not needed
      this.#screen = this.#emulator.snapshot();
      this.#screenTime = t;
      for (const w of [...this.#watchers]) w(this.#screen, t);
    }
  }
}

/** What a child needs from our environment to run (Deno finds its cache through these). */
function inherited(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

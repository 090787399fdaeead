/**
 * A measured mosh session for side-by-side benchmarks: a server (ours or Debian's), an
 * impairment proxy, and a client (ours or Debian's) on a pty we hold, so that what the client
 * draws is read with timestamps rather than polled from a terminal.
 */
import { Pty } from "../io/pty.ts";
import { Emulator } from "../core/terminal/emulator.ts";
import { selfCommand } from "../cli/self.ts";
import { MOSH_CLIENT } from "../tests/_debian_mosh.ts";
import { type StartedServer, startServer } from "../tests/e2e/_programs.ts";
import { type Impairment, ImpairmentProxy } from "../tests/e2e/_proxy.ts";

export type Kind = "ours" | "debian";

/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Peak resident memory, MB. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A running measured session. */
export class Session {
  readonly kind: Kind;
  readonly server: StartedServer;
  readonly proxy: ImpairmentProxy;
  readonly pty: Pty;
  readonly started: number;
  /** When the client first drew the prompt. */
  firstPrompt: number | undefined;
  serverStartMs: number;
  /** The user's terminal, as the client's output draws it. */
  readonly #screen = new Emulator(80, 24);
  #waiters: { test: (screen: string) => boolean; resolve: (t: number) => void }[] = [];

  private constructor(
    kind: Kind,
    server: StartedServer,
    proxy: ImpairmentProxy,
    pty: Pty,
    started: number,
    serverStartMs: number,
  ) {
    this.kind = kind;
    this.server = server;
    this.proxy = proxy;
    this.pty = pty;
    this.started = started;
    this.serverStartMs = serverStartMs;
    this.#pump();
  }

  /** Starts server, proxy and client; `oneWay` is half the round trip. */
  static async start(
    kind: Kind,
    opts: { oneWay?: number; predict?: string; shell?: string[] } = {},
  ): Promise<Session> {
    const t0 = performance.now();
    const server = await startServer(
      kind,
      ["-i", "127.0.0.1", "-p", "0"],
      opts.shell ?? ["/bin/bash", "--norc", "--noprofile"],
      {
        PS1: "$ ",
        HISTFILE: "/dev/null",
      },
    );
    const serverStartMs = performance.now() - t0;
    const proxy = new ImpairmentProxy(server.port);
    const delay: Impairment = { delay: opts.oneWay ?? 0 };
    proxy.c2s = delay;
    proxy.s2c = delay;
    const cmd = kind === "ours" ? selfCommand("mosh-client", ["127.0.0.1", String(proxy.port)]) : {
      cmd: MOSH_CLIENT,
      args: ["127.0.0.1", String(proxy.port)],
    };
    const started = performance.now();
    const pty = Pty.spawn({
      argv: [cmd.cmd, ...cmd.args],
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? "/",
        LANG: "C.UTF-8",
        TERM: "xterm-256color",
        MOSH_KEY: server.key,
        MOSH_PREDICTION_DISPLAY: opts.predict ?? "adaptive",
      },
      cols: 80,
      rows: 24,
    });
    return new Session(kind, server, proxy, pty, started, serverStartMs);
  }

  async #pump(): Promise<void> {
    for (;;) {
      const data = await this.pty.read();
      if (data === null) return;
      const t = performance.now();
      this.#screen.write(data);
      this.#screen.takeReplies();
      if (this.#waiters.length === 0 && this.firstPrompt !== undefined) continue;
      const text = this.screen();
      if (this.firstPrompt === undefined && /^\$ /m.test(text)) this.firstPrompt = t;
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.test(text)) return true;
        w.resolve(t);
        return false;
      });
    }
  }

  /** The client's screen now, as text. */
  screen(): string {
    return this.#screen.snapshot().toText();
  }

  /** Resolves with the time the client's screen first satisfied `test` (checked now too). */
  waitScreen(test: (screen: string) => boolean, ms = 20_000, what = "the screen"): Promise<number> {
    if (test(this.screen())) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.test !== test);
        reject(new Error(`${this.kind}: timed out waiting for ${what}:\n${this.screen()}`));
      }, ms);
      this.#waiters.push({
        test,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      });
    });
  }

  /** Types text into the client's terminal. */
  type(text: string): number {
    const t = performance.now();
    this.pty.write(new TextEncoder().encode(text));
    return t;
  }

  /** The client's process id. */
  get clientPid(): number {
    return this.pty.pid;
  }

  async close(): Promise<void> {
    this.type("\x1e.");
    await Promise.race([this.pty.wait(), new Promise((r) => setTimeout(r, 3000))]);
    if (this.pty.tryWait() === null) this.pty.kill("SIGKILL");
    this.pty.close();
    this.proxy.close();
    this.server.stop();
  }
}

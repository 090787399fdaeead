/**
 * A real terminal for end-to-end tests: a tmux session on its own server socket, driven as a
 * person would drive it (keys in, the screen read back). Every wait has a deadline, and
 * `close()` kills the tmux server and everything in it.
 */

import { pollUntil } from "../_poll.ts";

let counter = 0;

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function run(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await new Deno.Command("tmux", {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  })
    .output();
  return {
    ok: r.success,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

/** One tmux session with one pane. */
export class Tmux {
  readonly socket: string;
  readonly target = "t:0.0";

  private constructor(socket: string) {
    this.socket = socket;
  }

  /**
   * Starts `command` (a shell command line) in a `width`×`height` pane. The pane stays after
   * the command exits, so its last screen and exit status can be read.
   */
  static async start(
    command: string,
    opts: {
      width?: number;
      height?: number;
      env?: Record<string, string>;
      /** Lines of history the pane keeps (tmux's history-limit); tmux's default otherwise. */
      historyLimit?: number;
    } = {},
  ): Promise<Tmux> {
    // Unique even across test files (each restarts the counter) and reused pids.
    const socket = `denomosh-${Deno.pid}-${++counter}-${crypto.randomUUID().slice(0, 8)}`;
    // PYENV_REHASH_TIMEOUT: a login shell that runs `pyenv init` (root's, on the CI machine)
    // takes a lock file to rehash, and one killed mid-way (tests end sessions abruptly) leaves
    // it behind; every later shell then waited 60 s on it. One try, then on (as _sshd.ts).
    const base = { LANG: "C.UTF-8", TERM: "xterm-256color", PYENV_REHASH_TIMEOUT: "0" };
    const env = Object.entries({ ...base, ...opts.env })
      .map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
    const t = new Tmux(socket);
    const limit = opts.historyLimit === undefined
      ? []
      : ["set-option", "-g", "history-limit", String(opts.historyLimit), ";"];
    const r = await run([
      "-L",
      socket,
      "-f",
      "/dev/null",
      ...limit,
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(opts.width ?? 80),
      "-y",
      String(opts.height ?? 24),
      `env ${env} ${command}`,
    ]);
    if (!r.ok) throw new Error(`tmux new-session failed: ${r.err}`);
    await t.#tmux("set-option", "-g", "remain-on-exit", "on");
    return t;
  }

  async #tmux(...args: string[]): Promise<string> {
    const r = await run(["-L", this.socket, ...args]);
    if (!r.ok) throw new Error(`tmux ${args[0]} failed: ${r.err}`);
    return r.out;
  }

  /** Types literal text. */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", this.target, "-l", text);
  }

  /** Presses keys by tmux name (Enter, C-^, Up, ...). */
  async keys(...names: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", this.target, ...names);
  }

  /** The screen as text (`escapes`: with SGR, as `capture-pane -e`). */
  async screen(escapes = false): Promise<string> {
    return await this.#tmux("capture-pane", "-p", "-t", this.target, ...(escapes ? ["-e"] : []));
  }

  /** `capture-pane -p` with more flags (`-J`, `-e`, `-S -`, ...): the text it prints. */
  async capture(...flags: string[]): Promise<string> {
    return await this.#tmux("capture-pane", "-p", "-t", this.target, ...flags);
  }

  /** A pane format variable (`history_size`, `alternate_on`, ...). */
  async format(name: string): Promise<string> {
    return (await this.#tmux("display-message", "-p", "-t", this.target, `#{${name}}`)).trim();
  }

  /** The cursor position, 0-based. */
  async cursor(): Promise<{ row: number; col: number }> {
    const out = await this.#tmux(
      "display-message",
      "-p",
      "-t",
      this.target,
      "#{cursor_y} #{cursor_x}",
    );
    const [row, col] = out.trim().split(" ").map(Number);
    return { row, col };
  }

  /** Resizes the window. */
  async resize(width: number, height: number): Promise<void> {
    await this.#tmux("resize-window", "-t", "t", "-x", String(width), "-y", String(height));
  }

  /** Whether the command has exited, and its status. */
  async exited(): Promise<{ dead: boolean; status: number | null }> {
    const out = await this.#tmux(
      "display-message",
      "-p",
      "-t",
      this.target,
      "#{pane_dead} #{pane_dead_status}",
    );
    const [dead, status] = out.trim().split(" ");
    return { dead: dead === "1", status: status === "" ? null : Number(status) };
  }

  /** Waits until `test` holds for the screen, or fails after `ms` showing the last screen. */
  async waitFor(
    test: (screen: string) => boolean,
    ms = 10_000,
    what = "the screen",
  ): Promise<string> {
    const r = await pollUntil(() => this.screen(), test, ms);
    if (r.done) return r.value;
    throw new Error(`timed out waiting for ${what}; last screen:\n${r.value}`);
  }

  /**
   * The screen (with colours) once two captures 300 ms apart agree and it is not blank, or
   * the last capture after `ms`.
   */
  async settled(ms = 6000): Promise<string> {
    const deadline = Date.now() + ms;
    let last = await this.screen(true);
    while (Date.now() < deadline) {
      await sleep(300);
      const now = await this.screen(true);
      if (now === last && now.trim() !== "") return now;
      last = now;
    }
    return last;
  }

  /** Waits for the command to exit; returns its status. */
  async waitExit(ms = 10_000): Promise<number | null> {
    const r = await pollUntil(() => this.exited(), (e) => e.dead, ms);
    if (r.done) return r.value.status;
    throw new Error(`command still running after ${ms} ms; screen:\n${await this.screen()}`);
  }

  /** Kills the tmux server and its processes. */
  async close(): Promise<void> {
    await run(["-L", this.socket, "kill-server"]);
  }
}

/** Quotes a word for sh. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

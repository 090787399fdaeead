/**
 * Our programs and Debian's, started as a user would start them, for end-to-end tests.
 */
import { type Role, selfCommand } from "../../cli/self.ts";
import { MOSH_CLIENT, MOSH_SERVER } from "../_debian_mosh.ts";
import { shellQuote } from "./_tmux.ts";
import { pollUntil } from "../_poll.ts";

/** A bash with a bare "$ " prompt and no history: the shell the session tests run. */
export const SHELL = ["/bin/bash", "--norc", "--noprofile"];
export const SHELL_ENV: Record<string, string> = { PS1: "$ ", HISTFILE: "/dev/null" };

/**
 * The session directory of this test process's servers (`$XDG_RUNTIME_DIR/denomosh`,
 * io/session_dir.ts), apart from the user's: sessions left by other tests or programs must not
 * show in `mosh-server list` here, nor put a detached-session notice on a screen a test
 * compares with Debian's.
 */
export const SESSION_ENV: Record<string, string> = {
  XDG_RUNTIME_DIR: Deno.makeTempDirSync({ prefix: "denomosh-run-" }),
};

/** Our mosh-server as a shell command line, in this test process's session directory. */
export const OUR_SERVER_LINE = `env XDG_RUNTIME_DIR=${shellQuote(SESSION_ENV.XDG_RUNTIME_DIR)} ` +
  [selfCommand("mosh-server", []).cmd, ...selfCommand("mosh-server", []).args].map(shellQuote)
    .join(" ");

/** What a program run with no terminal did: its status and its output, apart and together. */
export interface ProgramRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr, for matching a message wherever the program put it. */
  text: string;
}

/**
 * Runs a command with stdin on /dev/null and its output captured, as a script would.
 * @param env added to the environment, or the whole of it with `clearEnv`
 */
export async function runNoTerminal(
  words: string[],
  env: Record<string, string> = { LANG: "C.UTF-8" },
  clearEnv = false,
): Promise<ProgramRun> {
  const r = await new Deno.Command(words[0], {
    args: words.slice(1),
    env,
    clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(r.stdout), stderr = new TextDecoder().decode(r.stderr);
  return { code: r.code, stdout, stderr, text: stdout + stderr };
}

/** Our `program` (mosh, mosh-server, …) with `args`, run by {@link runNoTerminal}. */
export function runOurs(
  program: Role,
  args: string[],
  env?: Record<string, string>,
  clearEnv?: boolean,
): Promise<ProgramRun> {
  const self = selfCommand(program, args);
  return runNoTerminal([self.cmd, ...self.args], env, clearEnv);
}

/** A started `mosh-server new`. */
export interface StartedServer {
  port: number;
  key: string;
  pid: number;
  stdout: string;
  stderr: string;
  /** Kills the daemon if it still runs; returns whether it did. */
  stop(): boolean;
  /** Whether the daemon still runs. */
  alive(): boolean;
}

/** Whether a process exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The pids of `pid`'s children (its main thread's), none once it is gone. */
export function children(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs `mosh-server new ARGS -- COMMAND` (ours or Debian's) and reads its startup lines.
 * @param prefix a command that runs it (e.g. `prlimit --core=...`), if any
 */
export async function startServer(
  which: "ours" | "debian",
  args: string[],
  command: string[] = [],
  env: Record<string, string> = {},
  prefix: string[] = [],
): Promise<StartedServer> {
  const self = which === "ours" ? selfCommand("mosh-server", []) : { cmd: MOSH_SERVER, args: [] };
  const cmd = prefix.length
    ? { cmd: prefix[0], args: [...prefix.slice(1), self.cmd, ...self.args] }
    : self;
  const out = await new Deno.Command(cmd.cmd, {
    args: [...cmd.args, "new", ...args, ...(command.length ? ["--", ...command] : [])],
    env: { LANG: "C.UTF-8", ...SESSION_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const m = stdout.match(/MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})/);
  const pid = Number(stderr.match(/detached, pid = (\d+)/)?.[1] ?? 0);
  if (!m || !pid) throw new Error(`${which} mosh-server did not start:\n${stdout}\n${stderr}`);
  return {
    port: Number(m[1]),
    key: m[2],
    pid,
    stdout,
    stderr,
    stop() {
      if (!processAlive(pid)) return false;
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        return false;
      }
      return true;
    },
    alive: () => processAlive(pid),
  };
}

/** A shell command line that runs a mosh-client (ours or Debian's) against a server. */
export function clientCommand(
  which: "ours" | "debian",
  server: { port: number; key: string },
  env: Record<string, string> = {},
  ip = "127.0.0.1",
): string {
  const cmd = which === "ours"
    ? selfCommand("mosh-client", [ip, String(server.port)])
    : { cmd: MOSH_CLIENT, args: [ip, String(server.port)], env: {} };
  const vars = Object.entries({ MOSH_KEY: server.key, ...cmd.env, ...env })
    .map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
  return `env ${vars} ${[cmd.cmd, ...cmd.args].map(shellQuote).join(" ")}`;
}

/** Waits until `pid` is gone, up to `ms`. */
export async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  return (await pollUntil(() => processAlive(pid), (alive) => !alive, ms)).done;
}

/** The pid of a client started by {@link clientCommand} for `port`: the process naming it. */
export function clientPid(port: number): number {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0");
      const client = argv.some((a) => a.endsWith("mosh_client.ts") || a.endsWith("mosh-client"));
      if (client && argv.includes(String(port))) return Number(e.name);
    } catch {
      // gone
    }
  }
  throw new Error(`no client process for port ${port}`);
}

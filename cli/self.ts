/**
 * How this program starts another copy of itself in another role: mosh-server starts its
 * daemon, and `mosh` starts mosh-server (`--local`) or the client. Running from source that is
 * `deno run -A --config deno.json cli/<role>.ts`; compiled, it is our own executable with a
 * first argument that names the role (the name we were invoked by is not ours to choose when
 * spawning, and `Deno.execPath()` resolves the links that would otherwise carry it); bundled
 * (the portable form of docs/install.md: one JavaScript file of the three programs, run by a
 * launcher), it is `deno run` of that file with the role flag.
 *
 * @module
 */

/** The three programs. */
export type Role = "mosh" | "mosh-server" | "mosh-client";

/** The first argument that selects a role in a compiled executable. */
export const ROLE_FLAG = "--denomosh-role=";

const ENTRY: Record<Role, string> = {
  "mosh": "./mosh.ts",
  "mosh-server": "./mosh_server.ts",
  "mosh-client": "./mosh_client.ts",
};

/**
 * V8 flags for our long-lived processes (the server daemon and the client), given to `deno
 * run` here and in deno.json's tasks, and baked into the compiled executable. V8's memory
 * reducer runs garbage collections on a timer after activity to return memory; in a process
 * that wakes every few seconds for a heartbeat it never settles, and it was half of an idle
 * session's CPU (server 0.17-0.2 → 0.08-0.1 CPU seconds a minute). `--expose-gc` lets
 * io/idle_gc.ts collect once after a burst instead, so the heap still shrinks after a flood.
 */
export const V8_FLAGS = "--v8-flags=--no-memory-reducer,--expose-gc";

/** Whether we run as a `deno compile` executable rather than under `deno run`. */
export function isCompiled(): boolean {
  const exe = Deno.execPath().split("/").pop() ?? "";
  return exe !== "deno" && exe !== "deno.exe";
}

/**
 * The flags of `deno run` for the bundle of the portable form, in the launcher
 * (cli/launcher.ts) and here alike: no config file (the bundle needs none, and a deno.json in
 * the working directory must not change how it runs), the unstable net API that deno.json's
 * "unstable" grants from source, and our V8 flags.
 */
export const BUNDLE_RUN_FLAGS: readonly string[] = [
  "-A",
  "--quiet",
  "--no-config",
  "--unstable-net",
  V8_FLAGS,
];

/** How this process runs: a `deno compile` executable, a bundle under `deno run`, or source. */
export type RunMode = "compiled" | "bundled" | "source";

/**
 * How this process runs. Bundled, this module is no longer cli/self.ts: its URL is the
 * bundle's (cli/bundle.ts builds it from cli/main.ts).
 */
export function runMode(): RunMode {
  if (isCompiled()) return "compiled";
  return import.meta.url.endsWith("/cli/self.ts") ? "source" : "bundled";
}

/** The bundle this process runs from, when {@link runMode} is "bundled". */
export function bundlePath(): string {
  return decodeURIComponent(new URL(import.meta.url).pathname);
}

/**
 * Environment for a copy of us under `deno run` (source and bundled forms). Deno's CLI looks
 * for a newer release of itself a moment after it starts: it reads the system's CA bundle,
 * resolves dl.deno.land, and, where it cannot record an answer (no network), does it again at
 * every start. In our long-lived processes that was 4-5 ms of CPU and 3 MB resident each (a
 * bare `deno run` that waits: 30.8 against 33.7 MB, 31-34 against 36-39 ms of CPU), and a
 * network request from a session daemon that nobody asked for. The compiled executable's
 * runtime never looks. Only our own processes get this: the shell's environment is the one
 * `mosh-server new` was given (cli/server_new.ts), not the daemon's.
 */
export const RUN_ENV: Readonly<Record<string, string>> = { DENO_NO_UPDATE_CHECK: "1" };

/** What runs another role: the command line, and what to add to the environment. */
export interface SelfCommand {
  cmd: string;
  args: string[];
  env: Readonly<Record<string, string>>;
}

/** The command line that runs `role` with `args`, and the environment it adds. */
export function selfCommand(role: Role, args: string[]): SelfCommand {
  const mode = runMode();
  const cmd = Deno.execPath();
  if (mode === "compiled") return { cmd, args: [ROLE_FLAG + role, ...args], env: {} };
  if (mode === "bundled") {
    return {
      cmd,
      args: ["run", ...BUNDLE_RUN_FLAGS, bundlePath(), ROLE_FLAG + role, ...args],
      env: RUN_ENV,
    };
  }
  return sourceCommand(new URL(ENTRY[role], import.meta.url).pathname, args);
}

/**
 * The command line that runs the module at `entry` from source as our programs run (our V8
 * flags, deno.json, {@link RUN_ENV}): a role's entry, or a benchmark's process that must hold
 * what our programs hold (bench/_parts.ts).
 */
export function sourceCommand(entry: string, args: string[]): SelfCommand {
  const config = new URL("../deno.json", import.meta.url).pathname;
  return {
    cmd: Deno.execPath(),
    args: ["run", "-A", "--quiet", V8_FLAGS, "--config", config, entry, ...args],
    env: RUN_ENV,
  };
}

/** The name this process was invoked by: argv[0] from /proc/self/cmdline, without its path. */
export function invokedName(): string {
  try {
    const cmdline = Deno.readTextFileSync("/proc/self/cmdline");
    return cmdline.split("\0")[0].split("/").pop() ?? "";
  } catch {
    return Deno.execPath().split("/").pop() ?? "";
  }
}

/**
 * The role of a compiled executable: from the role flag, else from the invoked name
 * (`mosh-server`, `mosh-client`, anything else is `mosh`).
 * @returns the role and the remaining arguments
 */
export function roleOf(name: string, args: string[]): { role: Role; args: string[] } {
  if (args[0]?.startsWith(ROLE_FLAG)) {
    const role = args[0].slice(ROLE_FLAG.length);
    if (role === "mosh" || role === "mosh-server" || role === "mosh-client") {
      return { role, args: args.slice(1) };
    }
  }
  if (name.startsWith("mosh-server")) return { role: "mosh-server", args };
  if (name.startsWith("mosh-client")) return { role: "mosh-client", args };
  return { role: "mosh", args };
}

/**
 * `mosh-server`'s command line, with mosh 1.4.0's syntax, defaults and messages:
 *
 * ```
 * mosh-server new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS] [-l NAME=VALUE]
 *                 [-- COMMAND...]
 * ```
 * `--help`/`-h` and `--version` are honoured anywhere before `--`; everything after `--` is the
 * command. As in mosh an unknown option only prints the usage; unlike mosh, a malformed
 * `-l` (no `=`) is refused, since putenv would silently ignore it.
 *
 * The first word picks a subcommand from a table (only `new` today); any other first word is
 * mosh 1.4.0's legacy `mosh-server [IP [PORT]]` form, so `mosh-server list` means "bind to the
 * address `list`", which server/bind.ts refuses at once in mosh's words before binding any
 * interface, exactly as Debian's mosh-server does (tests/e2e/server_operands_test.ts).
 *
 * @module
 */

import { versionBanner } from "./version.ts";

/** Where mosh searches for a free port by default. */
export const PORT_RANGE_LOW = 60001;
export const PORT_RANGE_HIGH = 60999;

/** What the command line asks for. */
export interface ServerOptions {
  /** Bind here first (from -i, or -s via SSH_CONNECTION); undefined = any interface. */
  ip?: string;
  /** Ports to try, in order: [low, high]. */
  ports: [number, number];
  colors: number;
  verbose: number;
  /** NAME=VALUE locale settings from the client, used if our own locale is not UTF-8. */
  locale: string[];
  /** The command, or undefined for the user's login shell. */
  command?: string[];
  /** `--scrollback=N` (ours): lines of history kept; the default when absent. */
  scrollback?: number;
}

/** The outcome of parsing: options to run with, or text to print and a status to exit with. */
export type ParsedServerArgs =
  | { options: ServerOptions; warnings: string[] }
  | { exit: number; stdout: string; stderr: string };

/** The usage line. */
export function serverUsage(argv0: string): string {
  return `Usage: ${argv0} new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS] ` +
    "[-l NAME=VALUE] [-- COMMAND...]\n";
}

/** C's strtol on a whole string: the number and what follows it, or null without digits. */
function strtol(s: string): { value: number; rest: string } {
  const m = /^\s*([+-]?)(\d*)/.exec(s)!;
  if (m[2] === "") return { value: 0, rest: s };
  const value = Number(m[2]) * (m[1] === "-" ? -1 : 1);
  return { value, rest: s.slice(m[0].length) };
}

/**
 * Parses "PORT" or "LOW:HIGH" as mosh does.
 * @returns the range, or the error lines mosh prints
 */
export function parsePortRange(text: string): [number, number] | string {
  const low = strtol(text);
  if (low.rest !== "" && !low.rest.startsWith(":")) return `Invalid (low) port number (${text})`;
  if (low.value < 0 || low.value > 65535) {
    return `(Low) port number ${low.value} outside valid range [0..65535]`;
  }
  if (low.rest === "") return [low.value, low.value];
  const highText = low.rest.slice(1);
  const high = strtol(highText);
  if (high.rest !== "" || highText === "") return `Invalid high port number (${highText})`;
  if (high.value < 0 || high.value > 65535) {
    return `High port number ${high.value} outside valid range [0..65535]`;
  }
  if (low.value > high.value) return `Low port ${low.value} greater than high port ${high.value}`;
  if (low.value === 0) return "Low port 0 incompatible with port ranges";
  return [low.value, high.value];
}

/** The local address of the ssh connection (3rd word of SSH_CONNECTION), as `-s` uses it. */
export function sshLocalIp(sshConnection: string | undefined): { ip?: string; warning?: string } {
  if (sshConnection === undefined) {
    return { warning: "Warning: SSH_CONNECTION not found; binding to any interface." };
  }
  const words = sshConnection.trim().split(/\s+/);
  if (words.length < 3 || words[2] === "") {
    return { warning: "Warning: Could not parse SSH_CONNECTION; binding to any interface." };
  }
  const ip = words[2];
  return { ip: /^::ffff:/i.test(ip) && ip.length > 7 ? ip.slice(7) : ip };
}

/** Everything after the subcommand, before `--`, and what the parse so far decided. */
interface SubcommandInput {
  /** The words after the subcommand's name (or all of them for the legacy form). */
  words: string[];
  argv0: string;
  usage: string;
  env: Record<string, string | undefined>;
  options: ServerOptions;
  warnings: string[];
}

/** A subcommand's parser: the port range text to check, or the text to exit with. */
type SubcommandParser = (
  input: SubcommandInput,
) => { port?: string } | { exit: number; stdout: string; stderr: string };

/**
 * `new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS] [-l NAME=VALUE]`, parsed as
 * mosh's getopt("@:i:p:c:svl:") over the words from "new" on: clustered flags, attached or
 * separate arguments, parsing stops at the first operand (which is ignored, as in mosh), an
 * unknown option or a missing argument prints getopt's message (named "new", getopt's argv[0]
 * there) and the usage, and does not stop the server.
 */
function parseNew({ words, argv0, usage, env, options, warnings }: SubcommandInput) {
  let port: string | undefined;
  const fail = (message: string) => ({ exit: 1, stdout: "", stderr: `${message}\n${usage}` });
  for (let i = 0; i < words.length; i++) {
    const a = words[i];
    if (a === "--") break;
    if (!a.startsWith("-") || a === "-") break; // getopt stops at the first operand
    if (a.startsWith("--scrollback")) {
      // Ours: `--scrollback=N`, the lines of history kept (native scrollback, reattach).
      const m = /^--scrollback=(\d{1,7})$/.exec(a);
      if (!m) return fail(`${argv0}: Bad scrollback (${a}): expected --scrollback=LINES`);
      options.scrollback = Number(m[1]);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const flag = a[j];
      if ("@ipcl".includes(flag)) {
        let value = a.slice(j + 1);
        if (value === "") {
          if (i + 1 >= words.length) {
            warnings.push(`new: option requires an argument -- '${flag}'`, usage.trimEnd());
            break;
          }
          value = words[++i];
        }
        if (flag === "i") options.ip = value;
        if (flag === "p") port = value;
        if (flag === "l") {
          if (!value.includes("=")) {
            return fail(`${argv0}: Bad locale setting (${value}): expected NAME=VALUE`);
          }
          options.locale.push(value);
        }
        if (flag === "c") {
          const n = strtol(value);
          if (n.rest !== "" || !Number.isSafeInteger(n.value)) {
            return fail(`${argv0}: Bad number of colors (${value})`);
          }
          options.colors = n.value;
        }
        break;
      } else if (flag === "s") {
        const s = sshLocalIp(env.SSH_CONNECTION);
        options.ip = s.ip;
        if (s.warning) warnings.push(s.warning);
      } else if (flag === "v") {
        options.verbose++;
      } else {
        warnings.push(`new: invalid option -- '${flag}'`, usage.trimEnd());
      }
    }
  }
  return { port };
}

/**
 * mosh 1.4.0's legacy form for old wrapper scripts: no words, `IP`, or `IP PORT`; more is an
 * error. Any other first word (`list`, `-x`) is taken as the IP, as mosh does: binding then
 * refuses it as not numeric (server/bind.ts) and the server starts on any interface.
 */
function parseLegacy({ words, usage, options }: SubcommandInput) {
  if (words.length > 2) return { exit: 1, stdout: "", stderr: usage };
  if (words.length >= 1) options.ip = words[0];
  return { port: words[1] };
}

/**
 * The subcommands, by the first word. Later ones (`list`, `attach`) go here; a first word not
 * in this table is the legacy form.
 */
const SUBCOMMANDS: Record<string, SubcommandParser> = { new: parseNew };

/**
 * Parses mosh-server's arguments (without argv[0]), with mosh 1.4.0's messages.
 * @param env the environment (for `-s`)
 */
export function parseServerArgs(
  args: string[],
  argv0 = "mosh-server",
  env: Record<string, string | undefined> = {},
): ParsedServerArgs {
  const usage = serverUsage(argv0);
  let command: string[] | undefined;
  let opts = args;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--help" || args[i] === "-h") return { exit: 0, stdout: usage, stderr: "" };
    if (args[i] === "--version") {
      return { exit: 0, stdout: versionBanner("mosh-server"), stderr: "" };
    }
    if (args[i] === "--") {
      if (i !== args.length - 1) command = args.slice(i + 1);
      opts = args.slice(0, i);
      break;
    }
  }
  const options: ServerOptions = {
    ports: [PORT_RANGE_LOW, PORT_RANGE_HIGH],
    colors: 0,
    verbose: 0,
    locale: [],
    command,
  };
  const warnings: string[] = [];
  const sub = Object.hasOwn(SUBCOMMANDS, opts[0] ?? "") ? SUBCOMMANDS[opts[0]] : undefined;
  const input = { argv0, usage, env, options, warnings };
  const parsed = sub ? sub({ ...input, words: opts.slice(1) }) : parseLegacy({
    ...input,
    words: opts,
  });
  if ("exit" in parsed) return parsed;
  if (parsed.port !== undefined) {
    const range = parsePortRange(parsed.port);
    if (typeof range === "string") {
      return {
        exit: 1,
        stdout: "",
        stderr: `${range}\n${argv0}: Bad UDP port range (${parsed.port})\n${usage}`,
      };
    }
    options.ports = range;
  }
  return { options, warnings };
}

/** TERM for the application: only exactly 256 colours gets xterm-256color. */
export function termFor(colors: number): string {
  return colors === 256 ? "xterm-256color" : "xterm";
}

/**
 * A seconds value from `MOSH_SERVER_NETWORK_TMOUT` or `MOSH_SERVER_SIGNAL_TMOUT`.
 * @returns seconds (0 = none) and the warning mosh prints for a bad value
 */
export function parseTimeoutEnv(name: string, value: string | undefined): {
  seconds: number;
  warning?: string;
} {
  if (value === undefined || value === "") return { seconds: 0 };
  const n = strtol(value);
  if (n.rest !== "") return { seconds: 0, warning: `${name} not a valid integer, ignoring` };
  if (n.value < 0) return { seconds: 0, warning: `${name} is negative, ignoring` };
  return { seconds: n.value };
}

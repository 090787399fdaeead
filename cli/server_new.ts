/**
 * `mosh-server new` in the first process (see `cli/mosh_server.ts`): parses the options,
 * settles the locale, finds the program, binds the port, makes the key, hands all of it to the
 * daemon it starts, and prints MOSH CONNECT.
 *
 * @module
 */

import { parseServerArgs, parseTimeoutEnv, type ServerOptions, termFor } from "./server_options.ts";
import { LOCALE_VARS } from "./mosh_options.ts";
import { printConnect } from "./connect_message.ts";
import { writeAll } from "./output.ts";
import {
  chdirError,
  isUtf8Locale,
  localeCharset,
  localeVariable,
  userInfo,
  windowSize,
} from "../io/daemon.ts";
import type { DaemonConfig, DaemonSettings } from "./server_daemon.ts";
import { startDaemon } from "./daemon_launch.ts";
import { bindServer } from "../server/bind.ts";
import { ffiUdpNetwork } from "../io/udp_socket.ts";
import { Base64Key } from "../core/crypto/key.ts";

/** Finds `name` in PATH as execvp would; a name with a slash is taken as it is. */
function resolveProgram(name: string, path: string | undefined): string | null {
  const executable = (p: string) => {
    try {
      const st = Deno.statSync(p);
      return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (name.includes("/")) return executable(name) ? name : null;
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    const p = `${dir || "."}/${name}`;
    if (executable(p)) return p;
  }
  return null;
}

function readIfExists(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** mosh's motd for a login shell: motd.dynamic, then /etc/motd, unless ~/.hushlogin. */
function motd(home: string): string {
  if (readIfExists(`${home}/.hushlogin`) !== null) return "";
  const dynamic = readIfExists("/run/motd.dynamic") ?? readIfExists("/var/run/motd.dynamic") ?? "";
  return (dynamic + (readIfExists("/etc/motd") ?? "")).replace(/\r?\n/g, "\r\n");
}

/** Applies mosh's locale rule; returns the environment to run with, or an error text. */
function adoptLocale(
  env: Record<string, string>,
  fromClient: string[],
): Record<string, string> | string {
  if (isUtf8Locale(env)) return env;
  const nativeVar = localeVariable(env);
  const nativeCharset = localeCharset(env) ?? "ANSI_X3.4-1968";
  const next = { ...env };
  for (const name of LOCALE_VARS) delete next[name];
  for (const assignment of fromClient) {
    const eq = assignment.indexOf("=");
    next[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  if (isUtf8Locale(next)) return next;
  const clientVar = localeVariable(next);
  const show = (v: { name: string; value: string } | null) =>
    v ? `${v.name}=${v.value}` : "LC_CTYPE=C";
  return "mosh-server needs a UTF-8 native locale to run.\n\n" +
    `Unfortunately, the local environment (${show(nativeVar)}) specifies\n` +
    `the character set "${nativeCharset}",\n\n` +
    `The client-supplied environment (${show(clientVar)}) specifies\n` +
    `the character set "${localeCharset(next) ?? "ANSI_X3.4-1968"}".\n\n`;
}

/**
 * `mosh-server new ...`: checks everything, binds the port, makes the key, starts the daemon
 * with both (`cli/daemon_launch.ts`) and prints MOSH CONNECT.
 */
export function runNew(args: string[], coreLimit: bigint): number {
  const env = Deno.env.toObject();
  const parsed = parseServerArgs(args, "mosh-server", env);
  if ("exit" in parsed) {
    writeAll(Deno.stdout, parsed.stdout);
    writeAll(Deno.stderr, parsed.stderr);
    return parsed.exit;
  }
  const { options, warnings } = parsed;
  for (const w of warnings) writeAll(Deno.stderr, w + "\n");

  // As mosh does, the locale is settled first: the shell runs in it.
  const withLocale = adoptLocale(env, options.locale);
  if (typeof withLocale === "string") {
    writeAll(Deno.stderr, withLocale);
    try {
      new Deno.Command("locale", { stdout: "inherit", stderr: "inherit" }).outputSync();
    } catch {
      // no locale program: the message above says enough
    }
    return 1;
  }

  const config = daemonConfig(env, options, withLocale, coreLimit);
  if (!config) return 1;
  const bound = bindServer(options.ip, options.ports, ffiUdpNetwork);
  for (const m of bound.messages) writeAll(Deno.stderr, m + "\n");
  if (!("socket" in bound)) return 1;
  // The runtime's CSPRNG, as nativePlatform's (io/platform.ts), which would load the cipher and
  // zlib modules.
  const key = Base64Key.generate({ random: (bytes) => crypto.getRandomValues(bytes) });
  const printed = key.toString();
  let pid: number;
  try {
    const settings: DaemonSettings = { config, key: printed, family: bound.family };
    pid = startDaemon(bound.socket.fd, options.verbose > 0, JSON.stringify(settings));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    writeAll(Deno.stderr, `mosh-server: cannot start the server process: ${why}\n`);
    return 1;
  } finally {
    bound.socket.close(); // the daemon has its own
    key.wipe();
  }
  printConnect({ port: bound.port, key: printed, pid });
  return 0;
}

/** What the daemon is to run, and how; null (having said why) when it cannot be run. */
function daemonConfig(
  env: Record<string, string>,
  options: ServerOptions,
  withLocale: Record<string, string>,
  coreLimit: bigint,
): DaemonConfig | null {
  const user = userInfo();
  let program: string, argv: string[], preamble = "";
  // mosh's chdir_homedir: HOME, else the password database's home.
  const home = env.HOME ?? user?.home;
  if (!options.command) {
    const shell = env.SHELL ?? user?.shell ?? "";
    program = shell || "/bin/sh";
    argv = ["-" + program.split("/").pop()];
    preamble = motd(home ?? "/");
  } else {
    program = options.command[0];
    argv = options.command;
  }
  const located = resolveProgram(program, env.PATH);
  if (!located) {
    writeAll(Deno.stderr, `mosh-server: cannot run ${program}: command not found\n`);
    return null;
  }

  const network = parseTimeoutEnv("MOSH_SERVER_NETWORK_TMOUT", env.MOSH_SERVER_NETWORK_TMOUT);
  const signal = parseTimeoutEnv("MOSH_SERVER_SIGNAL_TMOUT", env.MOSH_SERVER_SIGNAL_TMOUT);
  for (const w of [network.warning, signal.warning]) if (w) writeAll(Deno.stderr, w + "\n");

  const childEnv: Record<string, string> = { ...withLocale };
  childEnv.TERM = termFor(options.colors);
  childEnv.NCURSES_NO_UTF8_ACS = "1";
  delete childEnv.STY;
  // As mosh, a home the shell cannot change to does not stop the session: the error shows on
  // the terminal before anything else (mosh's child prints perror("chdir") there), and the
  // shell starts in "/".
  const homeError = home === undefined ? null : chdirError(home);
  const cwd = home !== undefined && homeError === null ? home : "/";
  if (homeError !== null) preamble = `chdir: ${homeError}\r\n` + preamble;
  childEnv.PWD = cwd;
  const size = windowSize(0) ?? { cols: 80, rows: 24 };
  return {
    options,
    program: located,
    argv,
    env: childEnv,
    cwd,
    width: size.cols || 80,
    height: size.rows || 24,
    preamble,
    networkTimeout: network.seconds,
    signalTimeout: signal.seconds,
    screenDump: env.MOSH_SERVER_SCREEN_DUMP || undefined,
    coreLimit: coreLimit.toString(),
  };
}

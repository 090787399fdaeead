/**
 * `mosh-server`: `mosh-server new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS]
 * [-l NAME=VALUE] [-- COMMAND...]`.
 *
 * mosh forks after binding; a Deno process cannot fork, so this process starts its daemon as a
 * new process (the same program with {@link DAEMON_FLAG}) and talks to it over pipes: it sends
 * the settings on the daemon's stdin, and the daemon binds the port, makes the key, answers with
 * both on its stdout, starts a session of its own and lets go of its stdio. Only then does this
 * process print `MOSH CONNECT <port> <key>` and the detached message, and exit; so the port is
 * held before anyone is told of it, and the key never appears in any process's arguments.
 *
 * `mosh-server list` and `mosh-server attach` are in `cli/session_command.ts`.
 *
 * @module
 */

import { parseServerArgs, parseTimeoutEnv, type ServerOptions, termFor } from "./server_options.ts";
import { selfCommand } from "./self.ts";
import { LOCALE_VARS } from "./mosh_options.ts";
import { printConnect } from "./connect_message.ts";
import { writeAll } from "./output.ts";
import { concatBytes } from "../core/bytes.ts";
import {
  chdirError,
  isUtf8Locale,
  localeCharset,
  localeVariable,
  newSession,
  userInfo,
  windowSize,
} from "../io/daemon.ts";
import { dup2, O_RDWR, open } from "../io/libc.ts";
import { disableCoreDumps, setChildCoreLimit } from "../io/core_dumps.ts";
import {
  daemonPolicy,
  type FaultTarget,
  installUnexpectedErrorHandlers,
  terminalPolicy,
} from "./unexpected.ts";

/** The first argument that makes this program the daemon. */
export const DAEMON_FLAG = "--denomosh-server-daemon";

/** What the first process hands the daemon. */
interface DaemonConfig {
  options: ServerOptions;
  program: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  width: number;
  height: number;
  preamble: string;
  networkTimeout: number;
  signalTimeout: number;
  screenDump?: string;
  /** The user's RLIMIT_CORE soft limit, in decimal, for the shell (ours is 0). */
  coreLimit: string;
}

const encoder = new TextEncoder();

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
 * The line that tells of this user's detached sessions here but `self` (`mosh --attach` takes
 * them back), or null. A session directory that cannot be read only means no notice.
 */
async function detachedSessionsNotice(self: number): Promise<string | null> {
  try {
    const { findSessionDir } = await import("../io/session_dir.ts");
    const { detachedNotice, detachedSessions } = await import("../server/control_client.ts");
    const sessions = await detachedSessions(findSessionDir(), { exclude: self });
    return detachedNotice(sessions, Deno.hostname());
  } catch {
    return null;
  }
}

/** `mosh-server new ...`: checks everything, starts the daemon, prints MOSH CONNECT. */
async function runNew(args: string[], coreLimit: bigint): Promise<number> {
  const env = Deno.env.toObject();
  const parsed = parseServerArgs(args, "mosh-server", env);
  if ("exit" in parsed) {
    writeAll(Deno.stdout, parsed.stdout);
    writeAll(Deno.stderr, parsed.stderr);
    return parsed.exit;
  }
  const { options, warnings } = parsed;
  for (const w of warnings) writeAll(Deno.stderr, w + "\n");

  // As mosh does, the locale is settled first: the daemon runs in it.
  const withLocale = adoptLocale(env, options.locale);
  if (typeof withLocale === "string") {
    writeAll(Deno.stderr, withLocale);
    const locale = await new Deno.Command("locale", { stdout: "inherit", stderr: "inherit" })
      .output().catch(() => null);
    void locale;
    return 1;
  }

  // The daemon is a second Deno process, as slow to start as this one was: it starts now and
  // boots while this one gathers the rest of its settings (the user, the motd, the program).
  // It does nothing before it has them; if they cannot be made, it is killed unstarted.
  const self = selfCommand("mosh-server", [DAEMON_FLAG]);
  const daemon = new Deno.Command(self.cmd, {
    args: self.args,
    stdin: "piped",
    stdout: "piped",
    stderr: options.verbose ? "inherit" : "null",
    env: withLocale,
    clearEnv: true,
  }).spawn();
  let config: DaemonConfig | null = null;
  try {
    config = daemonConfig(env, options, withLocale, coreLimit);
  } finally {
    if (!config) {
      try {
        daemon.kill("SIGKILL");
      } catch {
        // it has already gone
      }
      await daemon.status;
    }
  }
  if (!config) return 1;

  const w = daemon.stdin.getWriter();
  await w.write(encoder.encode(JSON.stringify(config)));
  await w.close();
  const line = await readLine(daemon.stdout);
  let answer: { port?: number; key?: string; pid?: number; messages?: string[]; error?: string[] };
  try {
    answer = JSON.parse(line);
  } catch {
    writeAll(Deno.stderr, "mosh-server: the server process failed to start\n");
    return 1;
  }
  for (const m of answer.messages ?? []) writeAll(Deno.stderr, m + "\n");
  if (answer.error) {
    for (const m of answer.error) writeAll(Deno.stderr, m + "\n");
    await daemon.status;
    return 1;
  }
  printConnect({ port: answer.port!, key: answer.key!, pid: answer.pid! });
  daemon.unref();
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

/** The first line of `stream` without its newline (all of it if it has none). */
async function readLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      if (value.includes(0x0a)) break;
    }
  } finally {
    reader.releaseLock();
  }
  const text = new TextDecoder().decode(concatBytes(chunks));
  const nl = text.indexOf("\n");
  return nl === -1 ? text : text.slice(0, nl);
}

/** All of standard input, read directly (the streams machinery costs milliseconds cold). */
function readStdin(): string {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n; (n = Deno.stdin.readSync(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  return new TextDecoder().decode(concatBytes(chunks));
}

/** The daemon's running server, for the unexpected-error policy. */
let runningServer: FaultTarget | undefined;

/** The daemon: binds, answers the first process, detaches, and serves the session. */
async function runDaemon(): Promise<number> {
  // Ignore hangups, as mosh does: the ssh session that started us may end at any moment.
  Deno.addSignalListener("SIGHUP", () => {});
  // Only what answering the first process needs is loaded before it is answered: it waits, and
  // so does the user. The terminal emulator comes after.
  const [{ bindServer }, { Base64Key }, { nativePlatform }] = await Promise.all([
    import("../server/bind.ts"),
    import("../core/crypto/key.ts"),
    import("../io/platform.ts"),
  ]);
  const text = readStdin();
  if (!text) return 1; // the first process found nothing to run, and has said so
  const config: DaemonConfig = JSON.parse(text);
  const { options } = config;
  setChildCoreLimit(BigInt(config.coreLimit));
  newSession();
  // Stdin has given all it will; stdout and stderr follow right after the answer.
  const nul = open("/dev/null", O_RDWR);
  dup2(nul, 0);
  const bound = bindServer(options.ip, options.ports);
  if (!("socket" in bound)) {
    writeAll(Deno.stdout, JSON.stringify({ error: bound.messages }) + "\n");
    return 1;
  }
  const key = Base64Key.generate(nativePlatform());
  writeAll(
    Deno.stdout,
    JSON.stringify({
      port: bound.port,
      key: key.toString(),
      pid: Deno.pid,
      messages: bound.messages,
    }) +
      "\n",
  );
  // Let go of the pipe to the first process (and of stderr unless -v).
  dup2(nul, 1);
  if (!options.verbose) dup2(nul, 2);
  const log = options.verbose ? (line: string) => console.error(line) : undefined;
  // As mosh tells of detached sessions in the new one's terminal, we do, with the way back in.
  // Asked after the answer: each session is asked on its socket, which start-up need not wait
  // for (a user with many sessions waited tens of milliseconds).
  const detached = await detachedSessionsNotice(Deno.pid);
  const preamble = (detached ? `${detached}\r\n` : "") + config.preamble;
  const { MoshServer } = await import("../server/server.ts");
  const server = new MoshServer({
    key,
    socket: bound.socket,
    family: bound.family,
    program: config.program,
    argv: config.argv,
    env: config.env,
    cwd: config.cwd,
    width: config.width,
    height: config.height,
    preamble: encoder.encode(preamble),
    networkTimeout: config.networkTimeout,
    signalTimeout: config.signalTimeout,
    log,
    verbose: options.verbose > 0,
    screenDump: config.screenDump,
    historyLimit: options.scrollback,
  });
  runningServer = server;
  // The transport's cipher holds its own key schedule now; the daemon's copy goes. (The
  // printed key sent to the first process is a string: it cannot be wiped, only dropped.)
  key.wipe();

  // Reattach (`mosh-server attach`): the session answers on its socket in the user's directory.
  // Without one (no writable directory, a bad mode), the session runs on, unattachable.
  const { startControl } = await import("../server/control.ts");
  const { openSessionDir } = await import("../io/session_dir.ts");
  let control: { close(): Promise<void> } | undefined;
  try {
    control = startControl(
      {
        info: () => server.info(),
        attach: (request) => Promise.resolve(server.attach(request)),
      },
      openSessionDir(),
      { log },
    );
  } catch (e) {
    log?.(`mosh-server: this session cannot be reattached: ${e instanceof Error ? e.message : e}`);
  }
  const code = await server.done;
  await control?.close();
  server.session.transport.destroy();
  console.log("\n[mosh-server is exiting.]");
  return code;
}

/** Runs mosh-server with `args` and returns its exit status. */
export async function moshServerMain(args: string[]): Promise<number> {
  // Errors that escape everything are logged; the daemon keeps its session running
  // (cli/unexpected.ts).
  installUnexpectedErrorHandlers(
    "mosh-server",
    args[0] === DAEMON_FLAG ? daemonPolicy(() => runningServer) : terminalPolicy("mosh-server"),
  );
  // First of all, as mosh: no core dump may hold the key (io/core_dumps.ts). The daemon
  // inherits 0 from the first process, which hands it the user's limit for the shell.
  let coreLimit: bigint;
  try {
    coreLimit = disableCoreDumps();
  } catch (e) {
    writeAll(Deno.stderr, `mosh-server: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
  if (args[0] === DAEMON_FLAG) return await runDaemon();
  if (args[0] === "list" || args[0] === "attach") {
    return await (await import("./session_command.ts")).sessionCommandMain(args);
  }
  return await runNew(args, coreLimit);
}

if (import.meta.main) Deno.exit(await moshServerMain(Deno.args));

/**
 * The session daemon of `mosh-server new` (see `cli/mosh_server.ts`): it reads its settings
 * from the first process on stdin, binds the port, makes the key, answers with both on stdout,
 * lets go of its stdio and serves the session.
 *
 * Only what answering needs is loaded before the answer (the static imports here): the first
 * process waits for it, and so does the user. The terminal emulator and the session's other
 * parts come after.
 *
 * @module
 */

import { bindServer } from "../server/bind.ts";
import { Base64Key } from "../core/crypto/key.ts";
import type { ServerOptions } from "./server_options.ts";
import { writeAll } from "./output.ts";
import { concatBytes } from "../core/bytes.ts";
import { newSession } from "../io/daemon.ts";
import { dup2, O_RDWR, open } from "../io/libc.ts";
import { daemonPolicy, type FaultTarget, installUnexpectedErrorHandlers } from "./unexpected.ts";
import { disableCoreDumps, setChildCoreLimit } from "../io/core_dumps.ts";

const encoder = new TextEncoder();

/** What the first process hands the daemon. */
export interface DaemonConfig {
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

/** All of standard input, read directly (the streams machinery costs milliseconds cold). */
function readStdin(): string {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (let n; (n = Deno.stdin.readSync(buffer)) !== null;) chunks.push(buffer.slice(0, n));
  return new TextDecoder().decode(concatBytes(chunks));
}

/** The daemon's main: the error handlers, core dumps off, then {@link runDaemon}. */
export async function daemonMain(): Promise<number> {
  // Errors that escape everything are logged; the daemon keeps its session running
  // (cli/unexpected.ts).
  let running: FaultTarget | undefined;
  installUnexpectedErrorHandlers("mosh-server", daemonPolicy(() => running));
  // As mosh: no core dump may hold the key (io/core_dumps.ts), and it is made below. The
  // shell gets the user's limit from the first process's settings.
  try {
    disableCoreDumps();
  } catch (e) {
    writeAll(Deno.stderr, `mosh-server: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
  return await runDaemon((server) => running = server);
}

/**
 * The daemon: binds, answers the first process, detaches, and serves the session.
 * @param serving hears of the running server, for the unexpected-error policy
 */
async function runDaemon(serving: (server: FaultTarget) => void): Promise<number> {
  // Ignore hangups, as mosh does: the ssh session that started us may end at any moment.
  Deno.addSignalListener("SIGHUP", () => {});
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
  // The runtime's CSPRNG, as nativePlatform's (io/platform.ts), which would load the cipher and
  // zlib modules before the answer.
  const key = Base64Key.generate({ random: (bytes) => crypto.getRandomValues(bytes) });
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
  serving(server);
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

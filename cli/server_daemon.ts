/**
 * The session daemon of `mosh-server new` (see `cli/mosh_server.ts`): started by the first
 * process in a session of its own (`cli/daemon_launch.ts`), it reads its settings and key on
 * stdin, takes the UDP socket the first process bound, and serves the session. Nobody waits
 * for it: the first process has printed MOSH CONNECT and gone, and the client's first
 * datagrams wait in the socket.
 *
 * @module
 */

import { Base64Key } from "../core/crypto/key.ts";
import type { ServerOptions } from "./server_options.ts";
import { writeAll } from "./output.ts";
import { concatBytes } from "../core/bytes.ts";
import { close, dup2, O_RDWR, open } from "../io/libc.ts";
import { adoptUdpSocket, ffiUdpNetwork } from "../io/udp_socket.ts";
import { DAEMON_SOCKET_FD } from "./daemon_launch.ts";
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

/** All the first process hands the daemon on its stdin. */
export interface DaemonSettings {
  config: DaemonConfig;
  /** The session key, as printed in MOSH CONNECT. */
  key: string;
  /** The family of the socket on fd {@link DAEMON_SOCKET_FD}. */
  family: "inet" | "inet6";
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
  // As mosh: no core dump may hold the key (io/core_dumps.ts), which comes next. The shell gets
  // the user's limit from the first process's settings.
  try {
    disableCoreDumps();
  } catch (e) {
    writeAll(Deno.stderr, `mosh-server: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
  return await runDaemon((server) => running = server);
}

/**
 * The daemon: takes its settings and socket, and serves the session.
 * @param serving hears of the running server, for the unexpected-error policy
 */
async function runDaemon(serving: (server: FaultTarget) => void): Promise<number> {
  // Ignore hangups, as mosh does: the ssh session that started us may end at any moment.
  Deno.addSignalListener("SIGHUP", () => {});
  const text = readStdin();
  if (!text) return 1; // the first process died before it gave us anything
  const settings: DaemonSettings = JSON.parse(text);
  const { config } = settings;
  const { options } = config;
  setChildCoreLimit(BigInt(config.coreLimit));
  // Stdin has given all it will.
  const nul = open("/dev/null", O_RDWR);
  dup2(nul, 0);
  close(nul);
  const socket = adoptUdpSocket(DAEMON_SOCKET_FD);
  const key = Base64Key.parse(settings.key);
  const log = options.verbose ? (line: string) => console.error(line) : undefined;
  // As mosh tells of detached sessions in the new one's terminal, we do, with the way back in.
  // Each session is asked on its socket; nobody waits for that but the new session's screen.
  const detached = await detachedSessionsNotice(Deno.pid);
  const preamble = (detached ? `${detached}\r\n` : "") + config.preamble;
  const [{ MoshServer }, { MainWait }, { startControl }, { openSessionDir }] = await Promise.all([
    import("../server/server.ts"),
    import("../io/main_wait.ts"),
    import("../server/control.ts"),
    import("../io/session_dir.ts"),
  ]);
  // From here the daemon waits in a poll of its own on the main thread (io/main_wait.ts): an
  // idle session then costs a fraction of what the event loop's wakes do. Everything it waits
  // for is started after this (what the runtime finishes by itself, as an import, would wait
  // for the loop's idle turns).
  const wait = new MainWait();
  wait.start();
  const server = new MoshServer({
    clock: wait.clock,
    network: ffiUdpNetwork, // a reattaching client's socket is waited on here too
    key,
    socket,
    family: settings.family,
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
  // printed key it came as is a string: it cannot be wiped, only dropped.)
  key.wipe();

  // Reattach (`mosh-server attach`): the session answers on its socket in the user's directory.
  // Without one (no writable directory, a bad mode), the session runs on, unattachable.
  let control: { close(): Promise<void> } | undefined;
  try {
    control = startControl(
      {
        info: () => server.info(),
        attach: (request) => Promise.resolve(server.attach(request)),
      },
      openSessionDir(),
      { log, clock: wait.clock },
    );
  } catch (e) {
    log?.(`mosh-server: this session cannot be reattached: ${e instanceof Error ? e.message : e}`);
  }
  const code = await server.done;
  await control?.close();
  wait.stop();
  server.session.transport.destroy();
  console.log("\n[mosh-server is exiting.]");
  return code;
}

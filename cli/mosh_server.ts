/**
 * `mosh-server`: `mosh-server new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS]
 * [-l NAME=VALUE] [-- COMMAND...]`.
 *
 * mosh forks after binding; a Deno process cannot fork, so this process starts its daemon as a
 * new process (the same program with `DAEMON_FLAG`, see `cli/daemon_launch.ts`) and talks to it
 * over pipes: it sends the settings on the daemon's stdin, and the daemon binds the port, makes
 * the key, answers with both on its stdout, starts a session of its own and lets go of its
 * stdio. Only then does this process print `MOSH CONNECT <port> <key>` and the detached
 * message, and exit; so the port is held before anyone is told of it, and the key never appears
 * in any process's arguments.
 *
 * Start-up is what a user waits for, and it is two runtime starts in a row: this process's, then
 * the daemon's. So this module, the entry, loads almost nothing, and for `new` it starts the
 * daemon first of all, before it loads the rest, installs its error handlers or parses the
 * options (unless they may ask for -v: `cli/daemon_launch.ts`); the daemon boots while this
 * process does all that (`cli/server_command.ts`, and `cli/server_new.ts` for `new`). The daemon's part is `cli/server_daemon.ts`; `mosh-server
 * list` and `mosh-server attach` are in `cli/session_command.ts`.
 *
 * @module
 */

import { DAEMON_FLAG, launchDaemon, mayAskForVerbose } from "./daemon_launch.ts";

/** Runs mosh-server with `args` and returns its exit status. */
export async function moshServerMain(args: string[]): Promise<number> {
  if (args[0] === DAEMON_FLAG) return await (await import("./server_daemon.ts")).daemonMain();
  // Anything but list and attach starts a session (or fails trying): the daemon starts now,
  // unless the options may ask for -v (cli/daemon_launch.ts); then `new` starts it once they
  // are read. It does nothing before it has its settings, and is killed unstarted when they
  // cannot be made (a bad option, --help).
  let daemon: Deno.ChildProcess | Error | null = null;
  if (args[0] !== "list" && args[0] !== "attach" && !mayAskForVerbose(args)) {
    try {
      daemon = launchDaemon(false);
    } catch (e) {
      daemon = e instanceof Error ? e : new Error(String(e));
    }
  }
  return await (await import("./server_command.ts")).serverCommandMain(args, daemon);
}

if (import.meta.main) Deno.exit(await moshServerMain(Deno.args));

/**
 * `mosh-server`: `mosh-server new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS]
 * [-l NAME=VALUE] [-- COMMAND...]`.
 *
 * mosh binds, prints MOSH CONNECT and forks its server into the background. A Deno process
 * cannot fork, so this process binds the port, makes the key, starts its daemon as a new
 * process (the same program with `DAEMON_FLAG`), hands it the socket and the key
 * (`cli/daemon_launch.ts`), prints `MOSH CONNECT <port> <key>` and the detached message, and
 * exits. The port is held before anyone is told of it, and the key never appears in any
 * process's arguments or environment.
 *
 * Start-up is what a user waits for, so this module, the entry, loads almost nothing itself:
 * the first process's part is `cli/server_command.ts` (and `cli/server_new.ts` for `new`), the
 * daemon's `cli/server_daemon.ts`; `mosh-server list` and `mosh-server attach` are in
 * `cli/session_command.ts`.
 *
 * @module
 */

import { DAEMON_FLAG } from "./daemon_launch.ts";

/** Runs mosh-server with `args` and returns its exit status. */
export async function moshServerMain(args: string[]): Promise<number> {
  if (args[0] === DAEMON_FLAG) return await (await import("./server_daemon.ts")).daemonMain();
  return await (await import("./server_command.ts")).serverCommandMain(args);
}

if (import.meta.main) Deno.exit(await moshServerMain(Deno.args));

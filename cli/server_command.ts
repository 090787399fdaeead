/**
 * mosh-server in the process the user started (`cli/mosh_server.ts` is the entry): the error
 * handlers, core dumps off, and the command: `new` (`cli/server_new.ts`), or `list` and
 * `attach` (`cli/session_command.ts`).
 *
 * @module
 */

import { writeAll } from "./output.ts";
import { disableCoreDumps } from "../io/core_dumps.ts";
import { installUnexpectedErrorHandlers, terminalPolicy } from "./unexpected.ts";
import { runNew, stopUnstarted } from "./server_new.ts";

/**
 * Runs `args` (all of mosh-server's arguments) and returns the exit status. `daemon` is the
 * daemon the entry started for `new` (or why it could not start), or null if it did not.
 */
export async function serverCommandMain(
  args: string[],
  daemon: Deno.ChildProcess | Error | null,
): Promise<number> {
  // Errors that escape everything are logged (cli/unexpected.ts).
  installUnexpectedErrorHandlers("mosh-server", terminalPolicy("mosh-server"));
  // As mosh: no core dump may hold the key (io/core_dumps.ts). This process sees the key in
  // the daemon's answer; the daemon turns its own off before it makes one. The user's limit
  // goes to the shell.
  let coreLimit: bigint;
  try {
    coreLimit = disableCoreDumps();
  } catch (e) {
    if (daemon instanceof Deno.ChildProcess) await stopUnstarted(daemon);
    writeAll(Deno.stderr, `mosh-server: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
  if (args[0] === "list" || args[0] === "attach") {
    return await (await import("./session_command.ts")).sessionCommandMain(args);
  }
  return await runNew(args, coreLimit, daemon);
}

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

/** Runs `args` (all of mosh-server's arguments) and returns the exit status. */
export async function serverCommandMain(args: string[]): Promise<number> {
  // Errors that escape everything are logged (cli/unexpected.ts).
  installUnexpectedErrorHandlers("mosh-server", terminalPolicy("mosh-server"));
  // As mosh: no core dump may hold the key (io/core_dumps.ts), which `new` makes here. The
  // user's limit goes to the shell.
  let coreLimit: bigint;
  try {
    coreLimit = disableCoreDumps();
  } catch (e) {
    writeAll(Deno.stderr, `mosh-server: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
  if (args[0] === "list" || args[0] === "attach") {
    return await (await import("./session_command.ts")).sessionCommandMain(args);
  }
  return (await import("./server_new.ts")).runNew(args, coreLimit);
}

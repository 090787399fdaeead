/**
 * Starting `mosh-server new`'s daemon: this program again, with {@link DAEMON_FLAG}. It waits
 * for its settings on stdin and answers on stdout (`cli/server_daemon.ts`).
 *
 * The daemon's stderr is the terminal's (the ssh session's) only with -v, as with mosh: the
 * runtime keeps a copy of the stderr it starts with, so a daemon that inherited it would hold
 * the ssh session open for its whole life, whatever it does with fd 2 later. So before the
 * options are parsed, {@link mayAskForVerbose} tells whether the daemon can start at once with
 * /dev/null for stderr.
 *
 * @module
 */

import { selfCommand } from "./self.ts";

/** The first argument that makes this program the daemon. */
export const DAEMON_FLAG = "--denomosh-server-daemon";

/** Starts the daemon; its stderr is ours when `verbose`, else /dev/null. */
export function launchDaemon(verbose: boolean): Deno.ChildProcess {
  const self = selfCommand("mosh-server", [DAEMON_FLAG]);
  return new Deno.Command(self.cmd, {
    args: self.args,
    stdin: "piped",
    stdout: "piped",
    stderr: verbose ? "inherit" : "null",
  }).spawn();
}

/**
 * Whether mosh-server's arguments might ask for -v: some argument before `--` is a cluster of
 * short options with a `v` in it. It may say yes when they do not (`-i -v`, where -v is the
 * address), never no when they do.
 */
export function mayAskForVerbose(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end))
    .some((a) => a.startsWith("-") && a[1] !== "-" && a.includes("v"));
}

/**
 * What `mosh-server new` and `mosh-server attach` print once a session has a port and a key,
 * byte for byte as mosh-server 1.4.0 prints it, so that mosh's own script and `cli/mosh.ts`
 * read both alike: on a terminal an empty line first ("\r\n\n"), then `MOSH CONNECT <port>
 * <key>` on stdout, then on stderr the banner and `[mosh-server detached, pid = <pid>]`.
 *
 * @module
 */

import { type SyncWriter, writeAll } from "./output.ts";
import { VERSION } from "./version.ts";

/** A session ready for a client. */
export interface ConnectDetails {
  port: number;
  key: string;
  /** The session daemon's pid. */
  pid: number;
}

/** Where the lines go, and whether stdin is a terminal. */
export interface ConnectOutput {
  stdout: SyncWriter;
  stderr: SyncWriter;
  stdinIsTerminal: boolean;
}

/** Prints the MOSH CONNECT line and the detached message. */
export function printConnect(
  details: ConnectDetails,
  out: ConnectOutput = {
    stdout: Deno.stdout,
    stderr: Deno.stderr,
    stdinIsTerminal: Deno.stdin.isTerminal(),
  },
): void {
  if (out.stdinIsTerminal) writeAll(out.stdout, "\r\n\n");
  writeAll(out.stdout, `MOSH CONNECT ${details.port} ${details.key}\n`);
  writeAll(
    out.stderr,
    `\nmosh-server (denomosh ${VERSION}) [compatible with mosh 1.4.0]\n` +
      "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>.\n" +
      "This is free software: you are free to change and redistribute it.\n" +
      "There is NO WARRANTY, to the extent permitted by law.\n\n" +
      `[mosh-server detached, pid = ${details.pid}]\n`,
  );
}

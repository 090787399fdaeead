/**
 * Starting `mosh-server new`'s daemon: this program again, with {@link DAEMON_FLAG}, in a
 * session of its own (as mosh's forked child runs after `setsid`), given what it serves:
 *
 * - fd 0: a pipe with its settings and key, as JSON (never in its arguments or environment);
 * - fd {@link DAEMON_SOCKET_FD}: the UDP socket this process bound and printed the port of;
 * - fd 1: /dev/null; fd 2: /dev/null, or the terminal's with -v, as with mosh.
 *
 * The first process binds, makes the key and prints MOSH CONNECT itself, so the user waits for
 * one runtime start, not two: the daemon's boots after the first process has exited, while
 * datagrams from the client wait in the socket's queue. Its stdio is set at the spawn because
 * the runtime keeps a copy of the stderr a process starts with: a daemon that inherited the
 * terminal's would hold the ssh session open for its whole life.
 *
 * @module
 */

import { selfCommand } from "./self.ts";
import { close, duplicateAbove, O_RDWR, pipe, spawn, writeSome } from "../io/libc.ts";

/** The first argument that makes this program the daemon. */
export const DAEMON_FLAG = "--denomosh-server-daemon";

/** The daemon's fd of the session's UDP socket. */
export const DAEMON_SOCKET_FD = 3;

/**
 * Lowest fd number for the copies the spawn's file actions start from: above every fd the
 * actions write (0-3), so that no action overwrites the source of a later one.
 */
const ABOVE_TARGETS = 10;

/**
 * Starts the daemon with the UDP socket `socketFd` and `settings` on its stdin.
 * @param verbose whether the daemon's stderr is ours (-v)
 * @returns its pid
 * @throws SystemError when it cannot be started; Error when it ended before it took its settings
 */
export function startDaemon(socketFd: number, verbose: boolean, settings: string): number {
  const self = selfCommand("mosh-server", [DAEMON_FLAG]);
  const channel = pipe();
  const socket = duplicateAbove(socketFd, ABOVE_TARGETS);
  let input: number | undefined;
  let pid: number;
  try {
    input = duplicateAbove(channel.read, ABOVE_TARGETS);
    pid = spawn({
      file: self.cmd,
      argv: [self.cmd, ...self.args],
      env: { ...Deno.env.toObject(), ...self.env },
      actions: [
        { kind: "dup2", from: input, to: 0 },
        { kind: "open", fd: 1, path: "/dev/null", flags: O_RDWR },
        ...(verbose ? [] : [{ kind: "open" as const, fd: 2, path: "/dev/null", flags: O_RDWR }]),
        { kind: "dup2", from: socket, to: DAEMON_SOCKET_FD },
        { kind: "closefrom", lowFd: DAEMON_SOCKET_FD + 1 },
      ],
      setsid: true,
    });
  } finally {
    for (const fd of [channel.read, socket, input]) if (fd !== undefined) close(fd);
  }
  try {
    // A pipe holds 64 KiB: beyond that this waits for the daemon to read (it reads at once).
    const bytes = new TextEncoder().encode(settings);
    for (let offset = 0; offset < bytes.length;) {
      const n = writeSome(channel.write, bytes.subarray(offset));
      if (n < 0) throw new Error("the server process ended before it took its settings");
      offset += n;
    }
  } finally {
    close(channel.write);
  }
  return pid;
}

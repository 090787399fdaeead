/**
 * What the three programs do with an error that escapes everything (an exception thrown in a
 * callback, a rejected promise nobody awaited): it always goes to the log the user can find
 * (io/crash_log.ts), and then each program's policy decides:
 *
 * - `mosh` and the first `mosh-server new` process, which have a terminal and end soon anyway:
 *   say where the log is, then Deno's default (print the error, exit 1);
 * - mosh-server's daemon: keep the session running and tell the server (its `fault` shuts the
 *   session down cleanly and tells the client); before the server exists, exit;
 * - mosh-client: end at once with the terminal restored ({@link clientPolicy}).
 *
 * @module
 */

import { logUnexpected } from "../io/crash_log.ts";
import { tryWrite } from "./output.ts";

/** Keep running (the error was handled) or let Deno print it and exit with status 1. */
export type Decision = "continue" | "exit";

/** A program's answer to an unexpected error, after it was logged at `logPath` (or not). */
export type UnexpectedPolicy = (error: unknown, logPath: string | null) => Decision;

/** A note for stderr naming the log, or nothing when it could not be written. */
export function logNote(program: string, logPath: string | null): string {
  return logPath === null ? "" : `${program}: the details of this error are in ${logPath}\n`;
}

/**
 * Listens for uncaught errors and unhandled rejections for the rest of the process: each is
 * logged as `program`'s, then `policy` decides. A policy that throws is logged too, and the
 * process exits.
 */
export function installUnexpectedErrorHandlers(program: string, policy: UnexpectedPolicy): void {
  const handle = (event: Event, error: unknown) => {
    const logPath = logUnexpected(program, error);
    let decision: Decision = "exit";
    try {
      decision = policy(error, logPath);
    } catch (e) {
      logUnexpected(program, e);
    }
    if (decision === "continue") event.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", (e) => handle(e, e.reason));
  globalThis.addEventListener("error", (e) => handle(e, e.error));
}

/** `mosh` and `mosh-server new`: name the log on stderr, then exit as Deno does. */
export function terminalPolicy(program: string): UnexpectedPolicy {
  return (_error, logPath) => {
    tryWrite(Deno.stderr, logNote(program, logPath));
    return "exit";
  };
}

/** What the daemon policy needs of the running server. */
export interface FaultTarget {
  /** Logs, shows and ends the session with the client told (server/server.ts). */
  fault(error: unknown): void;
}

/**
 * mosh-server's daemon: once `getServer()` has a server, keep running and hand it the error
 * (it shuts the session down cleanly and tells the client); before that, exit.
 */
export function daemonPolicy(getServer: () => FaultTarget | undefined): UnexpectedPolicy {
  return (error) => {
    const server = getServer();
    if (server === undefined) return "exit";
    server.fault(error);
    return "continue";
  };
}

/** What the client policy needs of the running client. */
export interface AbortTarget {
  /** Ends the session at once with the terminal restored. */
  abort(error: unknown): void;
}

/**
 * mosh-client: abort the running client (which restores the terminal and says "Error: ..."),
 * and report the log path through `onLogged`; before the client exists, exit.
 */
export function clientPolicy(
  getClient: () => AbortTarget | undefined,
  onLogged: (logPath: string | null) => void,
): UnexpectedPolicy {
  return (error, logPath) => {
    const client = getClient();
    if (client === undefined) {
      tryWrite(Deno.stderr, logNote("mosh-client", logPath));
      return "exit";
    }
    onLogged(logPath);
    client.abort(error);
    return "continue";
  };
}

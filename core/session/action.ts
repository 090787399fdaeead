/**
 * What a session asks of its I/O shell. A session (`ServerSession`, `ClientSession`) never
 * touches a socket, a terminal, a process or the clock: each event it is given ends with a
 * list of these, which the shell carries out in order, and a time at which to call it again.
 *
 * @module
 */

import type { Address } from "../network/connection.ts";

/** A sealed datagram to send. */
export interface SendAction {
  readonly type: "send";
  /**
   * The local socket to send from: the client's current port; on the server, the socket of
   * the connection (0, then a new one for each reattach).
   */
  readonly socket: number;
  readonly to: Address;
  readonly data: Uint8Array;
}

/** A line for the log (mosh-server's `-v` output, or a fault). */
export interface LogAction {
  readonly type: "log";
  readonly line: string;
}

/** What mosh-server's session asks of its shell. */
export type ServerAction =
  | SendAction
  | LogAction
  /** Start the application on a pty of this size (first contact from a client). */
  | { readonly type: "start"; readonly width: number; readonly height: number }
  /** Bytes for the application, as typed input (keystrokes, and the emulator's answers). */
  | { readonly type: "input"; readonly bytes: Uint8Array }
  /** The window size changed: TIOCSWINSZ on the pty. */
  | { readonly type: "resize"; readonly width: number; readonly height: number }
  /** The client is now reached at this address (utmp follows it). */
  | { readonly type: "peer"; readonly address: Address }
  /** A socket of a connection that ended (a reattached session's old one) may be closed. */
  | { readonly type: "close"; readonly socket: number }
  /** The session is over: close the socket and the pty (the application gets SIGHUP). */
  | { readonly type: "exit"; readonly code: number };

/** What mosh-client's session asks of its shell. */
export type ClientAction =
  | SendAction
  | LogAction
  /** Text for the user's terminal. */
  | { readonly type: "write"; readonly text: string }
  /** Put the user's terminal in raw mode, or give it back. */
  | { readonly type: "raw"; readonly on: boolean }
  /** The terminal has been given back: stop this process group (Ctrl-^ Ctrl-Z). */
  | { readonly type: "suspend" }
  /** The session is over; the terminal has been given back. */
  | { readonly type: "exit"; readonly clean: boolean; readonly message?: string };

/**
 * What `mosh` reads from the ssh session that starts the server, as mosh 1.4.0's Perl wrapper
 * reads it: `MOSH IP <ip>` (from our ProxyCommand), `MOSH SSH_CONNECTION <4 words>` (from
 * `--experimental-remote-ip=remote`), `MOSH CONNECT <port> <key>` (from mosh-server), and any
 * other line, which is shown to the user. The patterns, the messages and the order of the
 * checks are mosh's; tests/cli/bootstrap_line_test.ts holds them to what Debian's `mosh` did
 * with the same lines.
 *
 * Whitespace here is ASCII whitespace, as for Perl's `\s` on the byte strings mosh reads.
 *
 * @module
 */

/** One line, classified. */
export type BootstrapLine =
  | { readonly kind: "ip"; readonly ip: string }
  | { readonly kind: "ssh-connection"; readonly ip: string }
  | { readonly kind: "connect"; readonly port: string; readonly key: string }
  /**
   * `MOSH CHOOSE <pid>...`, ours: `mosh-server attach` found several detached sessions and
   * needs the user to pick one (docs/sessions.md).
   */
  | { readonly kind: "choose"; readonly pids: readonly number[] }
  /** A line that starts like one of ours but is malformed: mosh dies with `message`. */
  | { readonly kind: "bad"; readonly message: string }
  /** Anything else: shown to the user. */
  | { readonly kind: "text" };

const IP = /^MOSH IP ([^ \t\n\v\f\r]+)[ \t\n\v\f\r]*$/;
const CONNECT = /^MOSH CONNECT ([0-9]+?) ([A-Za-z0-9/+]{22})[ \t\n\v\f\r]*$/;
const SPACE = /[ \t\n\v\f\r]+/;

/**
 * Classifies one line (without its newline).
 *
 * @example
 * ```ts
 * import { parseBootstrapLine } from "./bootstrap_line.ts";
 *
 * const line = parseBootstrapLine("MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw");
 * if (line.kind !== "connect" || line.port !== "60001") throw new Error(line.kind);
 * if (parseBootstrapLine("Last login: today").kind !== "text") throw new Error();
 * ```
 */
export function parseBootstrapLine(line: string): BootstrapLine {
  if (line.startsWith("MOSH IP ")) {
    const m = IP.exec(line);
    return m ? { kind: "ip", ip: m[1] } : { kind: "bad", message: `Bad MOSH IP string: ${line}` };
  }
  if (line.startsWith("MOSH SSH_CONNECTION ")) {
    // Perl's `split` without arguments: on runs of whitespace, none leading or trailing.
    const words = line.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, "").split(SPACE);
    return words.length === 6
      ? { kind: "ssh-connection", ip: words[4] }
      : { kind: "bad", message: `Bad MOSH SSH_CONNECTION string: ${line}` };
  }
  if (line.startsWith("MOSH CHOOSE ")) {
    const words = line.slice("MOSH CHOOSE ".length).trim().split(SPACE);
    return words.every((w) => /^[1-9][0-9]{0,9}$/.test(w))
      ? { kind: "choose", pids: words.map(Number) }
      : { kind: "bad", message: `Bad MOSH CHOOSE string: ${line}` };
  }
  if (line.startsWith("MOSH CONNECT ")) {
    const m = CONNECT.exec(line);
    return m
      ? { kind: "connect", port: m[1], key: m[2] }
      : { kind: "bad", message: `Bad MOSH CONNECT string: ${line}` };
  }
  return { kind: "text" };
}

/** How the bootstrap ended: the server's address, port and key, or why there are none. */
export type BootstrapOutcome =
  & {
    /** mosh's warning when it falls back to the address in `$SSH_CONNECTION`. */
    readonly warning?: string;
  }
  & (
    | { readonly ip: string; readonly port: string; readonly key: string }
    | {
      /** mosh's message, without its newline. */
      readonly error: string;
      /**
       * `bad-line`: a malformed line of ours; `no-ip`: no address was learnt; `port-range`: the
       * server refused a port range (mosh-server before 1.2.5); `no-connect`: no MOSH CONNECT.
       */
      readonly reason: "bad-line" | "no-ip" | "port-range" | "no-connect";
    }
  );

/** Options of a {@link BootstrapReader}. */
export interface BootstrapReaderOptions {
  /** The program's name for messages (mosh's `$0`). */
  argv0: string;
  /** `[user@]host` as ssh got it, for the message about `$SSH_CONNECTION`. */
  userhost: string;
  /** The server's address if already known (`--experimental-remote-ip=local`, `--local`). */
  ip?: string;
  /** `--local`: a `MOSH IP` line replaces the known address instead of being an error. */
  local?: boolean;
  /** The `--port` request: a range that the server rejects gets mosh's own message. */
  portRequest?: string;
}

/**
 * Reads the lines of a bootstrap in order, as mosh's loop does: the first malformed line ends
 * it (mosh dies there), and so does `MOSH CONNECT`; lines after either are not shown.
 *
 * @example
 * ```ts
 * import { BootstrapReader } from "./bootstrap_line.ts";
 *
 * const reader = new BootstrapReader({ argv0: "mosh", userhost: "host" });
 * const shown = [
 *   "MOSH IP 192.0.2.1",
 *   "Welcome!",
 *   "MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw",
 * ].map((line) => reader.take(line));
 * const end = reader.finish();
 * if (shown[1] !== "Welcome!" || !("key" in end) || end.ip !== "192.0.2.1") throw new Error();
 * ```
 */
export class BootstrapReader {
  readonly #o: BootstrapReaderOptions;
  #ip: string | undefined;
  #sshIp: string | undefined;
  #port: string | undefined;
  #key: string | undefined;
  #fatal: string | undefined;
  #badRange = false;
  #choices: readonly number[] = [];

  constructor(options: BootstrapReaderOptions) {
    this.#o = options;
    this.#ip = options.ip;
  }

  /** Whether the reading is over (MOSH CONNECT or a malformed line); later lines are ignored. */
  get done(): boolean {
    return this.#key !== undefined || this.#fatal !== undefined;
  }

  /** Whether MOSH CONNECT was read. */
  get connected(): boolean {
    return this.#key !== undefined;
  }

  /** The sessions `mosh-server attach` asked the user to choose from (MOSH CHOOSE), if any. */
  get choices(): readonly number[] {
    return this.#choices;
  }

  /**
   * Takes one line (without its newline).
   * @returns the line if it is to be shown to the user, else null
   */
  take(line: string): string | null {
    if (this.done) return null;
    // mosh refuses a second address before it looks at the line's form.
    if (line.startsWith("MOSH IP ") && this.#ip !== undefined && !this.#o.local) {
      this.#fatal = `${this.#o.argv0} error: detected attempt to redefine MOSH IP.`;
      return null;
    }
    const parsed = parseBootstrapLine(line);
    switch (parsed.kind) {
      case "ip":
        this.#ip = parsed.ip;
        return null;
      case "bad":
        this.#fatal = parsed.message;
        return null;
      case "ssh-connection":
        this.#sshIp = parsed.ip;
        return null;
      case "connect":
        [this.#port, this.#key] = [parsed.port, parsed.key];
        return null;
      case "choose":
        this.#choices = parsed.pids;
        return null;
      case "text":
        if (this.#o.portRequest?.includes(":") && /Bad UDP port/.test(line)) this.#badRange = true;
        return line;
    }
  }

  /** The outcome, in mosh's order of checks, once the ssh session has ended. */
  finish(): BootstrapOutcome {
    const argv0 = this.#o.argv0;
    if (this.#fatal !== undefined) return { error: this.#fatal, reason: "bad-line" };
    let ip = this.#ip, warning: string | undefined;
    if (ip === undefined) {
      if (this.#sshIp === undefined) {
        return {
          error: `${argv0}: Did not find remote IP address (is SSH ProxyCommand disabled?).`,
          reason: "no-ip",
        };
      }
      warning = `${argv0}: Using remote IP address ${this.#sshIp} from $SSH_CONNECTION ` +
        `for hostname ${this.#o.userhost}`;
      ip = this.#sshIp;
    }
    if (this.#port === undefined || this.#key === undefined) {
      const range = this.#badRange;
      return {
        ...(warning && { warning }),
        error: range
          ? `${argv0}: Server does not support UDP port range option.`
          : `${argv0}: Did not find mosh server startup message. ` +
            "(Have you installed mosh on your server?)",
        reason: range ? "port-range" : "no-connect",
      };
    }
    return { ...(warning && { warning }), ip, port: this.#port, key: this.#key };
  }
}

/**
 * The session's utmp record, as mosh-server keeps it through libutempter: `who` lists the
 * pty with "mosh [PID]" as its host while no client has been heard, and "ADDRESS via mosh
 * [PID]" once one has, updated when the client roams; the record goes when the session ends.
 *
 * libutempter (Debian: libutempter0, `libutempter.so.0`) writes utmp through a small setgid
 * helper, since utmp is not writable by users. It is bound through FFI when it is installed
 * and loads; without it, or when a call fails (no utmp file, for instance), the session goes on
 * without a record, silently, as mosh built without it does.
 *
 * Deviation from mosh: mosh also turns the record back to "mosh [PID]" after 30 s without the
 * client; here it changes only with the client's address and at the end.
 *
 * @module
 */

const LIBRARY = "libutempter.so.0";

const SYMBOLS = {
  utempter_add_record: { parameters: ["i32", "buffer"], result: "i32" },
  utempter_remove_record: { parameters: ["i32"], result: "i32" },
} as const;

type Utempter = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Utempter | null | undefined;

/** libutempter's functions, or null when it is not installed or cannot be loaded. */
function utempter(): Utempter | null {
  if (library !== undefined) return library;
  try {
    library = Deno.dlopen(LIBRARY, SYMBOLS).symbols;
  } catch {
    library = null; // not installed, or FFI refused: no utmp record, as mosh without it
  }
  return library;
}

/** The host part of an address as the transport spells it: "[::1]:60001" is "::1". */
export function hostOf(address: string): string {
  const colon = address.lastIndexOf(":");
  const host = colon === -1 ? address : address.slice(0, colon);
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** One session's utmp record (see the module doc). */
export class SessionUtmp {
  readonly #pid: number;
  readonly #lib: Utempter | null;
  #fd = -1;
  #client: string | undefined;

  /**
   * @param pid the server's pid, named in the record
   * @param lib libutempter; null turns every method into nothing (tests pass it)
   */
  constructor(pid: number = Deno.pid, lib: Utempter | null = utempter()) {
    this.#pid = pid;
    this.#lib = lib;
  }

  /** Whether libutempter is there to keep a record. */
  get available(): boolean {
    return this.#lib !== null;
  }

  /** What the record says as its host now; undefined when there is none. */
  get host(): string | undefined {
    if (this.#fd === -1) return undefined;
    return this.#client === undefined
      ? `mosh [${this.#pid}]`
      : `${hostOf(this.#client)} via mosh [${this.#pid}]`;
  }

  /**
   * Adds the record for the pty whose master is `masterFd` (the application has started).
   * @returns whether libutempter wrote it
   */
  start(masterFd: number): boolean {
    if (this.#lib === null || this.#fd !== -1) return false;
    this.#fd = masterFd;
    return this.#write();
  }

  /**
   * The client's address after a new client state; a change rewrites the record.
   * @returns whether the record was rewritten
   */
  clientAddress(address: string | undefined): boolean {
    if (address === this.#client) return false;
    this.#client = address;
    if (this.#lib === null || this.#fd === -1) return false;
    this.#lib.utempter_remove_record(this.#fd);
    return this.#write();
  }

  /** Removes the record (before the pty closes); idempotent. */
  end(): void {
    if (this.#lib === null || this.#fd === -1) return;
    this.#lib.utempter_remove_record(this.#fd);
    this.#fd = -1;
  }

  #write(): boolean {
    const host = new TextEncoder().encode(`${this.host}\0`);
    return this.#lib!.utempter_add_record(this.#fd, host) === 1;
  }
}

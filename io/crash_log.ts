/**
 * The log of unexpected errors: a file the user can find, `denomosh.log` in the state
 * directory (`$XDG_STATE_HOME/denomosh/`, else `~/.local/state/denomosh/`), where each program
 * appends the time, its name and pid, and the error's stack when something escapes every
 * handler. The daemon has no terminal (its stderr is /dev/null), so without this file its bugs
 * would leave no trace.
 *
 * The directory is created with mode 0700 and the file with 0600 (both only narrowed by the
 * umask): a stack may quote what was on the screen. The file stays under {@link MAX_LOG_BYTES}:
 * when an entry would pass it, the file becomes `denomosh.log.1` (replacing the older one) and
 * a new one starts, so at most twice that is kept.
 *
 * Writing the log never throws: it runs when something has already gone wrong, and a full disk
 * or a read-only home must not make it worse. {@link logUnexpected} says whether it wrote.
 *
 * @module
 */

/** The log file's name in the state directory. */
export const LOG_NAME = "denomosh.log";
/** Past this size the log is rotated (see the module doc). */
export const MAX_LOG_BYTES = 1 << 20;

/** Where the log goes, from the environment; null without XDG_STATE_HOME or HOME. */
export function crashLogPath(
  env: Record<string, string | undefined> = safeEnv(),
): string | null {
  const state = env.XDG_STATE_HOME?.startsWith("/")
    ? env.XDG_STATE_HOME
    : env.HOME
    ? `${env.HOME}/.local/state`
    : null;
  return state === null ? null : `${state}/denomosh/${LOG_NAME}`;
}

function safeEnv(): Record<string, string | undefined> {
  try {
    return { XDG_STATE_HOME: Deno.env.get("XDG_STATE_HOME"), HOME: Deno.env.get("HOME") };
  } catch {
    return {};
  }
}

/** The text of an error for the log: its stack (which starts with its message) or itself. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const text = error.stack ?? `${error.name}: ${error.message}`;
    return error.cause === undefined ? text : `${text}\nCaused by: ${describeError(error.cause)}`;
  }
  try {
    return `Thrown value (not an Error): ${
      typeof error === "string" ? error : Deno.inspect(error)
    }`;
  } catch {
    return "Thrown value (not an Error) that cannot be shown";
  }
}

/** Options of {@link logUnexpected}; tests pass their own. */
export interface LogOptions {
  /** The log file; by default {@link crashLogPath}. */
  path?: string | null;
  /** The rotation size; by default {@link MAX_LOG_BYTES}. */
  maxBytes?: number;
  /** The clock. */
  now?: () => Date;
}

/**
 * Appends an entry for `error`: `TIME PROGRAM[PID]: ` and the stack, its later lines indented.
 * Never throws.
 * @param program "mosh", "mosh-server" or "mosh-client"
 * @returns the path written to, or null when it could not be written
 */
export function logUnexpected(
  program: string,
  error: unknown,
  options: LogOptions = {},
): string | null {
  try {
    const path = options.path === undefined ? crashLogPath() : options.path;
    if (path === null) return null;
    const time = (options.now ?? (() => new Date()))().toISOString();
    const entry = `${time} ${program}[${Deno.pid}]: ` +
      describeError(error).replaceAll("\n", "\n    ") + "\n";
    const bytes = new TextEncoder().encode(entry);
    const dir = path.slice(0, path.lastIndexOf("/"));
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    rotateIfFull(path, bytes.length, options.maxBytes ?? MAX_LOG_BYTES);
    const file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    try {
      for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
    } finally {
      file.close();
    }
    return path;
  } catch {
    return null; // nowhere to write: the caller still reports the error its own way
  }
}

function rotateIfFull(path: string, adding: number, maxBytes: number): void {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch {
    return; // no log yet
  }
  if (size > 0 && size + adding > maxBytes) Deno.renameSync(path, `${path}.1`);
}

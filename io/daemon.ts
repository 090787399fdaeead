/**
 * What mosh-server asks of the system for its daemon besides its pty (which
 * `cli/daemon_launch.ts` starts in a session of its own): the user's login shell and home from
 * the password database, whether a locale is UTF-8 (docs/protocol.md §13.1), and the size of a
 * terminal.
 *
 * @module
 */

import {
  checkReturned,
  cString,
  cStringAt,
  fixedBytes,
  getWindowSize,
  type WindowSize,
} from "./libc.ts";

export type { WindowSize } from "./libc.ts";

const ERANGE = 34;

// struct passwd on 64-bit glibc: name, passwd, uid and gid, gecos, dir, shell.
const PASSWD_BYTES = 48;
const PW_NAME = 0;
const PW_DIR = 32;
const PW_SHELL = 40;

/** glibc's locale categories by environment variable name, with their numbers. */
const LOCALE_CATEGORIES = {
  LC_CTYPE: 0,
  LC_NUMERIC: 1,
  LC_TIME: 2,
  LC_COLLATE: 3,
  LC_MONETARY: 4,
  LC_MESSAGES: 5,
  LC_PAPER: 7,
  LC_NAME: 8,
  LC_ADDRESS: 9,
  LC_TELEPHONE: 10,
  LC_MEASUREMENT: 11,
  LC_IDENTIFICATION: 12,
} as const;

/** nl_langinfo item: the character set of LC_CTYPE. */
const CODESET = 14;

const DAEMON_SYMBOLS = {
  getuid: { parameters: [], result: "u32" },
  getpwuid_r: { parameters: ["u32", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  newlocale: { parameters: ["i32", "buffer", "pointer"], result: "pointer" },
  freelocale: { parameters: ["pointer"], result: "void" },
  nl_langinfo_l: { parameters: ["i32", "pointer"], result: "pointer" },
} as const;

let opened: Deno.DynamicLibrary<typeof DAEMON_SYMBOLS>["symbols"] | undefined;

/** These few symbols of libc, opened on first use (libc.ts holds the rest). */
function libc(): Deno.DynamicLibrary<typeof DAEMON_SYMBOLS>["symbols"] {
  return opened ??= Deno.dlopen("libc.so.6", DAEMON_SYMBOLS).symbols;
}

/** The current user as the password database knows them. */
export interface UserInfo {
  /** Login name. */
  name: string;
  /** Home directory. */
  home: string;
  /** Login shell; may be empty (mosh then uses /bin/sh). */
  shell: string;
}

/** The password database's entry for this process's user (getpwuid_r), or null if none. */
export function userInfo(): UserInfo | null {
  const l = libc();
  const uid = l.getuid();
  const pwd = fixedBytes(PASSWD_BYTES);
  const result = new BigUint64Array(new ArrayBuffer(8));
  for (let size = 1024;; size *= 2) {
    const strings = fixedBytes(size);
    const err = l.getpwuid_r(uid, pwd, strings, BigInt(size), result);
    if (err === ERANGE && size < 1 << 20) continue;
    checkReturned(err, "getpwuid_r", `uid ${uid}`);
    if (result[0] === 0n) return null;
    const view = new DataView(pwd.buffer);
    const field = (offset: number): string =>
      cStringAt(Deno.UnsafePointer.create(view.getBigUint64(offset, true))) ?? "";
    return { name: field(PW_NAME), home: field(PW_DIR), shell: field(PW_SHELL) };
  }
}

/** An environment's locale variables; unset and empty are the same. */
export type LocaleEnv = Record<string, string | undefined>;

type Category = keyof typeof LOCALE_CATEGORIES;

/**
 * The variable that decides a locale category under glibc's `setlocale(LC_ALL, "")`:
 * LC_ALL, else the category's own variable, else LANG (the first that is set and not empty);
 * null when none is, which means "C". mosh names it in its diagnostics.
 */
export function localeVariable(
  env: LocaleEnv,
  category: Category = "LC_CTYPE",
): { name: string; value: string } | null {
  for (const name of ["LC_ALL", category, "LANG"]) {
    const value = env[name];
    if (value) return { name, value };
  }
  return null;
}

/**
 * The character set that `setlocale(LC_ALL, "")` followed by `nl_langinfo(CODESET)` would
 * give in a process with environment `env`, e.g. "UTF-8" or "ANSI_X3.4-1968"; null when
 * setlocale would fail because glibc has no locale by one of the names (then the process stays
 * in the "C" locale, whose charset is "ANSI_X3.4-1968").
 *
 * mosh calls setlocale in its own process after changing its environment. This asks the same
 * question of newlocale instead, one category at a time with the name setlocale would pick, so
 * neither this process's locale nor its environment changes: both are process-wide, and
 * setenv can race with other threads of the runtime reading the environment.
 */
export function localeCharset(env: LocaleEnv): string | null {
  const l = libc();
  let locale: Deno.PointerValue = null;
  for (const [name, category] of Object.entries(LOCALE_CATEGORIES)) {
    const value = localeVariable(env, name as Category)?.value ?? "C";
    // On success newlocale reuses or frees `locale`; on failure it leaves it to us.
    const next = l.newlocale(1 << category, cString(value, "locale name"), locale);
    if (next === null) {
      if (locale !== null) l.freelocale(locale);
      return null;
    }
    locale = next;
  }
  try {
    return cStringAt(l.nl_langinfo_l(CODESET, locale));
  } finally {
    l.freelocale(locale);
  }
}

/** Whether `env` selects a UTF-8 locale, by mosh's test ("UTF-8" or "utf-8" exactly). */
export function isUtf8Locale(env: LocaleEnv): boolean {
  const charset = localeCharset(env);
  return charset === "UTF-8" || charset === "utf-8";
}

/**
 * Why changing directory to `path` fails, in the system's words ("No such file or directory",
 * "Not a directory", "Permission denied"), or null when it works. It is tried for real: this
 * process changes to `path` and back (it is the short-lived first mosh-server process, which
 * runs nothing else meanwhile), so every rule of chdir(2) applies, search permissions included.
 */
export function chdirError(path: string): string | null {
  let previous: string | undefined;
  try {
    previous = Deno.cwd();
  } catch {
    // Our own directory is gone: nothing to come back to.
  }
  try {
    Deno.chdir(path);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return /^(.*?) \(os error \d+\)/.exec(message)?.[1] ?? message;
  }
  if (previous !== undefined) Deno.chdir(previous);
  return null;
}

/** The size of the terminal on `fd` (TIOCGWINSZ); null when `fd` is not a terminal. */
export function windowSize(fd: number): WindowSize | null {
  return getWindowSize(fd);
}

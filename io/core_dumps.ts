/**
 * Core dumps off, as mosh does (`Crypto::disable_dumping_core` in mosh's crypto.cc): both
 * programs set their RLIMIT_CORE soft limit to 0 first thing, so a crash never writes the
 * session key, the screen or the keystrokes to disk. The hard limit is left alone, so the soft
 * one can be raised again.
 *
 * The shell the server starts gets the user's own limit back (mosh's child calls
 * `reenable_dumping_core` between fork and exec). posix_spawn cannot run code in the child,
 * so {@link withChildCoreLimit} raises this process's soft limit to the user's for the
 * duration of the spawn call alone and lowers it again right after; the child inherits the
 * limit in force at the moment it is created. Why this and not the alternatives:
 *
 * - `prlimit(child, ...)` after the spawn races the child: the shell may already have forked
 *   its startup commands with the limit still at 0, and an exited or reused pid could be hit.
 * - a wrapper (`sh -c 'ulimit -c N; exec "$@"'`, the `prlimit` program) adds an exec, depends
 *   on another program, and cannot set argv[0] to "-bash" for a login shell.
 * - raising around the call leaves one window, the spawn itself (a vfork and an exec, well
 *   under a millisecond), in which a crash of this process could dump core. Only this process's
 *   own threads run then, and the calling one is suspended in vfork.
 *
 * mosh-server's daemon is a separate process started by the first one (a Deno process cannot
 * fork), so it inherits the limit of 0; the first process hands it the user's original limit
 * (cli/mosh_server.ts), and the daemon declares it with {@link setChildCoreLimit}.
 *
 * @module
 */

import { getResourceLimit, RLIMIT_CORE, setResourceLimit } from "./libc.ts";

/** The soft limit to give children; undefined until {@link disableCoreDumps} runs. */
let childLimit: bigint | undefined;

/**
 * Sets this process's RLIMIT_CORE soft limit to 0, remembering the one in force before as the
 * limit for children.
 * @returns that previous soft limit (RLIM_INFINITY for "unlimited")
 * @throws SystemError if getrlimit or setrlimit fails (mosh exits then)
 */
export function disableCoreDumps(): bigint {
  const limit = getResourceLimit(RLIMIT_CORE);
  childLimit ??= limit.soft;
  if (limit.soft !== 0n) setResourceLimit(RLIMIT_CORE, { soft: 0n, hard: limit.hard });
  return limit.soft;
}

/** Declares the user's own soft limit, for children started by {@link withChildCoreLimit}. */
export function setChildCoreLimit(soft: bigint): void {
  childLimit = soft;
}

/**
 * Runs `spawn` with the RLIMIT_CORE soft limit at the user's own (the limit before
 * {@link disableCoreDumps}, never above the hard limit), and sets it back to 0 afterwards,
 * even when `spawn` throws. Without an earlier {@link disableCoreDumps} it just runs `spawn`.
 */
export function withChildCoreLimit<T>(spawn: () => T): T {
  if (childLimit === undefined || childLimit === 0n) return spawn();
  const { hard } = getResourceLimit(RLIMIT_CORE);
  const soft = childLimit < hard ? childLimit : hard;
  setResourceLimit(RLIMIT_CORE, { soft, hard });
  try {
    return spawn();
  } finally {
    setResourceLimit(RLIMIT_CORE, { soft: 0n, hard });
  }
}

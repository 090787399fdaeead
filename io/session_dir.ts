/**
 * The per-user directory where each mosh-server session daemon listens on a Unix socket, for
 * `mosh-server list` and `mosh-server attach` (see `server/control.ts`).
 *
 * Where: `$XDG_RUNTIME_DIR/denomosh/` when XDG_RUNTIME_DIR is set to an absolute path (a
 * per-user tmpfs that pam_systemd gives every ssh login), else `$HOME/.local/state/denomosh/`
 * (HOME from the environment, else the password database). The two must agree between the
 * login that starts a session and the one that attaches; on one host they do, since both are
 * ssh logins. What is in the directory:
 *
 * - `<pid>.sock`: the socket of the session daemon with that pid, listening.
 * - `<pid>.sock.tmp`: the same socket while the daemon sets it up.
 *
 * The directory is made 0700 and used only if it is a real directory (not a symlink) owned by
 * this uid with mode exactly 0700: anything else means someone else could plant or reach
 * sockets there, and we stop with an error that says what is wrong instead of repairing it.
 *
 * Stale sockets. A daemon that dies (SIGKILL, a crash) leaves its file behind. Whoever scans
 * the directory ({@link sessionSockets}) removes `<pid>.sock` when the pid is not a live
 * process of this uid, or when no socket listens under its name (the pid was reused by another
 * program); `/proc/net/unix` lists every listening socket with the path it was bound to. The
 * race with a daemon that is starting is avoided by the names: a daemon binds and listens on
 * `<pid>.sock.tmp` and only then renames it to `<pid>.sock` (rename replaces atomically), so a
 * `<pid>.sock` never exists before someone listens on it, and a scan never judges a
 * `<pid>.sock.tmp` whose pid is alive. A scan reads the directory first and the listening
 * sockets after, so a socket it saw under the final name is among them if it still listens.
 * The listener is found under the name it was bound to, the `.tmp` one, which the kernel keeps
 * after the rename. A removal checks that the file is still the one judged (same inode); what
 * remains is a pid reused by a new daemon within the microseconds between that check and the
 * unlink.
 *
 * Limits: a directory serves one pid namespace and one network namespace (the pid in a name
 * and `/proc/net/unix` are read in ours). Socket paths have at most 107 bytes; a HOME so long
 * that they would not fit is refused, with a hint to set XDG_RUNTIME_DIR.
 *
 * @module
 */

import { userInfo } from "./daemon.ts";
import { MAX_SOCKET_PATH_BYTES, UnixListener } from "./unix_socket.ts";

/** The directory's name inside XDG_RUNTIME_DIR. */
export const SESSION_DIR_NAME = "denomosh";
/** The directory inside HOME when XDG_RUNTIME_DIR is not set. */
export const FALLBACK_SESSION_DIR = ".local/state/denomosh";
/** Flags of a listening socket in /proc/net/unix (__SO_ACCEPTCON). */
const ACCEPTING = 0x10000;
/** The longest name a socket gets: the largest Linux pid (2^22) and the temporary suffix. */
const LONGEST_NAME = "4194304.sock.tmp";

/** The session directory cannot be used: why, and what to do. */
export class SessionDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionDirError";
  }
}

/** The variables that decide where the directory is. */
export interface SessionDirEnv {
  XDG_RUNTIME_DIR?: string;
  HOME?: string;
}

/** Where the session directory is for `env` (it may not exist). */
export function sessionDirPath(env: SessionDirEnv): string {
  const runtime = env.XDG_RUNTIME_DIR;
  // The XDG spec: a relative path in one of its variables is invalid and to be ignored.
  if (runtime && runtime.startsWith("/")) {
    return `${runtime.replace(/\/+$/, "")}/${SESSION_DIR_NAME}`;
  }
  const home = env.HOME || userInfo()?.home;
  if (!home) {
    throw new SessionDirError(
      "Cannot find the session directory: neither XDG_RUNTIME_DIR nor HOME is set, " +
        "and this user has no home directory in the password database",
    );
  }
  return `${home.replace(/\/+$/, "")}/${FALLBACK_SESSION_DIR}`;
}

/**
 * Refuses `path` unless it is a directory (not a symlink) owned by `uid` with mode 0700.
 * @throws SessionDirError saying what is wrong; Deno.errors.NotFound when it does not exist
 */
export function checkSessionDir(path: string, uid: number = Deno.uid()!): void {
  const st = Deno.lstatSync(path);
  const fix = `remove it or fix it (mkdir -m 700 ${path}) and try again`;
  if (st.isSymlink) throw new SessionDirError(`Refusing ${path}: it is a symbolic link; ${fix}`);
  if (!st.isDirectory) throw new SessionDirError(`Refusing ${path}: it is not a directory; ${fix}`);
  if (st.uid !== uid) {
    throw new SessionDirError(
      `Refusing ${path}: it belongs to uid ${st.uid}, not to you (uid ${uid}); ${fix}`,
    );
  }
  const mode = (st.mode ?? 0) & 0o777;
  if (mode !== 0o700) {
    throw new SessionDirError(
      `Refusing ${path}: its mode is ${mode.toString(8).padStart(4, "0")}, not 0700 ` +
        `(others could reach the sessions in it); ${fix}`,
    );
  }
  const longest = new TextEncoder().encode(`${path}/${LONGEST_NAME}`).length;
  if (longest > MAX_SOCKET_PATH_BYTES) {
    throw new SessionDirError(
      `The session directory ${path} is too long for Unix sockets (${longest} of at most ` +
        `${MAX_SOCKET_PATH_BYTES} bytes); set XDG_RUNTIME_DIR to a shorter directory of yours`,
    );
  }
}

/**
 * The session directory for `env`, made (0700, with its missing parents) if absent, checked.
 * A session daemon calls this before it listens.
 * @throws SessionDirError when it cannot be made or is not safe to use
 */
export function openSessionDir(env: SessionDirEnv = Deno.env.toObject()): string {
  const path = sessionDirPath(env);
  try {
    Deno.lstatSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw cannotUse(path, e);
    try {
      Deno.mkdirSync(path, { recursive: true, mode: 0o700 });
      Deno.chmodSync(path, 0o700); // whatever the umask took away
    } catch (e) {
      throw cannotUse(path, e);
    }
  }
  checkSessionDir(path);
  return path;
}

/**
 * The session directory for `env` if it exists, checked; null if it does not (then there are
 * no sessions). `mosh-server list` and `attach` use this: they make nothing.
 * @throws SessionDirError when it exists but is not safe to use, or cannot be looked at
 */
export function findSessionDir(env: SessionDirEnv = Deno.env.toObject()): string | null {
  const path = sessionDirPath(env);
  try {
    checkSessionDir(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (e instanceof SessionDirError) throw e;
    throw cannotUse(path, e);
  }
  return path;
}

function cannotUse(path: string, e: unknown): SessionDirError {
  return new SessionDirError(
    `Cannot use the session directory ${path}: ${e instanceof Error ? e.message : e}`,
  );
}

/** The socket of the session daemon with pid `pid` in `dir`. */
export function sessionSocketPath(dir: string, pid: number): string {
  return `${dir}/${pid}.sock`;
}

/** The name a daemon binds to before it renames it (see the module doc). */
function bindingPath(dir: string, pid: number): string {
  return `${dir}/${pid}.sock.tmp`;
}

/** A daemon's listening socket in the session directory. */
export interface SessionListener {
  /** The listening socket. */
  readonly listener: UnixListener;
  /** Its path, `<dir>/<pid>.sock`. */
  readonly path: string;
  /** Stops listening and removes the socket file if it is still this one. */
  close(): void;
}

/**
 * Listens on `<dir>/<pid>.sock` for this process: binds `<pid>.sock.tmp`, listens, renames.
 * `dir` must have passed {@link checkSessionDir}.
 * @throws SystemError or a Deno error when the socket cannot be made or renamed
 */
export function listenSession(dir: string): SessionListener {
  const pid = Deno.pid;
  const binding = bindingPath(dir, pid);
  const path = sessionSocketPath(dir, pid);
  removeIfPresent(binding); // left by an earlier process with our pid: ours by name
  const listener = UnixListener.listen(binding);
  let ino: number | null;
  try {
    Deno.renameSync(binding, path);
    ino = Deno.lstatSync(path).ino;
  } catch (e) {
    listener.close();
    removeIfPresent(binding);
    throw e;
  }
  return {
    listener,
    path,
    close() {
      listener.close();
      removeIfSame(path, ino);
    },
  };
}

/** A session socket found in the directory. */
export interface SessionSocket {
  /** The pid of the daemon, from the name. */
  pid: number;
  /** The socket's path. */
  path: string;
}

/**
 * The live-looking session sockets in `dir`, by pid; stale ones are removed on the way (see
 * the module doc). `log` hears of each removal. `readListening` reads the listening sockets
 * ({@link listeningPaths}); tests pass one that lets a daemon finish setting up right then.
 */
export function sessionSockets(
  dir: string,
  log?: (line: string) => void,
  readListening: () => Set<string> | null = listeningPaths,
): SessionSocket[] {
  const uid = Deno.uid()!;
  // The files first, the listening sockets after (see the module doc): the other way round, a
  // daemon that finished setting up in between was judged stale and lost its socket.
  const seen: { pid: number; path: string; temporary: boolean; ino: number | null }[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const m = /^([1-9]\d{0,9})\.sock(\.tmp)?$/.exec(entry.name);
    if (!m) continue;
    const path = `${dir}/${entry.name}`;
    try {
      seen.push({
        pid: Number(m[1]),
        path,
        temporary: m[2] !== undefined,
        ino: Deno.lstatSync(path).ino,
      });
    } catch {
      continue; // removed meanwhile
    }
  }
  const listening = readListening();
  const found: SessionSocket[] = [];
  for (const { pid, path, temporary, ino } of seen) {
    let stale: string | null = null;
    if (!processOfUser(pid, uid)) stale = `process ${pid} is gone`;
    else if (!temporary && listening !== null && !listening.has(bindingPath(dir, pid))) {
      stale = `process ${pid} does not listen on it`;
    }
    if (stale !== null) {
      if (removeIfSame(path, ino)) log?.(`removed the stale session socket ${path}: ${stale}`);
    } else if (!temporary) found.push({ pid, path });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/**
 * Whether `pid` is a running process (not a zombie) whose real uid is `uid`, from
 * `/proc/<pid>/status`.
 */
export function processOfUser(pid: number, uid: number): boolean {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return false;
  }
  const state = /^State:\s*(\S)/m.exec(status)?.[1];
  const realUid = /^Uid:\s*(\d+)/m.exec(status)?.[1];
  return state !== undefined && state !== "Z" && state !== "X" && Number(realUid) === uid;
}

/**
 * The paths of every listening Unix stream socket, as bound, from `/proc/net/unix`; null when
 * it cannot be read (then nothing is judged stale by it).
 */
export function listeningPaths(): Set<string> | null {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/net/unix");
  } catch {
    return null;
  }
  const paths = new Set<string>();
  // "Num: RefCount Protocol Flags Type St Inode Path"; the path is the rest of the line.
  for (const line of text.split("\n").slice(1)) {
    const m = /^\S+:\s+\S+\s+\S+\s+([0-9A-Fa-f]+)\s+0001\s+\S+\s+\d+\s(.+)$/.exec(line);
    if (m && (parseInt(m[1], 16) & ACCEPTING) !== 0) paths.add(m[2]);
  }
  return paths;
}

function removeIfPresent(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Removes `path` if it is still the file with inode `ino`; whether it did. */
function removeIfSame(path: string, ino: number | null): boolean {
  try {
    if (Deno.lstatSync(path).ino !== ino) return false;
    Deno.removeSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * The few libc calls that a pseudo-terminal and mosh-server's daemon need and Deno does not
 * offer: posix_openpt and friends, terminal ioctls and attributes, posix_spawn with a new
 * session, waitpid, kill, pipes, dup2, poll and resource limits. Each wrapper is typed and throws a
 * {@link SystemError} carrying errno and its `strerror` text. `daemon.ts` binds the password
 * database and locale lookups the same way, with these helpers.
 *
 * Each symbol is bound on its first use and stays bound for the life of the process (it is
 * libc: closing it would gain nothing), so unlike `io/aes.ts` nothing here needs a
 * FinalizationRegistry. Structures are plain byte buffers laid out as glibc on 64-bit Linux
 * (x86_64 and aarch64 agree on every layout used here); sizes and offsets are named below.
 *
 * **errno decides nothing.** Reading errno takes a second FFI call (`__errno_location`) after
 * the one that failed, and between the two the runtime may run code of its own on the same
 * thread (its allocator, the garbage collector, signal bookkeeping) that sets errno again: a
 * busy machine showed `ioctl(TIOCGWINSZ)` on /dev/null "failing with ENOENT" instead of ENOTTY
 * about once in 30 starts. Calls declared `nonblocking` run on a worker thread whose errno we
 * cannot see at all. So every decision here is taken from a return value alone:
 *
 * - ask first where a question exists: `isatty` before TIOCGWINSZ;
 * - after a non-blocking read or write returns -1, a `poll` with timeout 0 on the same fd
 *   says what the state is (nothing ready, hung up, or an error) in its `revents`;
 * - prefer functions that return their error code: posix_spawn and its helpers,
 *   `ptsname_r`, `getpwuid_r`.
 *
 * errno is still read, but only to word the message of a {@link SystemError} (so the text can,
 * rarely, name the wrong cause); no code may branch on `SystemError.errno` or `.code` of an
 * error built that way, only on errors from functions that return their code.
 *
 * Every function here needs `--allow-ffi`.
 *
 * @module
 */

/** `open`/`posix_openpt` flags (Linux). */
export const O_RDWR = 0o2;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const F_DUPFD_CLOEXEC = 1030;

/** poll(2) event bits. */
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
const POLLNVAL = 0x20;

/** socket(2) type flags, and send(2)'s flag for no SIGPIPE (a closed peer gives EPIPE). */
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_NOSIGNAL = 0x4000;

/** {@link readSome} and {@link writeSome}: nothing can be read or written now. */
export const NOT_READY = -1;
/** {@link writeSome}: the other side has hung up (a pty whose slave no process holds). */
export const HUNG_UP = -2;
/** Times a read or write is tried again while poll says the fd is ready but the call fails. */
const READY_RETRIES = 3;

/** errno names by number, from 1 (Linux generic numbering). */
const ERRNO_NAMES = (
  "EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT " +
  "ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG " +
  "ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP"
).split(" ");

/** Linux signal names by number, from 1 (x86_64 and aarch64). */
const SIGNAL_NAMES = (
  "SIGHUP SIGINT SIGQUIT SIGILL SIGTRAP SIGABRT SIGBUS SIGFPE SIGKILL SIGUSR1 SIGSEGV SIGUSR2 " +
  "SIGPIPE SIGALRM SIGTERM SIGSTKFLT SIGCHLD SIGCONT SIGSTOP SIGTSTP SIGTTIN SIGTTOU SIGURG " +
  "SIGXCPU SIGXFSZ SIGVTALRM SIGPROF SIGWINCH SIGIO SIGPWR SIGSYS"
).split(" ");

/** A signal by Linux number or by name, as `Deno.kill` names them. */
export type SignalSpec = number | Deno.Signal;

/** The Linux number of a signal given by name or number. */
export function signalNumber(signal: SignalSpec): number {
  const n = typeof signal === "number" ? signal : SIGNAL_NAMES.indexOf(signal) + 1;
  if (!Number.isInteger(n) || n <= 0 || n > 64) {
    throw new TypeError(
      `Expected a Linux signal name such as "SIGTERM" or a number, got ${signal}`,
    );
  }
  return n;
}

// ioctl requests and termios (Linux, asm-generic).
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const TCSANOW = 0;
/** `c_iflag` bit: the line discipline treats input as UTF-8 when erasing characters. */
const IUTF8 = 0o40000;
/** sizeof(struct termios) is 60; `c_iflag` is its first field. */
const TERMIOS_BYTES = 64;
/** struct winsize: four unsigned shorts, rows first. */
const WINSIZE_BYTES = 8;

// posix_spawn (glibc). The opaque types are 336 and 80 bytes; the buffers leave room.
const SPAWNATTR_BYTES = 512;
const FILE_ACTIONS_BYTES = 128;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** sizeof(sigset_t) in glibc: 1024 bits, of which the kernel uses the first 64. */
const SIGSET_BYTES = 128;

/** getrlimit/setrlimit resource: the largest core file (Linux). */
export const RLIMIT_CORE = 4;
/** No limit: rlim_t's largest value. */
export const RLIM_INFINITY = (1n << 64n) - 1n;

const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const WNOHANG = 1;

const LIBC_SYMBOLS = {
  strerror: { parameters: ["i32"], result: "pointer" },
  posix_openpt: { parameters: ["i32"], result: "i32" },
  grantpt: { parameters: ["i32"], result: "i32" },
  unlockpt: { parameters: ["i32"], result: "i32" },
  ptsname_r: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  // ioctl and open are variadic: called with fixed integer and pointer arguments, which
  // x86_64 and aarch64 Linux pass in the same registers either way.
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  tcgetattr: { parameters: ["i32", "buffer"], result: "i32" },
  tcsetattr: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  // glibc 2.34+; without it the child relies on every other fd being close-on-exec.
  posix_spawn_file_actions_addclosefrom_np: {
    parameters: ["buffer", "i32"],
    result: "i32",
    optional: true,
  },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  posix_spawnp: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  // A GNU extension: execve with the PATH search of execvp (in this process's PATH).
  execvpe: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  sigprocmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  poll_now: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  isatty: { parameters: ["i32"], result: "i32" },
  getpid: { parameters: [], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  waitpid_blocking: {
    name: "waitpid",
    parameters: ["i32", "buffer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  kill: { parameters: ["i32", "i32"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  getenv: { parameters: ["buffer"], result: "pointer" },
  strlen: { parameters: ["pointer"], result: "usize" },
  explicit_bzero: { parameters: ["pointer", "usize"], result: "void" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

/**
 * libc with each symbol bound on its first use. Binding all of them at once cost 8-15 ms of
 * mosh-server's start-up (each binding builds its call trampoline), where the first process
 * needs one symbol (ioctl) and the daemon three before it answers.
 *
 * `__errno_location` is bound with the first other symbol, before any call: binding it later,
 * between a failing call and the read of its errno, would put a dlopen in between.
 */
export function lazyLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] {
  const lazy = {} as Deno.DynamicLibrary<S>["symbols"];
  for (const name of Object.keys(symbols) as (keyof S & string)[]) {
    Object.defineProperty(lazy, name, {
      configurable: true,
      get() {
        void errnoLocation();
        const one = { [name]: symbols[name] } as Pick<S, typeof name>;
        const symbol = Deno.dlopen("libc.so.6", one).symbols[name];
        Object.defineProperty(lazy, name, { value: symbol });
        return symbol;
      },
    });
  }
  return lazy;
}

const libcSymbols = lazyLibc(LIBC_SYMBOLS);

function libc(): Libc {
  return libcSymbols;
}

let errnoSymbol: (() => Deno.PointerValue) | undefined;

/** `__errno_location`, bound once, before any other symbol (see {@link lazyLibc}). */
function errnoLocation(): () => Deno.PointerValue {
  return errnoSymbol ??= Deno.dlopen("libc.so.6", {
    __errno_location: { parameters: [], result: "pointer" },
  }).symbols.__errno_location;
}

/** A failed libc call: what was attempted, errno, and the system's text for it. */
export class SystemError extends Error {
  /** The errno value. */
  readonly errno: number;
  /** Its symbolic name, e.g. "ENOENT" (or "errno N" for rare ones). */
  readonly code: string;
  /** The libc function that failed. */
  readonly syscall: string;
  /** The system's text for the error (strerror), e.g. "Address already in use". */
  readonly text: string;

  /**
   * @param syscall the libc function
   * @param errno the error number it reported
   * @param subject what it was applied to, for the message (a path, a pid, an fd)
   */
  constructor(syscall: string, errno: number, subject?: string) {
    const code = ERRNO_NAMES[errno - 1] ?? `errno ${errno}`;
    const text = errnoText(errno);
    super(`${syscall}${subject === undefined ? "" : ` ${subject}`} failed: ${text} (${code})`);
    this.name = "SystemError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.text = text;
  }
}

/**
 * The calling thread's errno, for the text of an error message only: it may already have been
 * overwritten by the runtime since the call that failed (see the module doc).
 */
export function errno(): number {
  return new Deno.UnsafePointerView(errnoLocation()()!).getInt32();
}

function errnoText(n: number): string {
  const p = libc().strerror(n);
  return p === null ? `error ${n}` : Deno.UnsafePointerView.getCString(p);
}

/**
 * Throws a SystemError when `result` is -1, else returns it. The decision is the -1 alone;
 * errno only words the message.
 */
export function check(result: number, syscall: string, subject?: string | number): number {
  if (result === -1) throw new SystemError(syscall, errno(), subject?.toString());
  return result;
}

/** Throws when a function that returns an error number (posix_spawn*, *_r) returned one. */
export function checkReturned(err: number, syscall: string, subject?: string): void {
  if (err !== 0) throw new SystemError(syscall, err, subject);
}

/** A buffer that V8 never moves: small typed arrays may live on its heap, ArrayBuffers not. */
export function fixedBytes(length: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(length));
}

const encoder = new TextEncoder();

/** `s` as a NUL-terminated UTF-8 C string. */
export function cString(s: string, what = "string"): Uint8Array<ArrayBuffer> {
  if (s.includes("\0")) throw new TypeError(`A ${what} must not contain NUL: ${JSON.stringify(s)}`);
  const bytes = encoder.encode(s);
  const out = fixedBytes(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** A NULL-terminated `char *[]`; keep `strings` reachable while the array is in use. */
function cStringArray(items: string[], what: string): {
  array: BigUint64Array<ArrayBuffer>;
  strings: Uint8Array[];
} {
  const strings = items.map((s) => cString(s, what));
  const array = new BigUint64Array(new ArrayBuffer(8 * (strings.length + 1)));
  strings.forEach((s, i) => (array[i] = Deno.UnsafePointer.value(Deno.UnsafePointer.of(s))));
  return { array, strings };
}

/** The C string at `p`, or null for a null pointer. */
export function cStringAt(p: Deno.PointerValue): string | null {
  return p === null ? null : Deno.UnsafePointerView.getCString(p);
}

// ---- pseudo-terminals and terminal attributes ----

/** Opens a pty master (`posix_openpt`), grants and unlocks its slave; returns both. */
export function openPtyMaster(flags: number): { fd: number; slavePath: string } {
  const l = libc();
  const fd = check(l.posix_openpt(flags), "posix_openpt");
  try {
    check(l.grantpt(fd), "grantpt", fd);
    check(l.unlockpt(fd), "unlockpt", fd);
    const name = fixedBytes(128);
    checkReturned(l.ptsname_r(fd, name, BigInt(name.length)), "ptsname_r", `fd ${fd}`);
    return { fd, slavePath: new TextDecoder().decode(name.subarray(0, name.indexOf(0))) };
  } catch (e) {
    l.close(fd);
    throw e;
  }
}

/** A terminal's size in character cells. */
export interface WindowSize {
  cols: number;
  rows: number;
}

/**
 * Sets a terminal's size (TIOCSWINSZ). On a pty master it applies to the slave, and the
 * kernel sends SIGWINCH to the slave's foreground process group when the size changes.
 */
export function setWindowSize(fd: number, size: WindowSize): void {
  for (const [k, v] of Object.entries(size)) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
      throw new RangeError(`Window ${k} must be an integer from 0 to 65535, got ${v}`);
    }
  }
  const ws = fixedBytes(WINSIZE_BYTES);
  new Uint16Array(ws.buffer).set([size.rows, size.cols, 0, 0]);
  check(libc().ioctl(fd, BigInt(TIOCSWINSZ), ws), "ioctl(TIOCSWINSZ)", `fd ${fd}`);
}

/** Whether `fd` is an open terminal (isatty). */
export function isTerminal(fd: number): boolean {
  return libc().isatty(fd) === 1;
}

/**
 * A terminal's size (TIOCGWINSZ), or null when `fd` is not a terminal (asked of isatty first,
 * not read from errno after the ioctl: see the module doc).
 * @throws SystemError when `fd` is a terminal and the ioctl fails anyway
 */
export function getWindowSize(fd: number): WindowSize | null {
  if (!isTerminal(fd)) return null;
  const ws = fixedBytes(WINSIZE_BYTES);
  check(libc().ioctl(fd, BigInt(TIOCGWINSZ), ws), "ioctl(TIOCGWINSZ)", `fd ${fd}`);
  const [rows, cols] = new Uint16Array(ws.buffer);
  return { cols, rows };
}

/** Sets IUTF8 on a terminal so that erase (backspace) removes whole UTF-8 characters. */
export function setIutf8(fd: number): void {
  const l = libc();
  const t = fixedBytes(TERMIOS_BYTES);
  check(l.tcgetattr(fd, t), "tcgetattr", `fd ${fd}`);
  const view = new DataView(t.buffer);
  view.setUint32(0, view.getUint32(0, true) | IUTF8, true);
  check(l.tcsetattr(fd, TCSANOW, t), "tcsetattr", `fd ${fd}`);
}

// ---- processes ----

/** One step the child takes between fork and exec, in order. */
export type FileAction =
  | { kind: "open"; fd: number; path: string; flags: number }
  | { kind: "dup2"; from: number; to: number }
  | { kind: "closefrom"; lowFd: number }
  | { kind: "chdir"; path: string };

/** What {@link spawn} runs, and how. */
export interface SpawnOptions {
  /** A path, or a bare name looked up in this process's PATH (posix_spawnp). */
  file: string;
  /** The child's argv, argv[0] included. */
  argv: string[];
  /** The child's whole environment. */
  env: Record<string, string>;
  /** Done in the child, in order, before exec. */
  actions: FileAction[];
  /** Make the child a session leader (POSIX_SPAWN_SETSID), before the actions run. */
  setsid: boolean;
}

/** A sigset_t with the given signals. Linux: bit n-1 of little-endian 64-bit words. */
function sigset(signals: number[]): Uint8Array<ArrayBuffer> {
  const set = fixedBytes(SIGSET_BYTES);
  const words = new BigUint64Array(set.buffer);
  for (const s of signals) words[(s - 1) >> 6] |= 1n << BigInt((s - 1) & 63);
  return set;
}

/**
 * Every signal that can have a disposition: all of 1-64 but SIGKILL and SIGSTOP. This includes
 * glibc's internal 32 and 33, which its posix_spawn otherwise leaves ignored in the child.
 */
const RESETTABLE_SIGNALS = Array.from({ length: 64 }, (_, i) => i + 1).filter(
  (s) => s !== signalNumber("SIGKILL") && s !== signalNumber("SIGSTOP"),
);

/**
 * Starts a process with posix_spawn(p) and returns its pid. The child starts with every
 * signal at its default disposition, as after fork and exec from a fresh shell (SIGPIPE is
 * ignored in every Deno process and a daemon may ignore SIGHUP; ignored dispositions would
 * survive exec), and with an empty signal mask.
 *
 * glibc's child runs setsid first, then the file actions in order, then exec; it reports a
 * failed action or exec as posix_spawn's result, which this throws (ENOENT for a missing
 * program or working directory).
 */
export function spawn(options: SpawnOptions): number {
  const l = libc();
  const argv = cStringArray(options.argv, "command-line argument");
  const envp = environment(options.env);
  const file = cString(options.file, "program path");
  const attr = fixedBytes(SPAWNATTR_BYTES);
  const actions = fixedBytes(FILE_ACTIONS_BYTES);
  checkReturned(l.posix_spawnattr_init(attr), "posix_spawnattr_init");
  try {
    checkReturned(l.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
    try {
      const flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
        (options.setsid ? POSIX_SPAWN_SETSID : 0);
      checkReturned(l.posix_spawnattr_setflags(attr, flags), "posix_spawnattr_setflags");
      checkReturned(
        l.posix_spawnattr_setsigdefault(attr, sigset(RESETTABLE_SIGNALS)),
        "posix_spawnattr_setsigdefault",
      );
      checkReturned(l.posix_spawnattr_setsigmask(attr, sigset([])), "posix_spawnattr_setsigmask");
      for (const a of options.actions) addFileAction(l, actions, a);
      const pid = new Int32Array(new ArrayBuffer(4));
      const [call, name] = options.file.includes("/")
        ? [l.posix_spawn, "posix_spawn"]
        : [l.posix_spawnp, "posix_spawnp"];
      const err = call(pid, file, actions, attr, argv.array, envp.array);
      checkReturned(err, name, JSON.stringify(options.file));
      return pid[0];
    } finally {
      // The strings argv and envp point into must stay reachable until the call returns.
      argv.strings.length = envp.strings.length = 0;
      l.posix_spawn_file_actions_destroy(actions);
    }
  } finally {
    l.posix_spawnattr_destroy(attr);
  }
}

/** `env` as a C array of "NAME=value" strings; throws TypeError for a name C cannot carry. */
function environment(env: Record<string, string>): ReturnType<typeof cStringArray> {
  for (const key of Object.keys(env)) {
    if (key === "" || key.includes("=")) {
      throw new TypeError(`An environment variable name must be non-empty without "=": ${key}`);
    }
  }
  return cStringArray(Object.entries(env).map(([k, v]) => `${k}=${v}`), "environment entry");
}

const SIG_SETMASK = 2;
/** signal(2)'s SIG_DFL. */
const SIG_DFL = null;

/**
 * Replaces this process with `file` (a path, or a bare name looked up in this process's PATH)
 * run with `argv` and the whole environment `env`, as mosh's `mosh` script hands the terminal
 * to mosh-client: the program that waited for its child, a whole runtime for the session's
 * length, is gone. The new program starts as from a fresh exec: SIGPIPE at its default (every
 * Deno process ignores it, and an ignored signal stays ignored across exec) and an empty
 * signal mask; this process's other threads end with it, and only fds without close-on-exec
 * (stdin, stdout and stderr here) pass on.
 * @throws SystemError when exec fails (this process goes on as it was)
 */
export function exec(file: string, argv: string[], env: Record<string, string>): never {
  const l = libc();
  const args = cStringArray(argv, "command-line argument");
  const envp = environment(env);
  const path = cString(file, "program path");
  const sigpipe = signalNumber("SIGPIPE");
  const mask = fixedBytes(SIGSET_BYTES);
  check(l.sigprocmask(SIG_SETMASK, sigset([]), mask), "sigprocmask");
  const sigpipeBefore = l.signal(sigpipe, SIG_DFL);
  try {
    (file.includes("/") ? l.execve : l.execvpe)(path, args.array, envp.array);
    throw new SystemError("execve", errno(), JSON.stringify(file)); // errno: only for the message
  } finally {
    // Still this program: as it was.
    l.signal(sigpipe, sigpipeBefore);
    l.sigprocmask(SIG_SETMASK, mask, null);
    args.strings.length = envp.strings.length = 0; // what the arrays point into lives until here
  }
}

function addFileAction(l: Libc, actions: Uint8Array, a: FileAction): void {
  // glibc copies the paths it is given, so they need not outlive these calls.
  switch (a.kind) {
    case "open":
      return checkReturned(
        l.posix_spawn_file_actions_addopen(actions, a.fd, cString(a.path, "path"), a.flags, 0),
        "posix_spawn_file_actions_addopen",
        a.path,
      );
    case "dup2":
      return checkReturned(
        l.posix_spawn_file_actions_adddup2(actions, a.from, a.to),
        "posix_spawn_file_actions_adddup2",
      );
    case "closefrom": {
      const closefrom = l.posix_spawn_file_actions_addclosefrom_np;
      if (closefrom === null) return; // Older glibc: rely on close-on-exec.
      return checkReturned(closefrom(actions, a.lowFd), "posix_spawn_file_actions_addclosefrom_np");
    }
    case "chdir":
      return checkReturned(
        l.posix_spawn_file_actions_addchdir_np(actions, cString(a.path, "directory")),
        "posix_spawn_file_actions_addchdir_np",
        a.path,
      );
  }
}

/** How a child ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: number | null;
}

function decodeWaitStatus(status: number): ExitStatus {
  const low = status & 0x7f;
  return low === 0 ? { code: (status >> 8) & 0xff, signal: null } : { code: null, signal: low };
}

/**
 * Reaps `pid` if it has ended (waitpid WNOHANG); null while it runs. WNOHANG never sleeps, so
 * it cannot be interrupted: -1 means `pid` is not a child to wait for (already reaped, or
 * never ours), and throws.
 */
export function tryWaitPid(pid: number): ExitStatus | null {
  const status = new Int32Array(new ArrayBuffer(4));
  const r = check(libc().waitpid(pid, status, WNOHANG), "waitpid", `pid ${pid}`);
  return r === pid ? decodeWaitStatus(status[0]) : null;
}

/**
 * Waits for `pid` to end and reaps it. The blocking waitpid runs on a worker thread; when it
 * fails (a signal interrupted it, or the child was already reaped) its errno is out of reach,
 * so a synchronous WNOHANG call tells the cases apart.
 */
export async function waitPid(pid: number): Promise<ExitStatus> {
  const status = new Int32Array(new ArrayBuffer(4));
  for (;;) {
    if (await libc().waitpid_blocking(pid, status, 0) === pid) return decodeWaitStatus(status[0]);
    const now = tryWaitPid(pid);
    if (now) return now;
  }
}

/** Sends `signal` to a process (or, for a negative pid, to a process group). */
export function kill(pid: number, signal: SignalSpec): void {
  check(libc().kill(pid, signalNumber(signal)), "kill", `pid ${pid}`);
}

/** A resource limit: the soft limit in force and the hard ceiling it may be raised to. */
export interface ResourceLimit {
  soft: bigint;
  hard: bigint;
}

/** This process's limit on `resource` (getrlimit). */
export function getResourceLimit(resource: number): ResourceLimit {
  const buf = new BigUint64Array(new ArrayBuffer(16)); // struct rlimit { rlim_cur, rlim_max }
  check(libc().getrlimit(resource, new Uint8Array(buf.buffer)), "getrlimit", limitName(resource));
  return { soft: buf[0], hard: buf[1] };
}

/** Sets this process's limit on `resource` (setrlimit); children inherit it. */
export function setResourceLimit(resource: number, limit: ResourceLimit): void {
  const buf = new BigUint64Array(new ArrayBuffer(16));
  buf[0] = limit.soft;
  buf[1] = limit.hard;
  check(libc().setrlimit(resource, new Uint8Array(buf.buffer)), "setrlimit", limitName(resource));
}

function limitName(resource: number): string {
  return resource === RLIMIT_CORE ? "RLIMIT_CORE" : `resource ${resource}`;
}

// ---- the environment ----

/**
 * Overwrites the value of the environment variable `name` with NUL bytes where it lies, if it
 * is set. The variables a program starts with are copied by the kernel to the top of its
 * stack, and /proc/PID/environ shows that copy to every process of the same user, even after
 * unsetenv (which only unlinks it from `environ`). Call `Deno.env.delete(name)` right after.
 * Another thread reading the variable in between would see it empty.
 */
export function wipeEnvironmentValue(name: string): void {
  const l = libc();
  const value = l.getenv(cString(name, "variable name"));
  if (value !== null) l.explicit_bzero(value, l.strlen(value));
}

// ---- file descriptors ----

/** Opens a path with open(2) flags; returns the fd. */
export function open(path: string, flags: number): number {
  return check(libc().open(cString(path, "path"), flags, 0), "open", path);
}

/** A close-on-exec pipe: its read end and its write end. */
export function pipe(): { read: number; write: number } {
  const fds = new Int32Array(new ArrayBuffer(8));
  check(libc().pipe2(fds, O_CLOEXEC), "pipe2");
  return { read: fds[0], write: fds[1] };
}

/** A close-on-exec copy of `fd` numbered `lowest` or above. */
export function duplicateAbove(fd: number, lowest: number): number {
  return check(libc().fcntl(fd, F_DUPFD_CLOEXEC, lowest), "fcntl(F_DUPFD_CLOEXEC)", fd);
}

/** Makes `fd` close-on-exec (one inherited from another process, say). */
export function setCloseOnExec(fd: number): void {
  check(libc().fcntl(fd, F_SETFD, FD_CLOEXEC), "fcntl(F_SETFD)", fd);
}

/** Makes `to` a copy of `from`. */
export function dup2(from: number, to: number): void {
  check(libc().dup2(from, to), "dup2", `${from} to ${to}`);
}

/**
 * Closes an fd. On Linux the descriptor is released even when close reports an error, so the
 * caller must not close it again; the error still throws, since it can mean lost data or a
 * descriptor that was not open.
 */
export function close(fd: number): void {
  check(libc().close(fd), "close", fd);
}

/** The bytes of one struct pollfd { int fd; short events, revents; }. */
export const POLLFD_BYTES = 8;
/** Where `events` and `revents` are in a struct pollfd (x86-64 and aarch64 Linux alike). */
const EVENTS_OFFSET = 4;
export const REVENTS_OFFSET = 6;

/** An array of struct pollfd for poll(2), one for each of `entries`, revents 0. */
export function pollfds(entries: { fd: number; events: number }[]): Uint8Array<ArrayBuffer> {
  const buf = fixedBytes(POLLFD_BYTES * entries.length);
  const view = new DataView(buf.buffer);
  entries.forEach(({ fd, events }, i) => {
    view.setInt32(POLLFD_BYTES * i, fd, true);
    view.setInt16(POLLFD_BYTES * i + EVENTS_OFFSET, events, true);
  });
  return buf;
}

/** The `revents` poll(2) left in the `i`th struct pollfd of `buf`. */
export function reventsOf(buf: Uint8Array, i: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset);
  return view.getUint16(POLLFD_BYTES * i + REVENTS_OFFSET, true);
}

/** `fd`'s poll(2) `revents` for `events` right now (timeout 0), on this thread. */
export function pollNow(fd: number, events: number): number {
  const buf = pollfds([{ fd, events }]);
  check(libc().poll_now(buf, 1n, 0), "poll", `fd ${fd}`);
  return reventsOf(buf, 0);
}

/** pread(2) of `fd` at `offset` into `buf`: the count, or -1 on failure. */
export function readAt(fd: number, buf: Uint8Array, offset: number): number {
  return Number(libc().pread(fd, buf, BigInt(buf.length), BigInt(offset)));
}

/**
 * Reads what is there into `buf` without blocking (`fd` must be O_NONBLOCK).
 * @returns the count; 0 at end of file or when the other side hung up (a pty master whose
 *   slave no process holds: EIO), once everything before it has been read; or
 *   {@link NOT_READY} when nothing is there yet
 * @throws SystemError for anything else (a closed fd, a device error)
 */
export function readSome(fd: number, buf: Uint8Array): number {
  for (let tries = 0;; tries++) {
    const n = Number(libc().read(fd, buf, BigInt(buf.length)));
    if (n >= 0) return n;
    const err = errno(); // for the message only
    // Why it failed, from poll's answer rather than errno (see the module doc).
    const revents = pollNow(fd, POLLIN);
    if (revents & POLLNVAL) throw new SystemError("read", err, `fd ${fd}`);
    // Readable after all: interrupted, or data arrived in between. Read again.
    if (revents & POLLIN && tries < READY_RETRIES) continue;
    if (revents & POLLHUP) return 0;
    if (revents & (POLLERR | POLLIN)) throw new SystemError("read", err, `fd ${fd}`);
    return NOT_READY;
  }
}

/**
 * Writes what fits without blocking (`fd` must be O_NONBLOCK).
 * @returns the count; {@link NOT_READY} when nothing fits now; {@link HUNG_UP} when the other
 *   side has gone (the bytes can never be delivered)
 * @throws SystemError for anything else (a closed fd, a broken pipe, a device error)
 */
export function writeSome(fd: number, bytes: Uint8Array): number {
  for (let tries = 0;; tries++) {
    const n = Number(libc().write(fd, bytes, BigInt(bytes.length)));
    if (n >= 0) return n;
    const err = errno(); // for the message only
    const revents = pollNow(fd, POLLOUT);
    if (revents & POLLNVAL) throw new SystemError("write", err, `fd ${fd}`);
    if (revents & POLLHUP) return HUNG_UP;
    if (revents & POLLOUT && tries < READY_RETRIES) continue;
    if (revents & (POLLERR | POLLOUT)) throw new SystemError("write", err, `fd ${fd}`);
    return NOT_READY;
  }
}

/** A close-on-exec, non-blocking eventfd, for waking a pending poll (io/main_wait.ts). */
export function eventfd(): number {
  return check(libc().eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd");
}

/** Makes an eventfd readable (adds 1 to its counter); it stays readable until read. */
export function signalEventfd(fd: number): void {
  const one = new BigUint64Array(new ArrayBuffer(8));
  one[0] = 1n;
  writeSome(fd, new Uint8Array(one.buffer));
}

/**
 * poll(2) of the `count` struct pollfd in `fds` (a {@link fixedBytes} buffer, which must stay
 * untouched until this resolves) on a worker thread, for at most `timeoutMs` (-1: no limit).
 * @returns poll's result: how many have events, 0 on timeout, -1 on failure (interrupted, most
 *   likely; the worker's errno is out of reach)
 */
export function pollOnWorker(fds: Uint8Array, count: number, timeoutMs: number): Promise<number> {
  return libc().poll(fds, BigInt(count), timeoutMs);
}

/**
 * poll(2) of the `count` struct pollfd in `fds` on this thread, blocking it for at most
 * `timeoutMs` (io/main_wait.ts). @returns poll's result; -1 on failure (a signal, most likely)
 */
export function pollBlocking(fds: Uint8Array, count: number, timeoutMs: number): number {
  return libc().poll_now(fds, BigInt(count), timeoutMs);
}

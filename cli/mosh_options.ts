/**
 * The `mosh` command line, parsed as mosh 1.4.0's Perl wrapper parses it with Getopt::Long:
 * options may come before or after the host (permute), long options take `--name=value` or
 * `--name value`, may be shortened to any unique prefix, and may be spelt with one dash;
 * `--no-X` negates the negatable ones; `--` ends the options. So `mosh host ls -la` fails on
 * `-la` and `mosh -- host ls -la` works, exactly as with mosh.
 *
 * @module
 */

/** Every `mosh` option. */
export interface MoshOptions {
  client: string;
  server: string;
  predict?: string;
  predictOverwrite: boolean;
  family: string;
  port?: string;
  bindServer?: string;
  ssh: string[];
  sshPty: boolean;
  init: boolean;
  local: boolean;
  remoteIp: string;
  fakeProxy: boolean;
  help: boolean;
  version: boolean;
  /**
   * `--attach` ("") or `--attach=PID`: take over a running session of ours instead of starting
   * one (docs/sessions.md); undefined for a new session.
   */
  attach?: string;
  /** `--no-scrollback`: no native scrollback, exactly mosh's screen (the client's alternate screen). */
  scrollback: boolean;
  /**
   * `--install-server` (true: install ours on a host without mosh-server, without asking),
   * `--no-install-server` (false: never; report the missing server as mosh does), or
   * undefined: ask when on a terminal (docs/install.md).
   */
  installServer?: boolean;
  /** `[user@]host` and the remote command. */
  operands: string[];
}

type Spec = {
  name: string;
  /** Whether it takes a value; "optional": only as `--name=value`. */
  arg: boolean | "optional";
  negatable?: boolean;
  set: (o: MoshOptions, v: string | boolean) => void;
};

const SPECS: Spec[] = [
  { name: "client", arg: true, set: (o, v) => (o.client = v as string) },
  { name: "server", arg: true, set: (o, v) => (o.server = v as string) },
  { name: "predict", arg: true, set: (o, v) => (o.predict = v as string) },
  {
    name: "predict-overwrite",
    arg: false,
    negatable: true,
    set: (o, v) => (o.predictOverwrite = v as boolean),
  },
  { name: "o", arg: false, negatable: true, set: (o, v) => (o.predictOverwrite = v as boolean) },
  { name: "port", arg: true, set: (o, v) => (o.port = v as string) },
  { name: "p", arg: true, set: (o, v) => (o.port = v as string) },
  { name: "a", arg: false, set: (o) => (o.predict = "always") },
  { name: "n", arg: false, set: (o) => (o.predict = "never") },
  { name: "family", arg: true, set: (o, v) => (o.family = v as string) },
  { name: "4", arg: false, set: (o) => (o.family = "inet") },
  { name: "6", arg: false, set: (o) => (o.family = "inet6") },
  {
    name: "ssh",
    arg: true,
    set: (o, v) => {
      const words = shellWords(v as string);
      if (!words.length) throw new Error("names no command");
      o.ssh = words;
    },
  },
  { name: "ssh-pty", arg: false, negatable: true, set: (o, v) => (o.sshPty = v as boolean) },
  { name: "init", arg: false, negatable: true, set: (o, v) => (o.init = v as boolean) },
  { name: "local", arg: false, set: (o) => (o.local = true) },
  { name: "help", arg: false, set: (o) => (o.help = true) },
  { name: "version", arg: false, set: (o) => (o.version = true) },
  { name: "fake-proxy", arg: false, negatable: true, set: (o, v) => (o.fakeProxy = v as boolean) },
  { name: "bind-server", arg: true, set: (o, v) => (o.bindServer = v as string) },
  { name: "experimental-remote-ip", arg: true, set: (o, v) => (o.remoteIp = v as string) },
  { name: "attach", arg: "optional", set: (o, v) => (o.attach = v as string) },
  { name: "scrollback", arg: false, negatable: true, set: (o, v) => (o.scrollback = v as boolean) },
  {
    name: "install-server",
    arg: false,
    negatable: true,
    set: (o, v) => (o.installServer = v as boolean),
  },
];

/** Perl's `\s` on a byte string: ASCII whitespace. */
const WS = "[ \\t\\n\\v\\f\\r]";
const DOUBLE = /^"((?:[^\\"]|\\[\s\S])*)"/;
const SINGLE = /^'((?:[^\\']|\\[\s\S])*)'/;
const UNQUOTED = new RegExp(`^((?:\\\\[\\s\\S]|[^\\\\"'])*?)($|${WS}+|(?!^)(?=["']))`);

/**
 * Splits `--ssh`'s value into words as mosh does, with Perl's `Text::ParseWords::shellwords`:
 * like a shell, but a backslash escapes any character inside double quotes, and inside single
 * quotes it escapes a quote while staying in the word (`'a\'b'` is `a\'b`). No expansion.
 * @throws {Error} where shellwords returns nothing: "unmatched ' in ...", "unmatched \" in ...",
 *   or "trailing \\ in ..." (a backslash with nothing after it)
 */
export function shellWords(s: string): string[] {
  let line = s.replace(new RegExp(`^${WS}+`), "");
  const words: string[] = [];
  let word: string | undefined;
  while (line.length) {
    let m: RegExpExecArray | null;
    let piece: string, delimited = false;
    if ((m = DOUBLE.exec(line))) {
      piece = m[1].replace(/\\([\s\S])/g, "$1");
    } else if ((m = SINGLE.exec(line))) {
      piece = m[1];
    } else if ((m = UNQUOTED.exec(line))) {
      piece = m[1].replace(/\\([\s\S])/g, "$1");
      delimited = m[2].length > 0;
    } else {
      const what = line[0] === "'" || line[0] === '"' ? `unmatched ${line[0]}` : "trailing \\";
      throw new Error(`${what} in ${JSON.stringify(s)}`);
    }
    line = line.slice(m[0].length);
    word = (word ?? "") + piece;
    if (delimited) {
      words.push(word);
      word = undefined;
    }
    if (!line.length && word !== undefined) words.push(word);
  }
  return words;
}

/** Quotes words for a POSIX shell the way mosh does: each in single quotes. */
export function shellQuote(words: string[]): string {
  return words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
}

/** Finds the option a name (possibly abbreviated, possibly `no`-prefixed) stands for. */
function lookup(name: string): { spec: Spec; value?: boolean } | string {
  const exact = SPECS.find((s) => s.name === name);
  if (exact) return { spec: exact };
  for (const prefix of ["no-", "no"]) {
    if (name.startsWith(prefix)) {
      const base = name.slice(prefix.length);
      const neg = SPECS.filter((s) => s.negatable && (s.name === base || s.name.startsWith(base)));
      const exactNeg = neg.find((s) => s.name === base);
      if (exactNeg) return { spec: exactNeg, value: false };
      if (neg.length === 1 && base.length > 0) return { spec: neg[0], value: false };
    }
  }
  const candidates = SPECS.filter((s) => s.name.length > 1 && s.name.startsWith(name));
  if (candidates.length === 1) return { spec: candidates[0] };
  if (candidates.length > 1) {
    return `Option ${name} is ambiguous (${candidates.map((c) => c.name).join(", ")})`;
  }
  return `Unknown option: ${name}`;
}

/**
 * Parses `mosh`'s arguments.
 * @returns the options, or the error Getopt::Long would print (then usage, exit 1)
 */
export function parseMoshArgs(args: string[]): MoshOptions | { error: string } {
  const o: MoshOptions = {
    client: "mosh-client",
    server: "mosh-server",
    predictOverwrite: false,
    family: "prefer-inet",
    ssh: ["ssh"],
    sshPty: true,
    init: true,
    local: false,
    remoteIp: "proxy",
    fakeProxy: false,
    help: false,
    version: false,
    scrollback: true,
    operands: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      o.operands.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      o.operands.push(a);
      continue;
    }
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const found = lookup(name);
    if (typeof found === "string") return { error: found };
    const { spec } = found;
    if (spec.arg === "optional") {
      // Only `--name=value`: a bare `--attach host` must not take the host for a pid.
      spec.set(o, eq >= 0 ? body.slice(eq + 1) : "");
    } else if (spec.arg) {
      let value: string;
      if (eq >= 0) value = body.slice(eq + 1);
      else if (i + 1 < args.length) value = args[++i];
      else return { error: `Option ${name} requires an argument` };
      try {
        spec.set(o, value);
      } catch (e) {
        return { error: `Option ${name}: ${e instanceof Error ? e.message : e}` };
      }
    } else {
      if (eq >= 0) return { error: `Option ${name} does not take an argument` };
      spec.set(o, found.value ?? true);
    }
  }
  return o;
}

/** The locale variables mosh forwards to the server, in its order. */
export const LOCALE_VARS = [
  "LANG",
  "LANGUAGE",
  "LC_CTYPE",
  "LC_NUMERIC",
  "LC_TIME",
  "LC_COLLATE",
  "LC_MONETARY",
  "LC_MESSAGES",
  "LC_PAPER",
  "LC_NAME",
  "LC_ADDRESS",
  "LC_TELEPHONE",
  "LC_MEASUREMENT",
  "LC_IDENTIFICATION",
  "LC_ALL",
];

/**
 * Validates a `-p` request as mosh's wrapper does.
 * @returns null when fine, else the message mosh dies with
 */
export function checkPortRequest(argv0: string, request: string): string | null {
  const m = /^(\d+)(:(\d+))?$/.exec(request);
  if (!m) return `${argv0}: Server-side port or range (${request}) is not valid.`;
  const low = Number(m[1]);
  if (low < 0 || low > 65535) {
    return `${argv0}: Server-side (low) port (${low}) must be within valid range [0..65535].`;
  }
  if (m[3] !== undefined) {
    const high = Number(m[3]);
    if (high <= 0 || high > 65535) {
      return `${argv0}: Server-side high port (${high}) must be within valid range [1..65535].`;
    }
    if (low === 0) {
      return `${argv0}: Server-side port ranges may not be used with starting port 0 (${request}).`;
    }
    if (low > high) {
      return `${argv0}: Server-side port range (${request}): low port greater than high port.`;
    }
  }
  return null;
}

/**
 * The decisions of installing our server on a host (docs/install.md), as pure functions of
 * what the probe (cli/remote_scripts.ts) found there and of how this mosh runs: whether the
 * host already has a usable `~/.local/bin/mosh-server`, whether to offer an install or an
 * upgrade, what to copy, and the one-line reason when it cannot be done. cli/install_server.ts
 * runs the ssh sessions and asks the user.
 *
 * @module
 */

import type { RunMode } from "./self.ts";
import { PROBE_BEGIN, PROBE_END } from "./remote_scripts.ts";
import { LAYOUT } from "./launcher.ts";

/** Where the server is installed on a host, as the remote shell spells it. */
export const REMOTE_SERVER = "~/.local/bin/mosh-server";

/** What the probe found on the host. */
export interface HostFacts {
  /** `uname -sm`, like "Linux x86_64". */
  platform: string;
  /** The first line of `~/.local/bin/mosh-server --version`; undefined when there is none. */
  server?: string;
  /** Whether gzip is there. */
  gzip: boolean;
  /** The version of the `deno` on the PATH ("2.9.6"), if any. */
  deno?: string;
  /** A tool that computes sha256 (sha256sum, shasum or openssl), if any. */
  checksum?: string;
  /** The home directory: missing, or whether ~/.local/bin (or where it would go) is writable. */
  home: "missing" | "readonly" | "writable";
  /** Free space there, in KiB, when `df` told. */
  freeKiB?: number;
}

/**
 * Reads the probe's output: the `key=value` lines between its markers.
 * @returns the facts, or null when the markers are not both there (the probe did not run)
 *
 * @example
 * ```ts
 * import { parseProbe } from "./install_plan.ts";
 *
 * const facts = parseProbe(
 *   "Welcome\nDENOMOSH-PROBE-BEGIN\nuname=Linux x86_64\ngzip=yes\nhome=writable\n" +
 *     "free=1024\nDENOMOSH-PROBE-END\n",
 * );
 * if (facts?.platform !== "Linux x86_64" || !facts.gzip || facts.freeKiB !== 1024) {
 *   throw new Error();
 * }
 * ```
 */
export function parseProbe(output: string): HostFacts | null {
  const lines = output.split("\n").map((l) => l.replace(/\r$/, ""));
  const begin = lines.indexOf(PROBE_BEGIN), end = lines.indexOf(PROBE_END);
  if (begin < 0 || end < begin) return null;
  const kv = new Map<string, string>();
  for (const line of lines.slice(begin + 1, end)) {
    const eq = line.indexOf("=");
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const home = kv.get("home");
  const free = kv.get("free");
  const deno = /^deno ([0-9]+\.[0-9]+\.[0-9]+)/.exec(kv.get("deno") ?? "");
  return {
    platform: (kv.get("uname") ?? "").trim(),
    ...(kv.has("server") && { server: kv.get("server")! }),
    gzip: kv.get("gzip") === "yes",
    ...(deno && { deno: deno[1] }),
    ...(kv.get("sha256") && { checksum: kv.get("sha256")! }),
    home: home === "writable" || home === "readonly" ? home : "missing",
    ...(free && /^[0-9]+$/.test(free) && { freeKiB: Number(free) }),
  };
}

/** What `~/.local/bin/mosh-server --version` says the installed server is. */
export type Existing =
  | { readonly kind: "none" }
  | { readonly kind: "denomosh"; readonly version: string }
  | { readonly kind: "mosh"; readonly version: string }
  | { readonly kind: "unknown"; readonly said: string };

/**
 * Tells ours from mosh's by the first line of `--version`: ours says
 * `mosh-server (denomosh 0.1.0, compatible with mosh 1.4.0)` (cli/version.ts), mosh's
 * `mosh-server (mosh 1.4.0) [build mosh 1.4.0]`.
 */
export function identify(line: string | undefined): Existing {
  if (line === undefined) return { kind: "none" };
  const ours = /^mosh-server \(denomosh ([0-9][0-9A-Za-z.+-]*)[,)]/.exec(line);
  if (ours) return { kind: "denomosh", version: ours[1] };
  const mosh = /^mosh-server \(mosh ([0-9][0-9A-Za-z.+-]*)\)/.exec(line);
  if (mosh) return { kind: "mosh", version: mosh[1] };
  return { kind: "unknown", said: line.trim() };
}

/**
 * Compares dotted versions by their numbers (a missing part is 0; whatever follows a part's
 * digits, like `-rc1`, is ignored).
 * @returns negative, zero or positive, as `a` is older than, as old as, or newer than `b`
 */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(".").map((p) => Number(/^[0-9]*/.exec(p)![0] || "0"));
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Whether the host's deno runs our bundle: the same major version as the deno that built it,
 * and not older (the bundle may use any API of the version it was built with).
 */
export function denoCompatible(host: string | undefined, ours: string): boolean {
  if (host === undefined) return false;
  return host.split(".")[0] === ours.split(".")[0] && compareVersions(host, ours) >= 0;
}

/** `uname -sm` of the platform `Deno.build` describes, like "Linux x86_64" or "Darwin arm64". */
export function unamePlatform(os: string, arch: string): string {
  const names: Record<string, string> = {
    linux: "Linux",
    darwin: "Darwin",
    freebsd: "FreeBSD",
    netbsd: "NetBSD",
    openbsd: "OpenBSD",
    android: "Linux",
    solaris: "SunOS",
    illumos: "SunOS",
    aix: "AIX",
    windows: "Windows",
  };
  const machine = os === "darwin" && arch === "aarch64" ? "arm64" : arch;
  return `${names[os] ?? os} ${machine}`;
}

/** What to do once the host's facts are known. */
export type Next =
  /** Carry on with the server already in ~/.local/bin. */
  | { readonly do: "use"; readonly existing: Existing }
  /** Offer an install, or an upgrade of an older denomosh (`from` its version). */
  | { readonly do: "offer"; readonly from?: string }
  /** Stop with this reason. */
  | { readonly do: "refuse"; readonly reason: string };

/**
 * Whether to use the installed server, offer to install or upgrade ours, or refuse: an older
 * denomosh is offered an upgrade; a current or newer one, or mosh's own, is used; anything
 * else there is not overwritten.
 */
export function nextStep(facts: HostFacts, ourVersion: string): Next {
  const existing = identify(facts.server);
  switch (existing.kind) {
    case "none":
      return { do: "offer" };
    case "denomosh":
      return compareVersions(existing.version, ourVersion) < 0
        ? { do: "offer", from: existing.version }
        : { do: "use", existing };
    case "mosh":
      return { do: "use", existing };
    case "unknown":
      return {
        do: "refuse",
        reason: `${REMOTE_SERVER} there is not a mosh-server (its --version says ` +
          `"${existing.said}"); remove it, or name another server with --server=`,
      };
  }
}

/** The parts of a copy. */
export type Piece = "executable" | "runtime" | "bundle" | "launcher";

/** Where each piece goes under ~/.local, and its mode once verified. */
export const PIECES: Readonly<Record<Piece, { path: string; mode: number }>> = {
  executable: { path: `${LAYOUT.bin}/mosh-server`, mode: 0o755 },
  runtime: { path: LAYOUT.runtime, mode: 0o755 },
  bundle: { path: LAYOUT.bundle, mode: 0o644 },
  launcher: { path: `${LAYOUT.bin}/mosh-server`, mode: 0o755 },
};

/** How this mosh runs, for choosing what to copy. */
export interface LocalFacts {
  mode: RunMode;
  /** This machine's `uname -sm`, from {@link unamePlatform}. */
  platform: string;
  /** The version of the Deno runtime running us (`Deno.version.deno`). */
  deno: string;
}

/**
 * What to copy, in the order of the copy (bin/mosh-server last, so it appears only when what
 * it runs is in place): this executable when compiled, for the same platform only; else the
 * bundle and its launcher, with our Deno runtime when the host has no compatible deno and
 * runs our platform.
 */
export function choosePieces(
  local: LocalFacts,
  facts: HostFacts,
): { pieces: Piece[] } | { refuse: string } {
  const same = facts.platform === local.platform;
  if (local.mode === "compiled") {
    return same ? { pieces: ["executable"] } : {
      refuse: `it is ${facts.platform || "an unknown platform"}, and this mosh is an ` +
        `executable for ${local.platform}; a mosh built for ${facts.platform} is needed there`,
    };
  }
  if (denoCompatible(facts.deno, local.deno)) return { pieces: ["bundle", "launcher"] };
  if (same) return { pieces: ["runtime", "bundle", "launcher"] };
  const has = facts.deno ? `deno ${facts.deno}` : "no deno";
  return {
    refuse: `it is ${facts.platform || "an unknown platform"} with ${has}, and the Deno ` +
      `runtime here is for ${local.platform}; install deno ${local.deno} or later there ` +
      `(a runtime for ${facts.platform} is needed)`,
  };
}

/** Room kept free beyond the copy's size, in KiB: the old files stay until the renames. */
const SPACE_MARGIN_KIB = 1024;

/**
 * Why the host cannot take a copy of `bytes` bytes, or null: no home, a home that cannot be
 * written, no checksum tool, too little space (when `df` told).
 */
export function hostUnfit(facts: HostFacts, bytes: number): string | null {
  if (facts.home === "missing") return "there is no home directory there";
  if (facts.home === "readonly") return "its home directory is not writable (~/.local/bin)";
  if (!facts.checksum) return "it has none of sha256sum, shasum or openssl to verify the copy";
  const need = Math.ceil(bytes / 1024) + SPACE_MARGIN_KIB;
  if (facts.freeKiB !== undefined && facts.freeKiB < need) {
    return `not enough space in ~/.local there (${megabytes(facts.freeKiB * 1024)} free, ` +
      `${megabytes(need * 1024)} needed)`;
  }
  return null;
}

/** Bytes in MB (10^6), one decimal under 10. */
export function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** The one-line reason for the installer's `DENOMOSH-ERROR <kind> <detail>`. */
export function installerError(kind: string, detail: string): string {
  switch (kind) {
    case "home":
      return detail;
    case "space":
      return `the disk there is full (${detail}); nothing was installed`;
    case "checksum":
      return `the copy of ${detail} arrived corrupt (its sha256 differs); nothing was installed`;
    case "copy":
      return `the copy was cut short (${detail}); nothing was installed`;
    default:
      return `${detail}; nothing was installed`;
  }
}

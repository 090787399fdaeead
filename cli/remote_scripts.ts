/**
 * The two shell scripts `mosh` runs on a host to install its server there (docs/install.md):
 * the probe, which reports what the host has, and the installer, which unpacks the copy from
 * its standard input, checks it and puts it in place. Both are POSIX `sh`, on one line (the
 * user's login shell parses the command first, and csh cannot take a newline inside quotes),
 * with no backslash and no `!` in them, and are run as `sh -c SCRIPT NAME ARGS...`.
 *
 * @module
 */

import { shellQuote } from "./mosh_options.ts";

/** The line before the probe's answers. */
export const PROBE_BEGIN = "DENOMOSH-PROBE-BEGIN";
/** The line after them. */
export const PROBE_END = "DENOMOSH-PROBE-END";
/** The installer's last line when everything is in place. */
export const INSTALLED = "DENOMOSH-INSTALLED";
/** The start of the installer's line when it gives up: `DENOMOSH-ERROR <kind> <detail>`. */
export const INSTALL_ERROR = "DENOMOSH-ERROR";

/** Joins a script written one statement a line into one line. */
function oneLine(script: string): string {
  return script.split("\n").map((l) => l.trim()).filter((l) => l).join(" ");
}

/**
 * The probe: `key=value` lines between {@link PROBE_BEGIN} and {@link PROBE_END} (a login
 * shell may print its own lines around them): `uname` (`uname -sm`), `server` (the first line
 * of `~/.local/bin/mosh-server --version`, when that file exists), `gzip=yes`, `deno` (the
 * first line of `deno --version`), `sha256` (the first of sha256sum, shasum, openssl there),
 * `home` (missing, readonly or writable, for the nearest existing directory on the way to
 * ~/.local/bin) and `free` (KiB available there, from `df -Pk`).
 */
export const PROBE_SCRIPT = oneLine(`
  echo ${PROBE_BEGIN};
  echo "uname=$(uname -sm 2>/dev/null)";
  s=\${HOME:-}/.local/bin/mosh-server;
  if [ -e "$s" ] || [ -h "$s" ]; then
    echo "server=$("$s" --version 2>&1 </dev/null | head -n 1)";
  fi;
  if command -v gzip >/dev/null 2>&1; then echo gzip=yes; fi;
  if command -v deno >/dev/null 2>&1; then
    echo "deno=$(deno --version 2>/dev/null | head -n 1)";
  fi;
  for c in sha256sum shasum openssl; do
    if command -v $c >/dev/null 2>&1; then echo "sha256=$c"; break; fi;
  done;
  if [ -z "\${HOME:-}" ] || [ ! -d "$HOME" ]; then echo home=missing; else
    t=$HOME/.local/bin;
    while [ -n "$t" ] && [ ! -d "$t" ]; do t=\${t%/*}; done;
    if [ -w "$t" ]; then echo home=writable; else echo home=readonly; fi;
    df -Pk "$t" 2>/dev/null | tail -n 1 | { read f b u a r; echo "free=$a"; };
  fi;
  echo ${PROBE_END}
`);

/**
 * The installer. Arguments: `gz` or `raw` (how standard input is packed), the checksum tool
 * the probe found, then one `PATH:MODE:SHA256` per file, PATH under ~/.local, in the order the
 * files are in the tar on standard input (named f0, f1, ...).
 *
 * It unpacks into a fresh directory `~/.local/.denomosh-install.PID`, every file 0600 (as the
 * tar says); checks every file's sha256; moves each beside its destination under a hidden
 * temporary name (`.NAME.denomosh-new.PID`) and gives it its mode; and only then renames each
 * over its destination, in the order given (so the caller lists `bin/mosh-server` last). A
 * trap removes the temporary directory and names on any exit: an interrupted copy leaves
 * nothing half-installed and nothing executable. It ends with {@link INSTALLED}, or
 * `DENOMOSH-ERROR <kind> <detail>` and status 1, kind being `home` (no writable home), `space`
 * (the disk filled), `copy` (the stream was cut or damaged), `checksum` or `place`.
 */
export const INSTALL_SCRIPT = oneLine(`
  set -u;
  umask 022;
  fail() { echo "${INSTALL_ERROR} $1 $2"; exit 1; };
  z=$1; c=$2; shift 2;
  [ -n "\${HOME:-}" ] && [ -d "$HOME" ] || fail home "there is no home directory";
  d=$HOME/.local;
  mkdir -p "$d/bin" "$d/lib/denomosh" 2>/dev/null && [ -w "$d/bin" ] && [ -w "$d/lib/denomosh" ]
    || fail home "$d is not writable";
  t=$d/.denomosh-install.$$;
  trap 'rm -rf "$t" "$d"/bin/.*.denomosh-new.$$ "$d"/lib/denomosh/.*.denomosh-new.$$' EXIT;
  trap 'exit 1' HUP INT TERM PIPE;
  mkdir "$t" 2>/dev/null || fail home "cannot create $t";
  if [ "$z" = gz ]; then u="gzip -dc"; else u=cat; fi;
  e=$( { { $u || echo DENOMOSH-UNPACK-FAILED >&2; } | tar -xof - -C "$t"; } 2>&1 ); s=$?;
  case $e in *DENOMOSH-UNPACK-FAILED*) s=1;; esac;
  if [ $s != 0 ]; then
    case $e in
      *"No space left"*|*"quota exceeded"*) fail space "while unpacking";;
      *) fail copy "$(echo "$e" | head -n 1)";;
    esac;
  fi;
  i=0;
  for a in "$@"; do
    p=\${a%%:*}; r=\${a#*:}; h=\${r#*:}; f=$t/f$i;
    [ -f "$f" ] || fail copy "$p did not arrive";
    case $c in
      sha256sum) g=$(sha256sum < "$f");;
      shasum) g=$(shasum -a 256 < "$f");;
      *) g=$(openssl dgst -sha256 -r < "$f");;
    esac;
    [ "\${g%% *}" = "$h" ] || fail checksum "$p";
    i=$((i+1));
  done;
  i=0;
  for a in "$@"; do
    p=\${a%%:*}; r=\${a#*:}; m=\${r%%:*}; n=$d/$p;
    mv -f "$t/f$i" "\${n%/*}/.\${n##*/}.denomosh-new.$$" 2>/dev/null || fail space "while moving $p into place";
    chmod "$m" "\${n%/*}/.\${n##*/}.denomosh-new.$$" || fail place "cannot set the mode of $p";
    i=$((i+1));
  done;
  for a in "$@"; do
    p=\${a%%:*}; n=$d/$p;
    mv -f "\${n%/*}/.\${n##*/}.denomosh-new.$$" "$n" || fail place "cannot rename $p into place";
  done;
  echo ${INSTALLED}
`);

/** One file for the installer. */
export interface InstallEntry {
  /** Its path under ~/.local, like `bin/mosh-server`. */
  path: string;
  /** Its permission bits once verified. */
  mode: number;
  /** Its sha256, in hex. */
  sha256: string;
}

/** The remote command line of the probe: `sh -c 'SCRIPT'`. */
export function probeCommand(): string {
  return `sh -c ${shellQuote([PROBE_SCRIPT])}`;
}

/**
 * The remote command line of the installer for `entries`, in the order of the tar.
 * @param gzip whether standard input is gzip'd
 * @param checksum the probe's `sha256` tool
 * @throws {RangeError} for a path the installer would misread (not `[A-Za-z0-9._/-]`, or `..`)
 */
export function installCommand(
  gzip: boolean,
  checksum: string,
  entries: readonly InstallEntry[],
): string {
  const args = entries.map((e) => {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(e.path) || e.path.split("/").includes("..")) {
      throw new RangeError(`Cannot install to ${JSON.stringify(e.path)}`);
    }
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new RangeError(`Not a sha256: ${e.sha256}`);
    return `${e.path}:${(e.mode & 0o777).toString(8)}:${e.sha256}`;
  });
  const words = [INSTALL_SCRIPT, "denomosh-install", gzip ? "gz" : "raw", checksum, ...args];
  return `sh -c ${shellQuote(words)}`;
}

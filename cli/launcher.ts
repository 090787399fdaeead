/**
 * The launcher of the portable form (docs/install.md): a POSIX shell script installed as
 * `bin/mosh` (with `mosh-client` and `mosh-server` links to it) by `deno task install`, or as
 * `~/.local/bin/mosh-server` on a host by `mosh --install-server`. It runs the bundle
 * `../lib/denomosh/denomosh.js` beside its own directory (following links to find it) under
 * `../lib/denomosh/deno` when that runtime was copied, else the `deno` on the PATH, in the
 * role of the name it was run by. The bundle then starts its other roles itself
 * (cli/self.ts, "bundled").
 *
 * @module
 */

import { BUNDLE_RUN_FLAGS, ROLE_FLAG } from "./self.ts";

/** Where the portable form's files go, relative to the install prefix. */
export const LAYOUT = {
  /** The bundle. */
  bundle: "lib/denomosh/denomosh.js",
  /** A copy of the Deno runtime, when the machine has no compatible `deno` of its own. */
  runtime: "lib/denomosh/deno",
  /** The launcher, as each program. */
  bin: "bin",
} as const;

/** The first line after the shebang: how `mosh-server --version`'s failure is recognised. */
export const LAUNCHER_MARK = "# denomosh launcher";

/**
 * The launcher script.
 *
 * @example
 * ```ts
 * import { launcherScript } from "./launcher.ts";
 *
 * const script = launcherScript();
 * if (!script.startsWith("#!/bin/sh\n") || !script.includes("denomosh.js")) throw new Error();
 * ```
 */
export function launcherScript(): string {
  const flags = BUNDLE_RUN_FLAGS.map((f) => `'${f}'`).join(" ");
  return `#!/bin/sh
${LAUNCHER_MARK} (docs/install.md in denomosh): runs lib/denomosh/denomosh.js beside
# this script's directory, under lib/denomosh/deno if present, else the deno on the PATH, as
# mosh, mosh-client or mosh-server according to the name it is run by.
self=$0
case $self in */*) ;; *) self=./$self ;; esac
while [ -h "$self" ]; do
  link=$(readlink "$self") || break
  case $link in
    /*) self=$link ;;
    *) self=\${self%/*}/$link ;;
  esac
done
lib=\${self%/*}/../lib/denomosh
case \${0##*/} in
  mosh-server*) role=mosh-server ;;
  mosh-client*) role=mosh-client ;;
  *) role=mosh ;;
esac
deno=$lib/deno
if [ ! -x "$deno" ]; then
  deno=$(command -v deno) || {
    echo "\${0##*/}: no Deno runtime: $lib/deno is missing and there is no deno on the PATH" >&2
    exit 1
  }
fi
exec "$deno" run ${flags} "$lib/denomosh.js" '${ROLE_FLAG}'$role "$@"
`;
}

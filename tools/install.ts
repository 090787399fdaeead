/**
 * `deno task install [--prefix DIR] [--portable] [--with-runtime]`: installs mosh, mosh-client
 * and mosh-server under `DIR/bin` (default `$HOME/local`). No root.
 *
 * - With a compiled `dist/mosh` (`deno task compile`), it installs that as `bin/mosh`, with
 *   `mosh-client` and `mosh-server` as links to it.
 * - Without one (where `deno compile` cannot run: it downloads Deno's runtime), or with
 *   `--portable`, it installs the portable form (docs/install.md): the bundle of the three
 *   programs in `lib/denomosh/denomosh.js`, the launcher as `bin/mosh` with the same two links,
 *   and, unless a compatible `deno` is installed on the PATH (the temporary copy in npx's
 *   cache that `npx deno` runs does not count), a copy of this Deno runtime as
 *   `lib/denomosh/deno`; `--with-runtime` copies it anyway.
 *
 * Every file is written under a temporary name beside its destination and renamed into place.
 *
 * @module
 */

import { OUTPUT } from "./compile.ts";
import { buildBundle } from "../cli/bundle.ts";
import { launcherScript, LAYOUT } from "../cli/launcher.ts";
import { denoCompatible } from "../cli/install_plan.ts";

/** Puts `write`'s file at `target` atomically: written beside it, given `mode`, renamed. */
async function place(
  target: string,
  mode: number,
  write: (tmp: string) => Promise<unknown>,
): Promise<void> {
  const tmp = `${target}.new-${Deno.pid}`;
  try {
    await write(tmp);
    await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, target);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Makes `mosh-client` and `mosh-server` links to `mosh` in `bin`. */
async function linkRoles(bin: string): Promise<void> {
  for (const name of ["mosh-client", "mosh-server"]) {
    const link = `${bin}/${name}`;
    await Deno.remove(link).catch(() => {});
    await Deno.symlink("mosh", link);
  }
}

/** Installs `binary` into `prefix/bin` as the three programs. */
export async function install(binary: string, prefix: string): Promise<string> {
  const bin = `${prefix}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  await place(`${bin}/mosh`, 0o755, (tmp) => Deno.copyFile(binary, tmp));
  await linkRoles(bin);
  return bin;
}

/**
 * A `deno` on `path` (a PATH value) that runs our bundle and will stay: not one of npm's
 * temporary copies (npx's cache, `_npx`).
 * @returns its path, or null
 */
export async function stableDeno(path: string): Promise<string | null> {
  for (const dir of path.split(":").filter((d) => d)) {
    let real: string;
    try {
      real = await Deno.realPath(`${dir}/deno`);
      if (!(await Deno.stat(real)).isFile) continue;
    } catch {
      continue;
    }
    if (real.includes("/_npx/")) return null; // npx's cache; the first one found is what runs
    const r = await new Deno.Command(real, { args: ["--version"], stdout: "piped", stderr: "null" })
      .output().catch(() => null);
    const v = r && /^deno ([0-9.]+)/.exec(new TextDecoder().decode(r.stdout));
    return v && denoCompatible(v[1], Deno.version.deno) ? real : null;
  }
  return null;
}

/** What {@link installPortable} put where. */
export interface PortableInstall {
  bin: string;
  /** Whether the Deno runtime was copied. */
  runtime: boolean;
  /** The bundle's size, in bytes. */
  bundleBytes: number;
}

/**
 * Installs the portable form under `prefix`.
 * @param options.runtime copy this Deno runtime: true, false, or "auto" (when no
 *   {@link stableDeno} is on the PATH)
 */
export async function installPortable(
  prefix: string,
  options: { runtime: boolean | "auto" } = { runtime: "auto" },
): Promise<PortableInstall> {
  const bin = `${prefix}/${LAYOUT.bin}`;
  const bundle = `${prefix}/${LAYOUT.bundle}`;
  const lib = bundle.slice(0, bundle.lastIndexOf("/"));
  await Deno.mkdir(bin, { recursive: true });
  await Deno.mkdir(lib, { recursive: true });
  const runtime = options.runtime === "auto"
    ? (await stableDeno(Deno.env.get("PATH") ?? "")) === null
    : options.runtime;
  const target = `${prefix}/${LAYOUT.runtime}`;
  if (runtime) {
    const self = await Deno.realPath(Deno.execPath());
    if (self !== await Deno.realPath(target).catch(() => "")) {
      await place(target, 0o755, (tmp) => Deno.copyFile(self, tmp));
    }
  } else {
    // An older copy would still run first (the launcher prefers it): the PATH's deno does now.
    await Deno.remove(target).catch(() => {});
  }
  let bundleBytes = 0;
  await place(bundle, 0o644, async (tmp) => (bundleBytes = await buildBundle(tmp)));
  await place(`${bin}/mosh`, 0o755, (tmp) => Deno.writeTextFile(tmp, launcherScript()));
  await linkRoles(bin);
  return { bin, runtime, bundleBytes };
}

/** Whether `path` exists. */
async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const portable = flag("--portable");
  const withRuntime = flag("--with-runtime");
  const i = args.indexOf("--prefix");
  const prefix = i >= 0 ? args[i + 1] : `${Deno.env.get("HOME")}/local`;
  if (!prefix || args.length !== (i >= 0 ? 2 : 0)) {
    console.error("usage: deno task install [--prefix DIR] [--portable] [--with-runtime]");
    Deno.exit(2);
  }
  let bin: string;
  try {
    if (!portable && await exists(OUTPUT)) {
      bin = await install(OUTPUT, prefix);
      console.log(`installed the compiled ${OUTPUT} as ${bin}/mosh`);
    } else {
      const r = await installPortable(prefix, { runtime: withRuntime || "auto" });
      bin = r.bin;
      console.log(
        `installed the portable form: ${bin}/mosh runs ${prefix}/${LAYOUT.bundle} ` +
          `(${(r.bundleBytes / 1e6).toFixed(1)} MB) under ` +
          (r.runtime ? `${prefix}/${LAYOUT.runtime}` : "the deno on your PATH"),
      );
    }
  } catch (e) {
    console.error(`deno task install: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
  console.log(`mosh, mosh-client and mosh-server are in ${bin}`);
  if (!(Deno.env.get("PATH") ?? "").split(":").includes(bin)) {
    console.log(`add it to your PATH: export PATH="${bin}:$PATH"`);
  }
}

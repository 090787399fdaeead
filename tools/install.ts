/**
 * `deno task install [--prefix DIR]`: puts the compiled executable in `DIR/bin` (default
 * `$HOME/local`) as `mosh`, with `mosh-client` and `mosh-server` as links to it. No root.
 *
 * @module
 */

import { OUTPUT } from "./compile.ts";

/** Installs `binary` into `prefix/bin` as the three programs. */
export async function install(binary: string, prefix: string): Promise<string> {
  const bin = `${prefix}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  const target = `${bin}/mosh`;
  const tmp = `${target}.new-${Deno.pid}`;
  await Deno.copyFile(binary, tmp);
  await Deno.chmod(tmp, 0o755);
  await Deno.rename(tmp, target);
  for (const name of ["mosh-client", "mosh-server"]) {
    const link = `${bin}/${name}`;
    await Deno.remove(link).catch(() => {});
    await Deno.symlink("mosh", link);
  }
  return bin;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--prefix");
  const prefix = i >= 0 ? Deno.args[i + 1] : `${Deno.env.get("HOME")}/local`;
  if (!prefix) {
    console.error("usage: deno task install [--prefix DIR]");
    Deno.exit(2);
  }
  try {
    await Deno.stat(OUTPUT);
  } catch {
    console.error(`${OUTPUT} does not exist yet: run deno task compile first.`);
    Deno.exit(1);
  }
  const bin = await install(OUTPUT, prefix);
  console.log(`installed ${bin}/mosh, ${bin}/mosh-client and ${bin}/mosh-server`);
  if (!(Deno.env.get("PATH") ?? "").split(":").includes(bin)) {
    console.log(`add it to your PATH: export PATH="${bin}:$PATH"`);
  }
}

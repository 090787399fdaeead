/**
 * The bundle of the portable form (docs/install.md): cli/main.ts and everything it imports,
 * npm packages included, as one JavaScript file that `deno run` runs anywhere with no network
 * and no cache. `mosh` builds it from source to install its server on a host, and
 * `deno task install` builds it where `deno compile` cannot run.
 *
 * It is `deno bundle` (esbuild inside Deno), with one correction to the import map:
 * `@xterm/headless` 6.0.0's package.json names a `module` file (lib/xterm.mjs) that the package
 * does not ship, and esbuild, which prefers `module` to `main`, fails on it; so the bundle maps
 * the package's bare name to its `main` file. (Our code loads the package's ES module file by its
 * path, core/terminal/xterm_internals.ts, and names the package itself only for its typings;
 * the mapping keeps a bare import working.) Deno downloads esbuild itself from the npm registry
 * the first time it bundles (into DENO_DIR/dl), as it does the npm packages; after that bundling
 * works offline.
 *
 * @module
 */

/** The project's root, where deno.json is. */
const ROOT = new URL("..", import.meta.url).pathname;

/** The file of `@xterm/headless` its bare name stands for in the bundle (package.json's `main`). */
export const XTERM_MAIN = "lib-headless/xterm-headless.js";

/**
 * The import map for `deno bundle`: deno.json's imports, with `@xterm/headless` pointed at its
 * `main` file.
 * @param imports deno.json's "imports"
 */
export function bundleImportMap(imports: Record<string, string>): Record<string, string> {
  const out = { ...imports };
  const xterm = imports["@xterm/headless"];
  if (xterm) out["@xterm/headless"] = `${xterm}/${XTERM_MAIN}`;
  return out;
}

/** What to tell the user when `deno bundle` failed with `stderr`. */
export function explainBundleFailure(stderr: string): string {
  const first = stderr.split("\n").map((l) => l.trim()).find((l) => /error/i.test(l)) ??
    stderr.trim().split("\n")[0] ?? "";
  // deno-lint-ignore no-control-regex -- deno's colours (SGR) out of the message
  const said = first.replace(/\x1b\[[0-9;]*m/g, "");
  if (/esbuild|registry\.npmjs\.org|dns error|error sending request/i.test(stderr)) {
    return "deno bundle could not download esbuild from the npm registry (it does so once, " +
      `the first time it bundles): ${said}`;
  }
  return `deno bundle failed: ${said}`;
}

/**
 * Builds the bundle of cli/main.ts into `output`, with the deno running us.
 * @returns its size in bytes
 * @throws {Error} with {@link explainBundleFailure}'s one line when `deno bundle` fails
 */
export async function buildBundle(output: string): Promise<number> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const dir = await Deno.makeTempDir({ prefix: "denomosh-bundle-" });
  try {
    const map = `${dir}/import_map.json`;
    await Deno.writeTextFile(map, JSON.stringify({ imports: bundleImportMap(config.imports) }));
    // The name matters: to a name that does not end in .js, esbuild imports CommonJS modules
    // without Node's rule (`default` is module.exports), and xterm's `default` is undefined.
    const built = `${dir}/denomosh.js`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "deno",
        "--import-map",
        map,
        "--output",
        built,
        `${ROOT}/cli/main.ts`,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(explainBundleFailure(new TextDecoder().decode(r.stderr)));
    await Deno.copyFile(built, output);
    return (await Deno.stat(output)).size;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

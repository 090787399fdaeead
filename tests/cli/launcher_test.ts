/**
 * The portable form (docs/install.md): the bundle `deno bundle` makes of cli/main.ts runs
 * each of the three programs with no config and no cache of ours, and the launcher finds it
 * through links, picks the runtime (its own copy first, else the PATH's), and says so when
 * there is none.
 */
import assert from "node:assert/strict";
import { buildBundle, bundleImportMap, explainBundleFailure } from "../../cli/bundle.ts";
import { launcherScript, LAYOUT } from "../../cli/launcher.ts";
import { BUNDLE_RUN_FLAGS, ROLE_FLAG, runMode } from "../../cli/self.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A prefix with the bundle and the launcher as the three programs. */
async function portablePrefix(): Promise<string> {
  const prefix = await Deno.makeTempDir({ prefix: "denomosh-portable-" });
  await Deno.mkdir(`${prefix}/bin`);
  await Deno.mkdir(`${prefix}/lib/denomosh`, { recursive: true });
  await buildBundle(`${prefix}/${LAYOUT.bundle}`);
  await Deno.writeTextFile(`${prefix}/bin/mosh`, launcherScript(), { mode: 0o755 });
  await Deno.symlink("mosh", `${prefix}/bin/mosh-server`);
  await Deno.symlink("mosh", `${prefix}/bin/mosh-client`);
  return prefix;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = await new Deno.Command(cmd, {
    args,
    env: { PATH: "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    cwd: "/",
  }).output();
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

Deno.test("the import map points @xterm/headless at its main file, and keeps the rest", () => {
  const map = bundleImportMap({
    "@xterm/headless": "npm:@xterm/headless@6.0.0",
    "fast-check": "npm:fast-check@4.10.2",
  });
  assert.deepEqual(map, {
    "@xterm/headless": "npm:@xterm/headless@6.0.0/lib-headless/xterm-headless.js",
    "fast-check": "npm:fast-check@4.10.2",
  });
  assert.match(
    explainBundleFailure(
      "error: error sending request for url (https://registry.npmjs.org/@esbuild%2flinux-x64)",
    ),
    /could not download esbuild from the npm registry/,
  );
  assert.equal(runMode(), "source");
});

Deno.test("the bundle is each program by the launcher's name, through links too", async () => {
  const prefix = await portablePrefix();
  try {
    for (
      const [name, banner] of [
        ["mosh", /^mosh \(denomosh /],
        ["mosh-server", /^mosh-server \(denomosh /],
        ["mosh-client", /^mosh-client \(denomosh /],
      ] as const
    ) {
      const r = await run(`${prefix}/bin/${name}`, ["--version"]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, banner);
    }
    // A link elsewhere, by the server's name, to the link in bin: found through both.
    const other = await Deno.makeTempDir();
    try {
      await Deno.symlink(`${prefix}/bin/mosh-server`, `${other}/mosh-server`);
      const r = await run(`${other}/mosh-server`, ["--version"]);
      assert.match(r.out, /^mosh-server \(denomosh /, r.err);
    } finally {
      await Deno.remove(other, { recursive: true });
    }
    // The client reads the terminfo database from the bundle as from source.
    const colors = await run(`${prefix}/bin/mosh-client`, ["-c"], { TERM: "xterm-256color" });
    assert.equal(colors.out.trim(), "256", colors.err);
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("the launcher runs its own runtime first, else the PATH's, else says there is none", async () => {
  const prefix = await Deno.makeTempDir({ prefix: "denomosh-launcher-" });
  try {
    await Deno.mkdir(`${prefix}/bin`);
    await Deno.mkdir(`${prefix}/lib/denomosh`, { recursive: true });
    await Deno.writeTextFile(`${prefix}/bin/mosh`, launcherScript(), { mode: 0o755 });
    await Deno.symlink("mosh", `${prefix}/bin/mosh-server`);
    // A runtime that shows how it was called.
    const runtime = `${prefix}/${LAYOUT.runtime}`;
    await Deno.writeTextFile(runtime, '#!/bin/sh\nprintf "%s\\n" "$0" "$@"\n', { mode: 0o755 });
    const r = await run(`${prefix}/bin/mosh-server`, ["new", "a b"]);
    const lib = `${prefix}/bin/../lib/denomosh`;
    assert.deepEqual(r.out.trimEnd().split("\n"), [
      `${lib}/deno`,
      "run",
      ...BUNDLE_RUN_FLAGS,
      `${lib}/denomosh.js`,
      `${ROLE_FLAG}mosh-server`,
      "new",
      "a b",
    ]);
    // Without it: the deno on the PATH (here, a directory with only a `deno` that says so).
    await Deno.remove(runtime);
    const path = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${path}/deno`, "#!/bin/sh\necho path-deno\n", { mode: 0o755 });
      const viaPath = await run(`${prefix}/bin/mosh`, [], { PATH: `${path}:/usr/bin:/bin` });
      assert.equal(viaPath.out, "path-deno\n");
    } finally {
      await Deno.remove(path, { recursive: true });
    }
    const none = await run(`${prefix}/bin/mosh`, [], { PATH: "/nonexistent" });
    assert.equal(none.code, 1);
    assert.match(
      none.err,
      /^mosh: no Deno runtime: .*lib\/denomosh\/deno is missing and there is no deno on the PATH\n$/,
    );
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

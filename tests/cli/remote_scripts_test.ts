/**
 * The host's side of an install, run here by the real `sh` with HOME in a temporary directory:
 * the probe reports what it finds, and the installer puts verified files in place, or leaves
 * nothing installed and nothing executable when the copy is corrupt, cut short, interrupted,
 * or does not fit on the disk (a tiny tmpfs, as root).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createHash } from "node:crypto";
import {
  INSTALL_SCRIPT,
  installCommand,
  INSTALLED,
  type InstallEntry,
  PROBE_SCRIPT,
  probeCommand,
} from "../../cli/remote_scripts.ts";
import { parseProbe } from "../../cli/install_plan.ts";
import { tarEnd, tarHeader, tarPadding } from "../../cli/tar.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A file to send: where it goes, its mode and bytes. */
interface Sent {
  path: string;
  mode: number;
  data: Uint8Array;
}

function tarOf(files: Sent[]): Uint8Array {
  const parts = files.flatMap((f, i) => [
    tarHeader(`f${i}`, f.data.length, 0o600),
    f.data,
    tarPadding(f.data.length),
  ]);
  parts.push(tarEnd());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) out.set(p, (off += p.length) - p.length);
  return out;
}

async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/**
 * Runs a remote command line as the login shell would (`sh -c LINE`) with HOME=`home`,
 * feeding it `input`.
 */
async function runRemote(
  line: string,
  home: string,
  input: Uint8Array,
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("sh", {
    args: ["-c", line],
    env: { HOME: home, PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(input).catch(() => {});
  await w.close().catch(() => {});
  const r = await child.output();
  return { code: r.code, out: text(r.stdout) + text(r.stderr) };
}

/**
 * Runs the installer itself (no shell in between), in a process group of its own, with half of
 * `input`, and sends the group `signal` once it has begun unpacking, as a hangup or a `kill` of
 * the job would; its input stays open until it has ended, so only the signal ends it.
 */
async function interruptInstaller(
  home: string,
  files: Sent[],
  signal: Deno.Signal,
): Promise<Deno.CommandStatus> {
  const args = entries(files).map((e) => `${e.path}:${e.mode.toString(8)}:${e.sha256}`);
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", INSTALL_SCRIPT, "denomosh-install", "raw", "sha256sum", ...args],
    env: { HOME: home, PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const input = tarOf(files);
  await w.write(input.subarray(0, input.length >> 1));
  await waitFor(async () => (await leftovers(home)).some((p) => p.includes("denomosh-install")));
  Deno.kill(-child.pid, signal); // setsid made it the leader of its group
  const status = await child.status;
  await w.close().catch(() => {});
  return status;
}

async function waitFor(test: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every path under `home`/.local, relative to it. */
async function leftovers(home: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      out.push(`${rel}${e.name}`);
      if (e.isDirectory) await walk(`${dir}/${e.name}`, `${rel}${e.name}/`);
    }
  };
  await walk(`${home}/.local`, "").catch(() => {});
  return out.sort();
}

/** Every regular file under `home`/.local with an execute bit. */
async function executables(home: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of await leftovers(home)) {
    const st = await Deno.lstat(`${home}/.local/${p}`);
    if (st.isFile && (st.mode! & 0o111)) out.push(p);
  }
  return out;
}

const entries = (files: Sent[]): InstallEntry[] =>
  files.map((f) => ({ path: f.path, mode: f.mode, sha256: sha256(f.data) }));

const SERVER: Sent = {
  path: "bin/mosh-server",
  mode: 0o755,
  data: new TextEncoder().encode("#!/bin/sh\necho ours\n"),
};
const BUNDLE: Sent = { path: "lib/denomosh/denomosh.js", mode: 0o644, data: new Uint8Array(5000) };

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "denomosh-home-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("the probe reports the platform, tools, home, space and the installed server", async () => {
  await withHome(async (home) => {
    const r = await runRemote(probeCommand(), home, new Uint8Array());
    const facts = parseProbe(r.out)!;
    const uname = text((await new Deno.Command("uname", { args: ["-sm"] }).output()).stdout);
    assert.equal(facts.platform, uname.trim());
    assert.equal(facts.server, undefined);
    assert.equal(facts.gzip, true);
    assert.equal(facts.checksum, "sha256sum");
    assert.equal(facts.home, "writable");
    assert.ok(facts.freeKiB! > 0);
    await Deno.mkdir(`${home}/.local/bin`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.local/bin/mosh-server`,
      "#!/bin/sh\necho 'mosh-server (denomosh 0.0.9, compatible with mosh 1.4.0)'\necho more\n",
      { mode: 0o755 },
    );
    const again = parseProbe((await runRemote(probeCommand(), home, new Uint8Array())).out)!;
    assert.equal(again.server, "mosh-server (denomosh 0.0.9, compatible with mosh 1.4.0)");
  });
  const none = parseProbe((await runRemote(probeCommand(), "/nonexistent", new Uint8Array())).out);
  assert.equal(none!.home, "missing");
  assert.ok(!PROBE_SCRIPT.includes("\n") && !PROBE_SCRIPT.includes("\\"));
});

Deno.test("random files, gzip'd or not, are installed with their modes, and nothing else stays", async () => {
  const sent = fc.record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/),
    mode: fc.constantFrom(0o644, 0o755),
    data: fc.uint8Array({ maxLength: 4000 }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(sent, { minLength: 1, maxLength: 3, selector: (s) => s.name }),
      fc.boolean(),
      async (specs, gz) => {
        const files = specs.map((s) => ({ path: `lib/denomosh/${s.name}`, ...s }));
        await withHome(async (home) => {
          const tar = tarOf(files);
          const r = await runRemote(
            installCommand(gz, "sha256sum", entries(files)),
            home,
            gz ? await gzip(tar) : tar,
          );
          assert.equal(r.code, 0, r.out);
          assert.ok(r.out.includes(INSTALLED));
          for (const f of files) {
            const at = `${home}/.local/${f.path}`;
            assert.deepEqual(await Deno.readFile(at), f.data);
            assert.equal((await Deno.stat(at)).mode! & 0o777, f.mode);
          }
          const expected = ["bin", "lib", "lib/denomosh", ...files.map((f) => f.path)].sort();
          assert.deepEqual(await leftovers(home), expected);
        });
      },
    ),
    { numRuns: 15 },
  );
});

Deno.test("shasum and openssl check the copy as sha256sum does", async () => {
  for (const tool of ["shasum", "openssl"]) {
    await withHome(async (home) => {
      const files = [BUNDLE, SERVER];
      const r = await runRemote(installCommand(false, tool, entries(files)), home, tarOf(files));
      assert.equal(r.code, 0, `${tool}: ${r.out}`);
      const bad = entries(files).map((e) => ({ ...e, sha256: "0".repeat(64) }));
      const r2 = await runRemote(installCommand(false, tool, bad), home, tarOf(files));
      assert.match(r2.out, /DENOMOSH-ERROR checksum lib\/denomosh\/denomosh.js/, tool);
    });
  }
});

Deno.test("a corrupt copy is refused by its sha256: nothing installed, nothing executable", async () => {
  await withHome(async (home) => {
    const files = [BUNDLE, SERVER];
    const tar = tarOf(files);
    tar[512 + 100] ^= 0xff; // in the bundle's data; tar itself cannot tell
    const r = await runRemote(installCommand(false, "sha256sum", entries(files)), home, tar);
    assert.equal(r.code, 1);
    assert.match(r.out, /^DENOMOSH-ERROR checksum lib\/denomosh\/denomosh\.js$/m);
    assert.deepEqual(await leftovers(home), ["bin", "lib", "lib/denomosh"]);
  });
});

Deno.test("a copy cut short, raw or gzip'd, installs nothing", async () => {
  for (const gz of [false, true]) {
    await withHome(async (home) => {
      const files = [BUNDLE, SERVER];
      const whole = gz ? await gzip(tarOf(files)) : tarOf(files);
      const cut = whole.subarray(0, whole.length - (gz ? 20 : 1100));
      const r = await runRemote(installCommand(gz, "sha256sum", entries(files)), home, cut);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /^DENOMOSH-ERROR copy /m);
      assert.deepEqual(await leftovers(home), ["bin", "lib", "lib/denomosh"]);
    });
  }
});

Deno.test("an installer interrupted mid-copy leaves nothing installed and nothing executable", async () => {
  for (const signal of ["SIGTERM", "SIGHUP", "SIGKILL"] as const) {
    await withHome(async (home) => {
      const files = [{ ...BUNDLE, data: new Uint8Array(300_000) }, SERVER];
      const status = await interruptInstaller(home, files, signal);
      assert.equal(status.success, false, signal);
      assert.deepEqual(await executables(home), [], signal);
      const left = await leftovers(home);
      assert.ok(!left.includes("bin/mosh-server"), `${signal}: ${left}`);
      // A trap can clean up after TERM and HUP; KILL leaves the hidden, unexecutable directory.
      if (signal !== "SIGKILL") assert.deepEqual(left, ["bin", "lib", "lib/denomosh"], signal);
    });
  }
});

Deno.test("a home that cannot hold ~/.local is refused before anything is unpacked", async () => {
  const r = await runRemote(
    installCommand(false, "sha256sum", entries([SERVER])),
    "/nonexistent",
    tarOf([SERVER]),
  );
  assert.match(r.out, /^DENOMOSH-ERROR home there is no home directory$/m);
  await withHome(async (home) => {
    await Deno.writeTextFile(`${home}/.local`, "a file where the directory should be");
    const r2 = await runRemote(
      installCommand(false, "sha256sum", entries([SERVER])),
      home,
      tarOf([SERVER]),
    );
    assert.match(r2.out, /^DENOMOSH-ERROR home .*\.local is not writable$/m);
  });
});

Deno.test({
  name: "a disk that fills during the copy: the disk is named, nothing stays",
  ignore: Deno.uid() !== 0,
  async fn() {
    await withHome(async (home) => {
      await Deno.mkdir(`${home}/.local`);
      const mount = await new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", `${home}/.local`],
        stderr: "piped",
      }).output();
      assert.ok(mount.success, text(mount.stderr));
      try {
        const files = [{ ...BUNDLE, data: new Uint8Array(200_000).fill(7) }, SERVER];
        const r = await runRemote(
          installCommand(true, "sha256sum", entries(files)),
          home,
          await gzip(tarOf(files)),
        );
        assert.equal(r.code, 1);
        assert.match(r.out, /^DENOMOSH-ERROR space while unpacking$/m);
        assert.deepEqual(await leftovers(home), ["bin", "lib", "lib/denomosh"]);
      } finally {
        await new Deno.Command("umount", { args: [`${home}/.local`] }).output();
      }
    });
  },
});

Deno.test("paths and checksums the installer would misread are refused here", () => {
  const ok = { path: "bin/mosh-server", mode: 0o755, sha256: "a".repeat(64) };
  for (const path of ["../x", "bin/../../x", "/abs", "a b", "a:b", "bin/$(x)", ""]) {
    assert.throws(() => installCommand(true, "sha256sum", [{ ...ok, path }]), RangeError, path);
  }
  assert.throws(() => installCommand(true, "sha256sum", [{ ...ok, sha256: "A".repeat(64) }]));
  assert.doesNotThrow(() => installCommand(true, "sha256sum", [ok]));
});

/**
 * `deno task install --prefix DIR` without a compiled binary installs the portable form
 * (docs/install.md), and sessions run through the installed programs: `mosh --local` (the
 * bundle starting its server and client as itself), and this machine's
 * `DIR/bin/mosh` and `DIR/bin/mosh-client`, and `DIR/bin/mosh-server` run from another account
 * over a real sshd (tests/e2e/_remote_user.ts), under the deno on that account's PATH, or
 * under the copied runtime when the PATH has none (`--with-runtime`).
 *
 * The sessions from another account need root (sshd, useradd); skipped with the reason
 * otherwise.
 */
import assert from "node:assert/strict";
import { shellQuote, Tmux } from "./_tmux.ts";
import { sshdUnavailable, startSshd } from "./_sshd.ts";
import { remoteUser, remoteUserUnavailable } from "./_remote_user.ts";
import { OUTPUT } from "../../tools/compile.ts";

const why = sshdUnavailable() ?? remoteUserUnavailable();
if (why) console.warn(why);
const ROOT = new URL("../..", import.meta.url).pathname;

/** `deno task install --prefix DIR` (and `extra`), as a user types it; what it printed. */
async function taskInstall(prefix: string, extra: string[] = []): Promise<string> {
  // A compiled dist/mosh would be installed instead: this test is about the portable form.
  const portable = await Deno.stat(OUTPUT).then(() => ["--portable"], () => []);
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", "install", "--prefix", prefix, ...portable, ...extra],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assert.ok(r.success, text);
  return text;
}

Deno.test({
  name:
    "deno task install --prefix: a session through the installed mosh, mosh-client and mosh-server",
  ignore: why !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const sshd = await startSshd();
    const user = await remoteUser(sshd);
    const prefix = await Deno.makeTempDir({ prefix: "denomosh-prefix-" });
    await Deno.chmod(prefix, 0o755); // the other account runs mosh-server from it
    try {
      const session = async (hide: string[]) => {
        await user.reset({ hide });
        const words = [
          `${prefix}/bin/mosh`,
          `--ssh=${sshd.sshCommand}`,
          `--server=${prefix}/bin/mosh-server`,
          `--client=${prefix}/bin/mosh-client`,
          `${user.name}@127.0.0.1`,
        ];
        const tmux = await Tmux.start(
          `sh -c ${shellQuote(words.map(shellQuote).join(" ") + '; echo "exit=$?"; sleep 60')}`,
        );
        try {
          await tmux.waitFor((s) => /^\$ *$/m.test(s), 60_000, "a shell prompt over mosh");
          await tmux.type("echo via-portable $((40+2)) $(id -un)");
          await tmux.keys("Enter");
          await tmux.waitFor(
            (s) => s.includes(`via-portable 42 ${user.name}`),
            10_000,
            "the command's output, from the other account",
          );
          await tmux.keys("C-^");
          await tmux.type(".");
          assert.match(await tmux.waitFor((s) => s.includes("exit="), 15_000, "exit"), /exit=0/);
        } finally {
          await tmux.close();
        }
      };

      await t.step("under the deno on the PATH", async () => {
        const said = await taskInstall(prefix);
        assert.match(said, /installed the portable form: .* under the deno on your PATH/);
        for (const name of ["mosh-client", "mosh-server"]) {
          assert.equal(await Deno.readLink(`${prefix}/bin/${name}`), "mosh");
        }
        await session([]);
      });

      await t.step(
        "--with-runtime: under its own copy of Deno, on a PATH without deno",
        async () => {
          const said = await taskInstall(prefix, ["--with-runtime"]);
          assert.match(said, /under .*\/lib\/denomosh\/deno/);
          assert.equal((await Deno.stat(`${prefix}/lib/denomosh/deno`)).mode! & 0o777, 0o755);
          await session(["deno"]);
        },
      );
    } finally {
      await Deno.remove(prefix, { recursive: true }).catch(() => {});
      await user.close();
      await sshd.close();
    }
  },
});

Deno.test({
  name: "deno task install --prefix, then mosh --local: the bundled programs start each other",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "denomosh-prefix-" });
    try {
      await taskInstall(prefix);
      const line = `${shellQuote(`${prefix}/bin/mosh`)} --local; echo "exit=$?"; sleep 60`;
      const tmux = await Tmux.start(`sh -c ${shellQuote(line)}`);
      try {
        await tmux.waitFor((s) => /[#$] *$/m.test(s), 30_000, "a shell prompt over mosh");
        await tmux.type("echo via-bundle $((40+2))");
        await tmux.keys("Enter");
        await tmux.waitFor((s) => s.includes("via-bundle 42"), 10_000, "the command's output");
        await tmux.keys("C-^");
        await tmux.type(".");
        assert.match(await tmux.waitFor((s) => s.includes("exit="), 15_000, "exit"), /exit=0/);
      } finally {
        await tmux.close();
      }
    } finally {
      await Deno.remove(prefix, { recursive: true }).catch(() => {});
    }
  },
});

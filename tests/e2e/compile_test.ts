/**
 * The standalone executable: built by `deno task compile`, installed by `deno task install`,
 * and run under its three names. `deno compile` needs Deno's runtime (denort), which it
 * downloads; where that is impossible (as on our CI) set DENORT_BIN to a denort binary, or the
 * test reports itself skipped with that reason.
 */
import assert from "node:assert/strict";
import { explainCompileFailure } from "../../tools/compile.ts";
import { install } from "../../tools/install.ts";
import { shellQuote, Tmux } from "./_tmux.ts";

const denort = Deno.env.get("DENORT_BIN");
const reason = denort
  ? null
  : "skipped: DENORT_BIN is not set, and deno compile cannot download denort (Deno's runtime) " +
    "from this network; set DENORT_BIN=/path/to/denort to run it";
if (reason) console.warn(reason);

Deno.test("a failed runtime download is explained, with the way out", () => {
  const msg = explainCompileFailure(
    "error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip)",
  );
  assert.match(msg, /could not download its runtime \(denort\)/);
  assert.match(msg, /DENORT_BIN=\/path\/to\/denort deno task compile/);
});

Deno.test("install puts one executable in PREFIX/bin with mosh-client and mosh-server links", async () => {
  const prefix = await Deno.makeTempDir();
  try {
    const fake = `${prefix}/built`;
    await Deno.writeTextFile(fake, '#!/bin/sh\necho "$0"\n');
    const bin = await install(fake, prefix);
    assert.equal((await Deno.stat(`${bin}/mosh`)).mode! & 0o777, 0o755);
    for (const name of ["mosh-client", "mosh-server"]) {
      assert.equal(await Deno.readLink(`${bin}/${name}`), "mosh");
    }
    await install(fake, prefix); // again, over the first
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test({
  name: "the compiled executable is mosh, mosh-client or mosh-server by its name, and works",
  ignore: reason !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = new URL("../..", import.meta.url).pathname;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: root,
      env: { DENORT_BIN: denort! },
    }).output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));
    const prefix = await Deno.makeTempDir();
    try {
      const bin = await install(`${root}/dist/mosh`, prefix);
      const run = async (name: string, args: string[]) => {
        const r = await new Deno.Command(`${bin}/${name}`, { args, env: { LANG: "C.UTF-8" } })
          .output();
        return new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
      };
      assert.match(await run("mosh", ["--version"]), /^mosh \(denomosh/);
      assert.match(await run("mosh-client", ["--help"]), /Usage: .* \[-# 'ARGS'\] IP PORT/);
      assert.match(await run("mosh-server", ["--help"]), /Usage: .* new/);
      const tmux = await Tmux.start(
        `sh -c ${shellQuote(`${bin}/mosh --local; echo "exit=$?"; sleep 30`)}`,
      );
      try {
        await tmux.waitFor((s) => /[#$] *$/m.test(s), 15_000, "a shell from the compiled mosh");
        await tmux.keys("C-^");
        await tmux.type(".");
        assert.match(await tmux.waitFor((s) => s.includes("exit="), 10_000, "exit"), /exit=0/);
      } finally {
        await tmux.close();
      }
    } finally {
      await Deno.remove(prefix, { recursive: true });
    }
  },
});

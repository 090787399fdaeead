/**
 * mosh-client's start: the key leaves the environment before anything else, and the client
 * keeps only the settings it reads (in a child process, since it changes its environment).
 */
import assert from "node:assert/strict";

const MODULE = new URL("../../cli/mosh_client.ts", import.meta.url).href;
const KEY = "AAECAwQFBgcICQoLDA0ODw";

Deno.test("takeClientEnvironment removes MOSH_KEY everywhere and keeps only the client's settings", async () => {
  const script = `
    import { takeClientEnvironment } from ${JSON.stringify(MODULE)};
    const { parsed, env } = takeClientEnvironment(["127.0.0.1", "60001"]);
    console.log(JSON.stringify({
      env,
      key: parsed.options.key.toString(),
      predict: parsed.options.predict,
      stillSet: Deno.env.get("MOSH_KEY") ?? null,
      inProcEnviron: Deno.readTextFileSync("/proc/self/environ").includes(${JSON.stringify(KEY)}),
    }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    env: {
      MOSH_KEY: KEY,
      MOSH_PREDICTION_DISPLAY: "always",
      MOSH_ESCAPE_KEY: "~",
      LANG: "C.UTF-8",
      TERM: "xterm",
      SECRET_OF_SOMETHING_ELSE: "x",
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(r.key, KEY, "the key was parsed");
  assert.equal(r.predict, "always");
  assert.equal(r.stillSet, null, "MOSH_KEY is no longer in the process environment");
  assert.equal(r.inProcEnviron, false, "nor in the starting copy /proc/self/environ shows");
  assert.deepEqual(r.env, {
    TERM: "xterm",
    LANG: "C.UTF-8",
    MOSH_ESCAPE_KEY: "~",
    MOSH_PREDICTION_DISPLAY: "always",
  });
});

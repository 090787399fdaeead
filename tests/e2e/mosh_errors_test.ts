/**
 * The `mosh` command's refusals before anything is started: each one clear, with a non-zero
 * exit, in mosh 1.4.0's words where mosh has words for it.
 */
import assert from "node:assert/strict";
import { runOurs } from "./_programs.ts";

function mosh(args: string[], env: Record<string, string> = { LANG: "C.UTF-8" }) {
  return runOurs("mosh", args, { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env }, true);
}

Deno.test("mosh refuses bad options, modes, ports and a non-UTF-8 locale", async () => {
  const cases: [string[], Record<string, string> | undefined, RegExp][] = [
    [["host", "ls", "-la"], undefined, /^Unknown option: la\nUsage: mosh \[options\]/],
    [["--predict=sometimes", "host"], undefined, /Unknown mode "sometimes"\./],
    [
      ["host"],
      { LANG: "C.UTF-8", MOSH_PREDICTION_DISPLAY: "x" },
      /\(MOSH_PREDICTION_DISPLAY in environment\)/,
    ],
    [
      ["-p", "0:9", "host"],
      undefined,
      /Server-side port ranges may not be used with starting port 0/,
    ],
    [["--experimental-remote-ip=dns", "host"], undefined, /Unknown parameter dns/],
    [["host"], { LANG: "C" }, /your locale is not UTF-8 \(LANG=C.*export LANG=C\.UTF-8/s],
    [[], undefined, /^Usage: mosh/],
  ];
  for (const [args, env, message] of cases) {
    const r = await mosh(args, env);
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
  const help = await mosh(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--ssh=COMMAND/);
});

/**
 * mosh-server with odd operands answers at once, in Debian's mosh-server 1.4.0's words: each
 * case runs both programs and compares the exit status, whether a session started, and the
 * diagnostics printed before the version banner.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { MOSH_SERVER, moshMissing } from "../_debian_mosh.ts";
import { processAlive } from "./_programs.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** Each run must answer within this long: a name lookup that hangs would not. */
const ANSWER_MS = 15_000;

/** Ours or Debian's; Debian's names itself by its path in the usage, which is undone. */
async function run(which: "ours" | "debian", args: string[]) {
  const cmd = which === "ours" ? selfCommand("mosh-server", []) : { cmd: MOSH_SERVER, args: [] };
  const out = await new Deno.Command(cmd.cmd, {
    args: [...cmd.args, ...args],
    env: { LANG: "C.UTF-8" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ANSWER_MS),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const pid = Number(stderr.match(/detached, pid = (\d+)/)?.[1] ?? 0);
  if (pid && processAlive(pid)) Deno.kill(pid, "SIGKILL"); // the daemon this run started
  return {
    code: out.code,
    session: /^MOSH CONNECT \d+ \S{22}$/m.test(stdout),
    // What comes before the version banner, which differs by design.
    diagnostics: stderr.split(/\n?mosh-server \((?:mosh|denomosh) /)[0].trimEnd()
      .replaceAll(MOSH_SERVER, "mosh-server"),
  };
}

// `list` and `attach` are subcommands of ours (reattach, docs/sessions.md): where Debian's
// mosh-server takes them for an address, ours lists and attaches (tests/cli/session_command_test.ts).
const CASES: string[][] = [
  ["-x"],
  ["foo", "bar"],
  ["127.0.0.1", "abc"],
  ["a", "b", "c"],
  ["new", "extra"],
  ["new", "-x", "-p", "0"],
  ["new", "-p"],
  ["new", "-i"],
  ["new", "-p", "0", "--"],
  ["0", "0", "--"],
];

Deno.test({
  name: "odd operands: mosh-server answers at once, as Debian's mosh-server 1.4.0 does",
  ignore: moshMissing,
  ...e2e,
  async fn() {
    for (const args of CASES) {
      const theirs = await run("debian", args);
      const ours = await run("ours", args);
      const what = `mosh-server ${args.join(" ")}`;
      assert.equal(ours.code, theirs.code, `${what}: exit status`);
      assert.equal(ours.session, theirs.session, `${what}: a session started`);
      assert.equal(ours.diagnostics, theirs.diagnostics, `${what}: what it says`);
    }
  },
});

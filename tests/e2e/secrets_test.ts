/**
 * What a session leaves lying around: no core dumps from either program (while the user's
 * shell keeps the user's own limit), no session key in the client's environment (not even in
 * the starting copy that /proc/PID/environ shows), and a screen dump only its owner can read,
 * never written through a symbolic link.
 */
import assert from "node:assert/strict";
import { clientCommand, clientPid, startServer } from "./_programs.ts";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { pollUntil } from "../_poll.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** A soft core limit the test environment would not have by chance: 3 MiB, `ulimit -c` 3072. */
const USER_CORE_BYTES = 3 * 1024 * 1024;
const WITH_CORE_LIMIT = ["prlimit", `--core=${USER_CORE_BYTES}:`, "--"];

/** The soft and hard "Max core file size" of a process, from /proc/PID/limits. */
function coreLimits(pid: number): { soft: string; hard: string } {
  const line = Deno.readTextFileSync(`/proc/${pid}/limits`).split("\n")
    .find((l) => l.startsWith("Max core file size"));
  assert.ok(line, `no core line in /proc/${pid}/limits`);
  const [soft, hard] = line.slice("Max core file size".length).trim().split(/\s+/);
  return { soft, hard };
}

/** Waits until `path` exists, up to `ms`. */
async function waitForFile(path: string, ms = 5000): Promise<void> {
  const exists = () => Deno.lstat(path).then(() => true, () => false);
  if (!(await pollUntil(exists, (yes) => yes, ms, 25)).done) {
    throw new Error(`${path} did not appear within ${ms} ms`);
  }
}

Deno.test({
  name: "no core dumps, no key in the client's environment, a private screen dump",
  ...e2e,
  async fn() {
    const dir = Deno.makeTempDirSync();
    const dump = `${dir}/screen.json`;
    const victim = `${dir}/victim`;
    Deno.writeTextFileSync(victim, "precious");
    const shell = [
      "/bin/bash",
      "-c",
      'echo "ulimit=$(ulimit -c)"; grep "core file" /proc/$$/limits; sleep 60',
    ];
    const s = await startServer(
      "ours",
      ["-i", "127.0.0.1", "-p", "0"],
      shell,
      { MOSH_SERVER_SCREEN_DUMP: dump },
      WITH_CORE_LIMIT,
    );
    const client = `${WITH_CORE_LIMIT.join(" ")} ${clientCommand("ours", s)}`;
    const tmux = await Tmux.start(`sh -c ${shellQuote(client + "; sleep 30")}`);
    try {
      assert.deepEqual(coreLimits(s.pid), { soft: "0", hard: "unlimited" }, "the daemon");
      const screen = await tmux.waitFor((x) => x.includes("ulimit="), 15_000, "the shell");
      assert.match(screen, /^ulimit=3072$/m, "ulimit -c in the shell (KiB)");
      assert.match(screen, new RegExp(`Max core file size\\s+${USER_CORE_BYTES}\\s+unlimited`));
      const client = clientPid(s.port);
      assert.deepEqual(coreLimits(client), { soft: "0", hard: "unlimited" }, "the client");

      // The key reached the client through its environment; it is gone from it, even from
      // the starting copy that other processes of the user can read.
      const environ = Deno.readTextFileSync(`/proc/${client}/environ`);
      assert.ok(environ.includes("LANG="), "the environment is readable");
      assert.ok(!environ.includes(s.key), "the key is still in /proc/PID/environ");

      // The screen dump: never through a symbolic link; then a new file of mode 0600.
      Deno.symlinkSync(victim, dump);
      Deno.kill(s.pid, "SIGUSR2");
      await sleep(300);
      Deno.removeSync(dump);
      Deno.kill(s.pid, "SIGUSR2");
      await waitForFile(dump);
      assert.equal(Deno.readTextFileSync(victim), "precious");
      assert.equal(Deno.lstatSync(dump).isFile, true);
      assert.equal(Deno.statSync(dump).mode! & 0o777, 0o600);
      assert.match(Deno.readTextFileSync(dump), /ulimit=3072/);
    } finally {
      await tmux.close();
      s.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

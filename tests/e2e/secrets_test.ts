/**
 * What a session leaves lying around: no core dumps from either program (while the user's
 * shell keeps the user's own limit).
 */
import assert from "node:assert/strict";
import { clientCommand, clientPid, startServer } from "./_programs.ts";
import { shellQuote, Tmux } from "./_tmux.ts";

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

Deno.test({
  name: "core dumps are off in the daemon and the client, and the shell keeps the user's limit",
  ...e2e,
  async fn() {
    const shell = [
      "/bin/bash",
      "-c",
      'echo "ulimit=$(ulimit -c)"; grep "core file" /proc/$$/limits; sleep 60',
    ];
    const s = await startServer(
      "ours",
      ["-i", "127.0.0.1", "-p", "0"],
      shell,
      {},
      WITH_CORE_LIMIT,
    );
    const client = `${WITH_CORE_LIMIT.join(" ")} ${clientCommand("ours", s)}`;
    const tmux = await Tmux.start(`sh -c ${shellQuote(client + "; sleep 30")}`);
    try {
      assert.deepEqual(coreLimits(s.pid), { soft: "0", hard: "unlimited" }, "the daemon");
      const screen = await tmux.waitFor((x) => x.includes("ulimit="), 15_000, "the shell");
      assert.match(screen, /^ulimit=3072$/m, "ulimit -c in the shell (KiB)");
      assert.match(screen, new RegExp(`Max core file size\\s+${USER_CORE_BYTES}\\s+unlimited`));
      assert.deepEqual(coreLimits(clientPid(s.port)), { soft: "0", hard: "unlimited" }, "client");
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

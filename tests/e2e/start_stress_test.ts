/**
 * `mosh-server new` always starts, even when stdin is not a terminal and the machine is busy.
 *
 * It used to die about once in 30 starts under load with "ioctl(TIOCGWINSZ) fd 0 failed: No
 * such file or directory (ENOENT)": the window size of stdin (/dev/null here, as under ssh
 * without a tty) was decided from an errno read after the failing call, which the runtime had
 * overwritten in between (io/libc.ts's module doc). This starts it 200 times with stdin on
 * /dev/null while two busy loops load both cores, kills each daemon, and expects no failure.
 */

import assert from "node:assert/strict";
import { startServer } from "./_programs.ts";

const STARTS = 200;
/** Starts running at once: enough to keep the loaded cores busy, few enough to stay fair. */
const PARALLEL = 4;
/** The busy loops end by themselves after this long, whatever happens to the test. */
const BUSY_LIMIT_S = 600;

/** The processes whose command line holds `mark`, after a moment for them to go. */
async function running(mark: string): Promise<string[]> {
  let found: string[] = [];
  for (let i = 0; i < 20; i++) {
    found = [];
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
      if (cmdline.includes(mark)) found.push(`${e.name}: ${cmdline.replaceAll("\0", " ")}`);
    }
    if (found.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return found;
}

Deno.test({
  name:
    `mosh-server new starts ${STARTS} times out of ${STARTS} with stdin on /dev/null under load`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Named, so that the test can check that none outlives it.
    const mark = `denomosh-busy-${Deno.pid}`;
    const busy = [0, 1].map(() =>
      new Deno.Command("timeout", {
        args: [String(BUSY_LIMIT_S), "sh", "-c", `: ${mark}; while :; do :; done`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn()
    );
    const failures: string[] = [];
    let started = 0;
    const t0 = performance.now();
    try {
      let next = 0;
      const worker = async () => {
        while (next < STARTS) {
          next++;
          try {
            const server = await startServer("ours", [], ["/bin/true"]);
            started++;
            server.stop();
          } catch (e) {
            failures.push(e instanceof Error ? e.message : String(e));
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
    } finally {
      // SIGTERM, which timeout passes on to its loop: a SIGKILL would end timeout alone and
      // leave the loop running, orphaned, on a core for good.
      for (const p of busy) {
        try {
          p.kill("SIGTERM");
        } catch {
          // already gone
        }
        await p.status;
      }
    }
    assert.deepEqual(await running(mark), [], "a busy loop outlived the test");
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `mosh-server new: ${STARTS} starts, ${started} started, ${failures.length} failures, ` +
        `${seconds} s wall time (${PARALLEL} at a time, 2 busy loops)`,
    );
    assert.deepEqual(failures, []);
    assert.equal(started, STARTS);
  },
});

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

Deno.test({
  name:
    `mosh-server new starts ${STARTS} times out of ${STARTS} with stdin on /dev/null under load`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const busy = [0, 1].map(() =>
      new Deno.Command("timeout", {
        args: [String(BUSY_LIMIT_S), "sh", "-c", "while :; do :; done"],
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
      for (const p of busy) {
        try {
          p.kill("SIGKILL");
        } catch {
          // already gone
        }
        await p.status;
      }
    }
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `mosh-server new: ${STARTS} starts, ${started} started, ${failures.length} failures, ` +
        `${seconds} s wall time (${PARALLEL} at a time, 2 busy loops)`,
    );
    assert.deepEqual(failures, []);
    assert.equal(started, STARTS);
  },
});

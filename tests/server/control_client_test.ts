/**
 * The asking side against real daemon processes: every session listed with what it says,
 * stale sockets gone on the way, the detached ones picked out for the new-session notice.
 */
import assert from "node:assert/strict";
import {
  detachedNotice,
  detachedSessions,
  listSessions,
  requestAttach,
} from "../../server/control_client.ts";
import { sessionBase, startDaemon } from "./_daemons.ts";

Deno.test("listSessions and detachedSessions over real daemons, a stale one removed", async () => {
  const { runtime, dir } = sessionBase();
  const [away, here, never, killed] = await Promise.all([
    startDaemon(dir, { command: "-bash", contactAgoMs: 31_000, lastClient: "10.0.0.1:4000" }),
    startDaemon(dir, { command: "vim", contactAgoMs: 1000, lastClient: "10.0.0.2:4000" }),
    startDaemon(dir, { command: "top" }),
    startDaemon(dir, { command: "doomed" }),
  ]);
  try {
    await killed.kill();
    const log: string[] = [];
    const entries = await listSessions(dir, (l) => log.push(l));
    assert.deepEqual(
      entries.map((e) => [e.pid, e.info?.command, e.info?.lastClient]),
      [
        [away.pid, "-bash", "10.0.0.1:4000"],
        [here.pid, "vim", "10.0.0.2:4000"],
        [never.pid, "top", null],
      ].sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    assert.deepEqual(log, [
      `removed the stale session socket ${dir}/${killed.pid}.sock: process ${killed.pid} is gone`,
    ]);

    const detached = await detachedSessions(dir);
    assert.deepEqual(detached.map((s) => s.pid), [away.pid, never.pid].sort((a, b) => a - b));
    assert.deepEqual(
      (await detachedSessions(dir, { exclude: never.pid })).map((s) => s.pid),
      [away.pid],
    );
    // Later, the one in use counts as detached too.
    assert.equal((await detachedSessions(dir, { now: Date.now() + 40_000 })).length, 3);
    assert.deepEqual(await detachedSessions(null), []);

    // The key comes back from the daemon that made it.
    const answer = await requestAttach(`${dir}/${here.pid}.sock`, {});
    assert.ok(!("error" in answer));
    assert.equal(answer.key, (await here.attachedSoon())[0]?.key);
  } finally {
    await Promise.all([away.stop(), here.stop(), never.stop()]);
    Deno.removeSync(runtime, { recursive: true });
  }
});

Deno.test("the notice names the pids and the command that attaches", () => {
  const session = (pid: number) => ({
    pid,
    started: 0,
    command: "-bash",
    lastContact: null,
    lastClient: null,
  });
  assert.equal(detachedNotice([]), null);
  assert.equal(
    detachedNotice([session(12)], "example.org"),
    "denomosh: you have a detached session here (pid 12); attach with: mosh --attach example.org",
  );
  assert.equal(
    detachedNotice([session(12), session(34)]),
    "denomosh: you have 2 detached sessions here (pids 12, 34); " +
      "attach with: mosh --attach=PID HOST",
  );
});

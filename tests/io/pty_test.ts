/**
 * Real children on real ptys: output and end of file, window size and SIGWINCH, the
 * controlling terminal and job control, environment and argv[0], errors, fds, signals and
 * non-blocking writes. Every wait has a deadline, and every child is killed and reaped.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Pty, PTY_READ_BYTES, type PtySpawnOptions } from "../../io/pty.ts";
import { close, kill, O_RDWR, open, SystemError } from "../../io/libc.ts";
import { MainWait } from "../../io/main_wait.ts";
import { monotonicNow } from "../../io/clock.ts";

const PATH = "/usr/local/bin:/usr/bin:/bin";
const decoder = new TextDecoder();

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 5 ms until it holds, for at most `ms`. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Everything a pty's child writes, read in the background until end of file. */
class Output {
  text = "";
  chunks: number[] = [];
  readonly done: Promise<void>;

  constructor(pty: Pty) {
    this.done = (async () => {
      for (let b; (b = await pty.read()) !== null;) {
        this.chunks.push(b.length);
        this.text += decoder.decode(b, { stream: true });
      }
    })();
  }

  /** Waits until the output contains `s`. */
  waitFor(s: string, ms = 3000): Promise<void> {
    return until(() => this.text.includes(s), ms, `output ${JSON.stringify(s)}`);
  }
}

/**
 * Spawns a child on a pty, runs `body`, then kills the child's process group if it still
 * runs, reaps it, closes the pty and waits for the reader, all with deadlines.
 */
async function withPty(
  options: Partial<PtySpawnOptions> & { argv: string[] },
  body: (pty: Pty, out: Output) => Promise<void>,
): Promise<void> {
  const pty = Pty.spawn({ env: { PATH }, cols: 80, rows: 24, ...options });
  const out = new Output(pty);
  try {
    await body(pty, out);
  } finally {
    if (pty.tryWait() === null) {
      try {
        kill(-pty.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await within(pty.wait(), 3000, "reaping the child");
    pty.close();
    await within(out.done, 3000, "the reader ending");
  }
}

function fdCount(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** Fields of /proc/<pid>/stat after the command name: state is [0], ppid [1], tpgid [5]. */
function statFields(pid: number): string[] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Pids of this process's zombie children. */
function zombieChildren(): number[] {
  const zombies: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const f = statFields(Number(e.name));
      if (f[0] === "Z" && Number(f[1]) === Deno.pid) zombies.push(Number(e.name));
    } catch { /* gone meanwhile */ }
  }
  return zombies;
}

Deno.test("a child's output arrives, then end of file, exit code 0, and no zombie", async () => {
  await withPty({ argv: ["/bin/sh", "-c", "echo hello; stty size; stty -a"] }, async (pty, out) => {
    await within(out.done, 3000, "end of file after the child exits");
    assert.match(out.text, /hello\r\n/);
    assert.match(out.text, /^24 80\r$/m);
    assert.match(out.text, /(^|\s)iutf8(\s|$)/m, "IUTF8 is set");
    assert.equal(await pty.read(), null, "end of file stays end of file");
    assert.deepEqual(await within(pty.wait(), 3000, "exit status"), { code: 0, signal: null });
    assert.deepEqual(await pty.wait(), { code: 0, signal: null }, "wait() again, same answer");
    assert.equal(pty.tryWait()?.code, 0);
    assert.equal(pty.kill(), false, "a reaped child's pid is not signalled");
    assert.throws(() => Deno.statSync(`/proc/${pty.pid}`), Deno.errors.NotFound);
    assert.equal(pty.ttyName.startsWith("/dev/pts/"), true);
  });
});

Deno.test("resize: the new size is the child's, and a shell trapping SIGWINCH sees it", async () => {
  await withPty({ argv: ["/bin/sh", "-c", "read x; stty size"] }, async (pty, out) => {
    pty.resize(100, 30);
    pty.write(new TextEncoder().encode("\n"));
    await within(out.done, 3000, "the child printing its size");
    assert.match(out.text, /^30 100\r$/m);
  });
  const script = "trap 'stty size; exit 3' WINCH; echo ready; while :; do sleep 0.02; done";
  await withPty({ argv: ["/bin/sh", "-c", script] }, async (pty, out) => {
    await out.waitFor("ready");
    pty.resize(100, 30);
    assert.deepEqual(await within(pty.wait(), 3000, "the trap running"), { code: 3, signal: null });
    await within(out.done, 3000, "end of file");
    assert.match(out.text, /^30 100\r$/m);
  });
  await withPty({ argv: ["/bin/true"] }, (pty) => {
    assert.throws(() => pty.resize(-1, 24), RangeError);
    assert.throws(() => pty.resize(80, 70000), RangeError);
    return Promise.resolve();
  });
});

Deno.test("the slave is the child's controlling terminal: Ctrl-C interrupts it", async () => {
  await withPty({ argv: ["sleep", "10"] }, async (pty) => {
    const [, , , session, ttyNr, tpgid] = statFields(pty.pid);
    assert.equal(Number(session), pty.pid, "the child leads its own session");
    assert.notEqual(Number(ttyNr), 0, "it has a controlling terminal");
    assert.equal(Number(tpgid), pty.pid, "its process group is the terminal's foreground");
    const started = Date.now();
    pty.write(new Uint8Array([0x03]));
    const status = await within(pty.wait(), 3000, "sleep ending on Ctrl-C");
    assert.deepEqual(status, { code: null, signal: 2 });
    assert.ok(Date.now() - started < 3000);
  });
});

Deno.test("job control: an interactive shell runs a foreground job that Ctrl-C stops", async () => {
  await withPty({ argv: ["/bin/sh", "-i"], env: { PATH, PS1: "$ " } }, async (pty, out) => {
    await out.waitFor("$ ");
    pty.write(new TextEncoder().encode("sleep 10\n"));
    // The job is in the foreground once the terminal's process group is a running sleep.
    await until(
      () => {
        const tpgid = Number(statFields(pty.pid)[5]);
        try {
          return tpgid !== pty.pid && Deno.readTextFileSync(`/proc/${tpgid}/comm`) === "sleep\n";
        } catch {
          return false;
        }
      },
      3000,
      "sleep as the foreground job",
    );
    pty.write(new Uint8Array([0x03]));
    pty.write(new TextEncoder().encode('echo "status $?"; exit 7\n'));
    assert.deepEqual(await within(pty.wait(), 3000, "the shell exiting"), {
      code: 7,
      signal: null,
    });
    await within(out.done, 3000, "end of file");
    assert.match(out.text, /status 130\r$/m);
    assert.doesNotMatch(out.text, /job control|can't access tty/);
  });
});

Deno.test("environment, working directory and argv[0] arrive as given", async () => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync());
  Deno.env.set("DENOMOSH_PTY_TEST_PARENT_ONLY", "1");
  try {
    const script = 'echo "argv0=$0 foo=$FOO leak=${DENOMOSH_PTY_TEST_PARENT_ONLY-none}"; pwd';
    await withPty({
      argv: ["/bin/sh", "-c", script],
      argv0: "-sh",
      env: { PATH, HOME: dir, FOO: "bar  baz ü" },
      cwd: dir,
    }, async (_pty, out) => {
      await within(out.done, 3000, "end of file");
      assert.match(out.text, /^argv0=-sh foo=bar {2}baz ü leak=none\r$/m);
      assert.ok(out.text.includes(`${dir}\r\n`), out.text);
    });
  } finally {
    Deno.env.delete("DENOMOSH_PTY_TEST_PARENT_ONLY");
    Deno.removeSync(dir);
  }
});

Deno.test("a missing program or directory is a clear ENOENT, and leaves nothing behind", () => {
  const before = fdCount();
  const spawnError = (options: Partial<PtySpawnOptions> & { argv: string[] }): SystemError => {
    try {
      Pty.spawn({ env: { PATH }, cols: 80, rows: 24, ...options }).close();
    } catch (e) {
      assert.ok(e instanceof SystemError, String(e));
      return e;
    }
    throw new assert.AssertionError({ message: `spawned ${options.argv[0]}` });
  };
  const missing = spawnError({ argv: ["/nonexistent/program"] });
  assert.equal(missing.code, "ENOENT");
  assert.equal(
    missing.message,
    'posix_spawn "/nonexistent/program" failed: No such file or directory (ENOENT)',
  );
  assert.equal(spawnError({ argv: ["denomosh-no-such-program"] }).code, "ENOENT");
  assert.equal(spawnError({ argv: ["/bin/true"], cwd: "/nonexistent" }).code, "ENOENT");
  assert.throws(() => Pty.spawn({ argv: [], env: {}, cols: 80, rows: 24 }), TypeError);
  assert.throws(() => Pty.spawn({ argv: ["/bin/true"], env: { "A=B": "" }, cols: 1, rows: 1 }));
  assert.equal(fdCount(), before, "no fd leaked");
  assert.deepEqual(zombieChildren(), []);
});

Deno.test("the child gets fds 0, 1 and 2 on the slave and nothing else; we never hold it", async () => {
  const inheritable = open("/dev/null", O_RDWR); // not close-on-exec: must still not leak
  const before = fdCount();
  try {
    await withPty({ argv: ["ls", "-l", "/proc/self/fd"] }, async (pty, out) => {
      const ours = [...Deno.readDirSync("/proc/self/fd")].map((e) => {
        try {
          return Deno.readLinkSync(`/proc/self/fd/${e.name}`);
        } catch {
          return "";
        }
      });
      assert.ok(!ours.includes(pty.ttyName), "the parent does not hold the slave open");
      await within(out.done, 3000, "end of file");
      const fds = [...out.text.matchAll(/ (\d+) -> (\S+)\r$/gm)].map((m) => [Number(m[1]), m[2]]);
      assert.deepEqual(fds.map(([fd]) => fd), [0, 1, 2, 3], out.text);
      for (const [fd, target] of fds.slice(0, 3)) assert.equal(target, pty.ttyName, `fd ${fd}`);
    });
    assert.equal(fdCount(), before, "the master and the eventfd are closed");
  } finally {
    close(inheritable);
  }
});

Deno.test("the child starts with default signal dispositions and an empty mask", async () => {
  // Deno ignores SIGPIPE at start (unless a test before this one installed a listener for it),
  // and ignored dispositions survive exec: the child must show none, whatever ours are.
  await withPty({ argv: ["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"] }, async (_, out) => {
    await within(out.done, 3000, "end of file");
    assert.match(out.text, /^SigBlk:\s*0+\r$/m);
    assert.match(out.text, /^SigIgn:\s*0+\r$/m);
  });
});

Deno.test("kill, and close: a pending read ends and the session gets SIGHUP", async () => {
  await withPty({ argv: ["sleep", "10"] }, async (pty) => {
    assert.equal(pty.kill("SIGTERM"), true);
    assert.deepEqual(await within(pty.wait(), 3000, "SIGTERM"), { code: null, signal: 15 });
  });
  const pty = Pty.spawn({ argv: ["sleep", "10"], env: {}, cols: 80, rows: 24 });
  try {
    const pending = pty.read();
    await assert.rejects(() => pty.read(), /already pending/);
    await new Promise((r) => setTimeout(r, 20)); // let the read reach its poll
    pty.close();
    pty.close();
    assert.equal(await within(pending, 1000, "the pending read"), null);
    assert.deepEqual(await within(pty.wait(), 3000, "SIGHUP"), { code: null, signal: 1 });
    assert.throws(() => pty.write(new Uint8Array(1)), Deno.errors.BadResource);
    assert.throws(() => pty.resize(80, 24), Deno.errors.BadResource);
    assert.equal(await pty.read(), null);
  } finally {
    if (pty.tryWait() === null) pty.kill("SIGKILL");
    await within(pty.wait(), 3000, "reaping");
    pty.close();
  }
});

Deno.test("close drops the backlog of a child that never reads, and releases the fds", async () => {
  const before = fdCount();
  // Raw mode: in canonical mode the line discipline discards what does not fit in a line.
  const script = "stty raw -echo; echo ready; sleep 10";
  await withPty({ argv: ["/bin/sh", "-c", script] }, async (pty, out) => {
    await out.waitFor("ready");
    pty.write(new Uint8Array(200_000).fill(0x61));
    assert.ok(pty.writeBacklog > 0);
    await new Promise((r) => setTimeout(r, 20)); // let the flush reach its poll
    pty.close();
    assert.equal(pty.writeBacklog, 0);
    await until(() => fdCount() === before, 1000, "the master and eventfd closing");
  });
});

Deno.test("in the main thread's loop, output waiting on the pty is all read before it blocks", async () => {
  // Each read that finds output is a few microtask hops. Without a round of the loop every
  // few reads (io/main_wait.ts Streak), the reading chain outran the loop's drain, and the rest
  // waited for its next wake (3 s here, with no event-loop turn either).
  const pty = Pty.spawn({
    argv: ["/bin/sh", "-c", "head -c 60000 /dev/zero | tr '\\0' a; sleep 10"],
    env: { PATH },
    cols: 80,
    rows: 24,
  });
  const loop = new MainWait({ busyMs: 3000, idleMs: 3000, idleWakeMs: 3000 });
  loop.start();
  try {
    await new Promise((resolve) => loop.clock.setTimer(300, () => resolve(undefined))); // written
    const start = monotonicNow();
    let bytes = 0;
    const log: string[] = [];
    while (bytes < 60000) {
      bytes += (await pty.read())!.length;
      log.push(`${bytes}@${monotonicNow() - start}`);
      for (let hop = 0; hop < 3; hop++) await null; // its handling: a few awaits more
    }
    const ms = monotonicNow() - start;
    assert.ok(ms < 1000, `the last output came ${ms} ms after the first: ${log.join(" ")}`);
  } finally {
    loop.stop();
    await loop.ended;
    pty.kill("SIGKILL");
    pty.close();
    await pty.wait();
  }
});

Deno.test("large output comes in reads of at most 16384 bytes, all of it", async () => {
  const script = "head -c 100000 /dev/zero | tr '\\0' a";
  await withPty({ argv: ["/bin/sh", "-c", script] }, async (_, out) => {
    await within(out.done, 3000, "end of file");
    assert.equal(out.text, "a".repeat(100000));
    assert.ok(Math.max(...out.chunks) <= PTY_READ_BYTES);
  });
});

Deno.test("writes never block: a backlog is queued, then delivered whole and in order", async () => {
  const input = Uint8Array.from({ length: 200_000 }, (_, i) => 0x21 + (i * 7 + (i >> 9)) % 94);
  const digest = createHash("md5").update(input).digest("hex");
  const script = "stty raw -echo; echo ready; sleep 0.3; head -c 200000 | md5sum";
  await withPty({ argv: ["/bin/sh", "-c", script] }, async (pty, out) => {
    await out.waitFor("ready");
    const started = performance.now();
    pty.write(input.subarray(0, 1000));
    pty.write(input.subarray(1000));
    assert.ok(performance.now() - started < 100, "write returned at once");
    assert.ok(pty.writeBacklog > 0, "the pty could not take it all while the child slept");
    await within(out.done, 5000, "the child reading it all");
    assert.ok(out.text.includes(digest), out.text);
    assert.equal(pty.writeBacklog, 0);
    pty.write(new Uint8Array([0x61])); // the child side is gone (EIO): dropped, no error
  });
});

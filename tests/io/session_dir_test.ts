/**
 * The per-user session directory: where it is, making it 0700, refusing it when it is a
 * symlink, a file, too open or someone else's, and the stale sockets removed on sight (a
 * daemon killed with SIGKILL, a pid reused by a program that does not listen, another user's
 * pid), while a daemon that is still setting up its socket is left alone.
 */
import assert from "node:assert/strict";
import {
  checkSessionDir,
  findSessionDir,
  listeningPaths,
  listenSession,
  openSessionDir,
  processOfUser,
  SessionDirError,
  sessionDirPath,
  sessionSockets,
} from "../../io/session_dir.ts";
import { UnixListener } from "../../io/unix_socket.ts";
import { userInfo } from "../../io/daemon.ts";

const isRoot = Deno.uid() === 0;

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "session-dir-test-" });
}

/** A child that sleeps until killed: a live pid that does not listen anywhere. */
function sleeper(asUser?: number): Deno.ChildProcess {
  const args = asUser === undefined
    ? ["sleep", "60"]
    : ["setpriv", `--reuid=${asUser}`, `--regid=${asUser}`, "--clear-groups", "sleep", "60"];
  return new Deno.Command(args[0], { args: args.slice(1), stdout: "null" }).spawn();
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* gone already */ }
  await child.status;
}

Deno.test("the directory: XDG_RUNTIME_DIR/denomosh, else HOME/.local/state/denomosh", () => {
  assert.equal(
    sessionDirPath({ XDG_RUNTIME_DIR: "/run/user/7", HOME: "/h" }),
    "/run/user/7/denomosh",
  );
  assert.equal(sessionDirPath({ XDG_RUNTIME_DIR: "/run/user/7/" }), "/run/user/7/denomosh");
  assert.equal(sessionDirPath({ HOME: "/home/u" }), "/home/u/.local/state/denomosh");
  // A relative XDG_RUNTIME_DIR is invalid by the XDG spec, and ignored.
  assert.equal(sessionDirPath({ XDG_RUNTIME_DIR: "run", HOME: "/h" }), "/h/.local/state/denomosh");
  assert.equal(sessionDirPath({}), `${userInfo()!.home}/.local/state/denomosh`);
});

Deno.test("openSessionDir makes the directory and its parents, mode 0700", () => {
  const base = tempDir();
  try {
    const dir = openSessionDir({ HOME: `${base}/home` });
    assert.equal(dir, `${base}/home/.local/state/denomosh`);
    const st = Deno.lstatSync(dir);
    assert.ok(st.isDirectory);
    assert.equal(st.mode! & 0o777, 0o700);
    assert.equal(st.uid, Deno.uid());
    assert.equal(openSessionDir({ HOME: `${base}/home` }), dir, "and uses it again");
    assert.equal(findSessionDir({ XDG_RUNTIME_DIR: base }), null, "absent: no sessions");
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("a directory that is too open, a symlink, a file or too long is refused", () => {
  const base = tempDir();
  try {
    const dir = `${base}/denomosh`;
    Deno.mkdirSync(dir);
    Deno.chmodSync(dir, 0o755);
    for (const use of [openSessionDir, findSessionDir]) {
      assert.throws(
        () => use({ XDG_RUNTIME_DIR: base }),
        (e) => e instanceof SessionDirError && e.message.includes("mode is 0755, not 0700"),
      );
    }
    Deno.chmodSync(dir, 0o700);
    assert.equal(findSessionDir({ XDG_RUNTIME_DIR: base }), dir);

    const elsewhere = `${base}/link`;
    Deno.mkdirSync(elsewhere);
    Deno.symlinkSync(dir, `${elsewhere}/denomosh`);
    assert.throws(() => openSessionDir({ XDG_RUNTIME_DIR: elsewhere }), /symbolic link/);

    const file = `${base}/file`;
    Deno.mkdirSync(file);
    Deno.writeTextFileSync(`${file}/denomosh`, "");
    assert.throws(() => findSessionDir({ XDG_RUNTIME_DIR: file }), /not a directory/);

    const deep = `${base}/${"d".repeat(60)}/${"e".repeat(40)}`;
    assert.throws(() => openSessionDir({ XDG_RUNTIME_DIR: deep }), /too long for Unix sockets/);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test({
  name: "a directory of another owner is refused",
  ignore: !isRoot,
  fn() {
    const base = tempDir();
    try {
      const dir = `${base}/denomosh`;
      Deno.mkdirSync(dir, { mode: 0o700 });
      Deno.chmodSync(dir, 0o700);
      Deno.chownSync(dir, 65534, 65534);
      assert.throws(
        () => openSessionDir({ XDG_RUNTIME_DIR: base }),
        (e) => e instanceof SessionDirError && e.message.includes("belongs to uid 65534"),
      );
      Deno.chownSync(dir, Deno.uid(), Deno.gid());
      checkSessionDir(dir);
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  },
});
if (!isRoot) console.log("skipped: the other-owner test needs root to chown");

Deno.test("listenSession: <pid>.sock, listening before it has that name; close removes it", () => {
  const dir = tempDir();
  try {
    const session = listenSession(dir);
    assert.equal(session.path, `${dir}/${Deno.pid}.sock`);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [`${Deno.pid}.sock`]);
    assert.ok(
      listeningPaths()!.has(`${dir}/${Deno.pid}.sock.tmp`),
      "the kernel keeps its bind name",
    );
    assert.deepEqual(sessionSockets(dir), [{ pid: Deno.pid, path: session.path }]);
    session.close();
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    assert.ok(!listeningPaths()!.has(`${dir}/${Deno.pid}.sock.tmp`));

    // A file that replaced ours is not ours to remove.
    const again = listenSession(dir);
    Deno.removeSync(again.path);
    Deno.writeTextFileSync(again.path, "someone else's");
    again.close();
    assert.equal(Deno.readTextFileSync(again.path), "someone else's");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** A child that listens on its session socket, says "ready", and waits to be killed. */
function listeningChild(dir: string): Deno.ChildProcess {
  const code = `import { listenSession } from ${
    JSON.stringify(import.meta.resolve("../../io/session_dir.ts"))
  };
    listenSession(Deno.args[0]); console.log("ready");
    // A timer keeps it running (an FFI socket does not: with nothing pending Deno would exit
    // at once); bounded, should the test never kill it.
    await new Promise((r) => setTimeout(r, 60_000));`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

Deno.test("the socket of a daemon killed with SIGKILL is removed on sight", async () => {
  const dir = tempDir();
  const child = listeningChild(dir);
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await reader.read()).value?.trim(), "ready");
    assert.deepEqual(sessionSockets(dir).map((s) => s.pid), [child.pid], "alive: listed");
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
    assert.ok(Deno.lstatSync(`${dir}/${child.pid}.sock`).isSocket, "the file outlives it");
    const log: string[] = [];
    assert.deepEqual(sessionSockets(dir, (l) => log.push(l)), []);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    assert.deepEqual(log, [
      `removed the stale session socket ${dir}/${child.pid}.sock: process ${child.pid} is gone`,
    ]);
  } finally {
    await stop(child);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a daemon that finishes setting up during a scan keeps its socket", () => {
  // The scan reads the listening sockets, and right after, a daemon listens and renames its
  // socket to <pid>.sock (this process plays the daemon). The scan must not judge it stale.
  const dir = tempDir();
  let session: ReturnType<typeof listenSession> | undefined;
  try {
    const log: string[] = [];
    const found = sessionSockets(dir, (l) => log.push(l), () => {
      const listening = listeningPaths();
      session = listenSession(dir);
      return listening;
    });
    assert.ok(session, "the daemon set up during the scan");
    assert.deepEqual(log, []);
    assert.ok(Deno.lstatSync(session.path).isSocket, "its socket is still there");
    assert.deepEqual(found, [], "it came after the directory was read");
    assert.deepEqual(sessionSockets(dir), [{ pid: Deno.pid, path: session.path }]);
  } finally {
    session?.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a daemon that finishes setting up while the directory is scanned keeps its socket", async () => {
  // A child sets up its session socket over and over for a second while this process scans the
  // directory back to back, so that renames to \`<pid>.sock\` land all through the scans. After
  // each set-up the child moves the file aside before closing, so that every round has a new
  // inode (ext4 hands a freed inode straight back, and a daemon listens only once). No scan may
  // judge a listening socket stale. (Reading the listening sockets before the directory lost
  // about one round in twenty here.)
  const dir = tempDir();
  Deno.mkdirSync(`${dir}/aside`);
  const code = `import { listenSession } from ${
    JSON.stringify(import.meta.resolve("../../io/session_dir.ts"))
  };
    const dir = Deno.args[0];
    let rounds = 0, lost = 0;
    for (const end = Date.now() + 1000; Date.now() < end;) {
      const session = listenSession(dir);
      rounds++;
      const t = performance.now();
      while (performance.now() - t < 0.3); // listening a moment, as a daemon would be
      try {
        Deno.renameSync(session.path, \`\${dir}/aside/\${rounds}\`);
      } catch {
        lost++; // a scan removed it
      }
      session.close();
    }
    console.log(JSON.stringify({ rounds, lost }));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const log: string[] = [];
  let scans = 0;
  try {
    const output = child.output();
    let done = false;
    output.finally(() => done = true);
    for (const deadline = Date.now() + 30_000; !done && Date.now() < deadline;) {
      for (let i = 0; i < 200; i++, scans++) sessionSockets(dir, (l) => log.push(l));
      await new Promise((r) => setTimeout(r, 0));
    }
    const { rounds, lost } = JSON.parse(new TextDecoder().decode((await output).stdout));
    assert.ok(rounds >= 100 && scans >= 1000, `only ${rounds} rounds and ${scans} scans`);
    assert.equal(
      lost,
      0,
      `${lost} of ${rounds} sockets removed while listening:\n` + log.join("\n"),
    );
    assert.deepEqual(log, []);
  } finally {
    await stop(child);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("stale: a pid reused by a program that does not listen; kept: a daemon setting up", async () => {
  const dir = tempDir();
  const reused = sleeper();
  const starting = sleeper();
  try {
    // A socket file named for a live process of ours that does not listen on it.
    UnixListener.listen(`${dir}/${reused.pid}.sock`).close();
    // A daemon between bind and rename: its pid is alive; not listed, not removed.
    const settingUp = UnixListener.listen(`${dir}/${starting.pid}.sock.tmp`);
    // A temporary name of a process that is gone, and a file of some other program.
    Deno.writeTextFileSync(`${dir}/4194304.sock.tmp`, "");
    Deno.writeTextFileSync(`${dir}/notes.txt`, "");
    const log: string[] = [];
    assert.deepEqual(sessionSockets(dir, (l) => log.push(l)), []);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      [`${starting.pid}.sock.tmp`, "notes.txt"],
    );
    assert.deepEqual(
      log.sort(),
      [
        `removed the stale session socket ${dir}/${reused.pid}.sock: process ${reused.pid} ` +
        "does not listen on it",
        `removed the stale session socket ${dir}/4194304.sock.tmp: process 4194304 is gone`,
      ].sort(),
    );
    settingUp.close();
  } finally {
    await stop(reused);
    await stop(starting);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "stale: a socket named for a live process of another user",
  ignore: !isRoot,
  async fn() {
    const dir = tempDir();
    const other = sleeper(65534);
    try {
      await new Promise((r) => setTimeout(r, 100)); // setpriv has changed uid and exec'd
      assert.ok(processOfUser(other.pid, 65534));
      assert.ok(!processOfUser(other.pid, Deno.uid()!));
      const listener = UnixListener.listen(`${dir}/${other.pid}.sock`);
      assert.deepEqual(sessionSockets(dir), []);
      assert.deepEqual([...Deno.readDirSync(dir)], []);
      listener.close();
    } finally {
      await stop(other);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("processOfUser: this process yes, a reaped child no", async () => {
  assert.ok(processOfUser(Deno.pid, Deno.uid()!));
  assert.ok(!processOfUser(Deno.pid, Deno.uid()! + 1));
  const child = sleeper();
  await stop(child);
  assert.ok(!processOfUser(child.pid, Deno.uid()!));
});

/**
 * The libc layer and the daemon's helpers: error text, the password database, locales (checked
 * against glibc's own `locale charmap`), window sizes, and detaching from a terminal (in a
 * child Deno process, since it changes the process it runs in).
 */
import assert from "node:assert/strict";
import {
  close,
  getWindowSize,
  HUNG_UP,
  isTerminal,
  NOT_READY,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDWR,
  open,
  readSome,
  SystemError,
  tryWaitPid,
  writeSome,
} from "../../io/libc.ts";
import {
  chdirError,
  isUtf8Locale,
  localeCharset,
  type LocaleEnv,
  localeVariable,
  userInfo,
  windowSize,
} from "../../io/daemon.ts";
import { Pty } from "../../io/pty.ts";

Deno.test("a failed call says what failed, with errno's name and the system's text", () => {
  try {
    close(-1);
    assert.fail("close(-1) succeeded");
  } catch (e) {
    assert.ok(e instanceof SystemError);
    assert.equal(e.errno, 9);
    assert.equal(e.code, "EBADF");
    assert.equal(e.syscall, "close");
    assert.equal(e.message, "close -1 failed: Bad file descriptor (EBADF)");
  }
});

const O_RDONLY = 0, O_WRONLY = 1;

/** A FIFO in a fresh directory, both ends open and non-blocking. */
async function fifo(): Promise<
  { reader: number; writer: number; path: string; dispose(): void }
> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(made.success, "mkfifo");
  const reader = open(path, O_RDONLY | O_NONBLOCK);
  const writer = open(path, O_WRONLY | O_NONBLOCK);
  return { reader, writer, path, dispose: () => Deno.removeSync(dir, { recursive: true }) };
}

Deno.test("readSome and writeSome tell ready, not ready, end and errors apart by poll", async () => {
  const { reader, writer, dispose } = await fifo();
  try {
    const buf = new Uint8Array(new ArrayBuffer(100_000));
    assert.equal(readSome(reader, buf), NOT_READY, "empty pipe");
    assert.equal(writeSome(writer, new TextEncoder().encode("hello")), 5);
    assert.equal(readSome(reader, buf), 5);
    // Fill the pipe: the first write takes what fits, the next nothing.
    let total = 0;
    for (let n; (n = writeSome(writer, buf)) > 0;) total += n;
    assert.ok(total >= 4096, `pipe took ${total} bytes`);
    assert.equal(writeSome(writer, buf), NOT_READY, "full pipe");
    let drained = 0;
    for (let n; (n = readSome(reader, buf)) > 0;) drained += n;
    assert.equal(drained, total);
    close(writer);
    assert.equal(readSome(reader, buf), 0, "writer gone: end of file");
  } finally {
    close(reader);
    dispose();
  }
  // A closed fd is an error, not "not ready": poll says POLLNVAL.
  assert.throws(() => readSome(reader, new Uint8Array(1)), SystemError);
  assert.throws(() => writeSome(writer, new Uint8Array(1)), SystemError);
});

Deno.test("writeSome to a pipe whose reader has gone throws (POLLERR), never hangs", async () => {
  // In a child process: Deno ignores SIGPIPE at start, but a test that has listened for it
  // leaves it at its default in this process (client_test.ts does), which would kill us here.
  const libc = new URL("../../io/libc.ts", import.meta.url).href;
  const { reader, writer, path: fifoPath, dispose } = await fifo();
  close(reader);
  close(writer);
  try {
    const script = `
      import { close, O_NONBLOCK, open, writeSome } from ${JSON.stringify(libc)};
      const path = ${JSON.stringify(fifoPath)};
      const reader = open(path, ${O_RDONLY | O_NONBLOCK});
      const writer = open(path, ${O_WRONLY | O_NONBLOCK});
      close(reader);
      try { writeSome(writer, new Uint8Array(10)); console.log("no error"); }
      catch (e) { console.log(e.message); }`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.match(new TextDecoder().decode(out.stdout), /^write fd \d+ failed: Broken pipe/);
  } finally {
    dispose();
  }
});

Deno.test("a pty whose child exited reads its output, then end of file; then writes hang up", async () => {
  const pty = Pty.spawn({ argv: ["/bin/sh", "-c", "printf done"], env: {}, cols: 80, rows: 24 });
  try {
    await pty.wait();
    let text = "";
    for (let out; (out = await pty.read()) !== null;) text += new TextDecoder().decode(out);
    assert.equal(text, "done");
    // Writes to it are taken (and discarded) until the slave's input queue is full; then the
    // master polls as hung up, and writeSome says so instead of "not ready" or an error.
    const block = new Uint8Array(new ArrayBuffer(65536));
    let result = 0;
    for (let i = 0; i < 100 && result >= 0; i++) result = writeSome(pty.masterFd, block);
    assert.equal(result, HUNG_UP);
    pty.write(new Uint8Array(1 << 20)); // dropped whole, no error, nothing queued
    assert.equal(pty.writeBacklog, 0);
  } finally {
    pty.close();
  }
});

Deno.test("exec: the program takes this process's place, fresh; a failed one leaves it as it was", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL("./_exec.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text);
  assert.match(text, /^failed: ENOENT$/m);
  const pids = [...text.matchAll(/^pid=(\d+)$/gm)].map((m) => m[1]);
  assert.equal(pids.length, 2, text);
  assert.equal(pids[0], pids[1], "the shell runs in the same process");
  // Deno ignores SIGPIPE (bit 12 of SigIgn); the program gets it at its default, and no mask.
  const sigIgn = (line: RegExp) => BigInt("0x" + line.exec(text)![1]) & (1n << 12n);
  assert.notEqual(sigIgn(/^before: SigIgn:\s*([0-9a-f]+)$/m), 0n, "SIGPIPE after a failed exec");
  assert.equal(sigIgn(/^SigIgn:\s*([0-9a-f]+)$/m), 0n, "SIGPIPE still ignored");
  assert.match(text, /^SigBlk:\s*0+$/m);
  const env = text.split("\n").filter((l) => /^[A-Z_]+=/.test(l) && !/^(PWD|SHLVL|_)=/.test(l));
  assert.deepEqual(env.sort(), ["ONLY=this", "PATH=/usr/bin:/bin"]);
});

Deno.test("tryWaitPid: null while running, the status once, then an error (not a child)", async () => {
  const pty = Pty.spawn({ argv: ["/bin/sh", "-c", "read x; exit 3"], env: {}, cols: 80, rows: 24 });
  try {
    assert.equal(tryWaitPid(pty.pid), null);
    pty.write(new TextEncoder().encode("\n"));
    let status = null;
    for (let i = 0; i < 600 && status === null; i++) {
      status = tryWaitPid(pty.pid);
      if (status === null) await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(status, { code: 3, signal: null });
    assert.throws(() => tryWaitPid(pty.pid), /waitpid pid \d+ failed/);
  } finally {
    pty.close();
  }
});

Deno.test("isTerminal: a pty slave is one, /dev/null and a closed fd are not", async () => {
  const pty = Pty.spawn({ argv: ["sleep", "10"], env: {}, cols: 80, rows: 24 });
  const slave = open(pty.ttyName, O_RDWR | O_NOCTTY);
  const devNull = open("/dev/null", O_RDWR);
  try {
    assert.equal(isTerminal(slave), true);
    assert.equal(isTerminal(devNull), false);
    assert.equal(getWindowSize(devNull), null);
  } finally {
    close(devNull);
    close(slave);
    pty.kill("SIGKILL");
    pty.close();
    await pty.wait(); // reaped: no zombie for the tests that count them
  }
  assert.equal(isTerminal(devNull), false);
  assert.equal(getWindowSize(devNull), null);
});

Deno.test("userInfo() is this user's password database entry", async () => {
  const info = userInfo();
  assert.ok(info);
  const { stdout } = await new Deno.Command("getent", {
    args: ["passwd", String(Deno.uid())],
    signal: AbortSignal.timeout(5000),
  }).output();
  const [name, , , , , home, shell] = new TextDecoder().decode(stdout).trim().split(":");
  assert.deepEqual(info, { name, home, shell });
});

Deno.test("locales: which variable decides, and whether the charset is UTF-8", () => {
  assert.equal(isUtf8Locale({ LANG: "C.UTF-8" }), true);
  assert.equal(isUtf8Locale({ LC_ALL: "C.utf8" }), true);
  assert.equal(isUtf8Locale({ LC_CTYPE: "C.UTF-8" }), true);
  for (const env of [{}, { LANG: "C" }, { LANG: "POSIX" }, { LC_ALL: "C", LANG: "C.UTF-8" }]) {
    assert.equal(isUtf8Locale(env), false, JSON.stringify(env));
  }
  assert.equal(localeCharset({ LANG: "POSIX" }), "ANSI_X3.4-1968");
  // A locale glibc does not have, in any category, makes setlocale(LC_ALL, "") fail whole.
  assert.equal(localeCharset({ LANG: "xx_NOWHERE.UTF-8" }), null);
  assert.equal(localeCharset({ LANG: "C.UTF-8", LC_TIME: "xx_NOWHERE.UTF-8" }), null);
  assert.equal(isUtf8Locale({ LANG: "C.UTF-8", LC_MESSAGES: "xx_NOWHERE" }), false);
  assert.equal(isUtf8Locale({ LANG: "xx_NOWHERE.UTF-8" }), false);
  assert.deepEqual(localeVariable({ LANG: "a", LC_CTYPE: "b" }), { name: "LC_CTYPE", value: "b" });
  assert.deepEqual(localeVariable({ LANG: "a", LC_CTYPE: "", LC_ALL: "" }), {
    name: "LANG",
    value: "a",
  });
  assert.deepEqual(localeVariable({ LC_ALL: "c", LC_CTYPE: "b" }), { name: "LC_ALL", value: "c" });
  assert.equal(localeVariable({ LC_TIME: "x" }), null);
});

Deno.test("localeCharset agrees with glibc's setlocale, as `locale charmap` reports it", async () => {
  const envs: LocaleEnv[] = [
    {},
    { LANG: "C.UTF-8" },
    { LANG: "C.UTF-8", LC_ALL: "POSIX" },
    { LANG: "POSIX", LC_CTYPE: "C.utf8" },
    { LANG: "C.UTF-8", LC_CTYPE: "" },
    { LANG: "xx_NOWHERE.UTF-8" },
  ];
  // Not here: one missing category among available ones. `locale` sets LC_CTYPE on its own
  // and reports UTF-8, but setlocale(LC_ALL, "") fails as a whole and leaves "C", which is
  // what mosh sees (checked with a C program) and what the test above asserts.
  for (const env of envs) {
    const { stdout } = await new Deno.Command("locale", {
      args: ["charmap"],
      env: Object.fromEntries(Object.entries(env)) as Record<string, string>,
      clearEnv: true,
      stderr: "null",
      signal: AbortSignal.timeout(5000),
    }).output();
    const charmap = new TextDecoder().decode(stdout).trim();
    assert.equal(localeCharset(env) ?? "ANSI_X3.4-1968", charmap, JSON.stringify(env));
  }
});

Deno.test("windowSize() reads a terminal's size, and is null for other files", async () => {
  const pty = Pty.spawn({ argv: ["sleep", "10"], env: {}, cols: 132, rows: 43 });
  const slave = open(pty.ttyName, O_RDWR | O_NOCTTY);
  const devNull = open("/dev/null", O_RDWR);
  try {
    assert.deepEqual(windowSize(slave), { cols: 132, rows: 43 });
    pty.resize(90, 20);
    assert.deepEqual(getWindowSize(slave), { cols: 90, rows: 20 });
    assert.equal(windowSize(devNull), null);
  } finally {
    close(devNull);
    close(slave);
    pty.close();
    pty.kill("SIGKILL");
    const deadline = Date.now() + 3000;
    while (pty.tryWait() === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  assert.notEqual(pty.tryWait(), null, "sleep reaped within 3 s");
});

Deno.test("chdirError says why a directory cannot be entered, and leaves the cwd as it was", () => {
  const cwd = Deno.cwd();
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/file`, "");
    assert.equal(chdirError(`${dir}/missing`), "No such file or directory");
    assert.equal(chdirError(`${dir}/file`), "Not a directory");
    assert.equal(chdirError(""), "No such file or directory");
    assert.equal(chdirError(dir), null);
    assert.equal(Deno.cwd(), cwd);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

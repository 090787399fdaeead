/**
 * Behaviour mosh-server has around the session: a missing or unusable $HOME only shows mosh's
 * chdir error and starts the shell in "/" (compared with Debian's mosh-server), and the session
 * is in utmp (`who`) with the client's address while it runs, and not after.
 */
import assert from "node:assert/strict";
import { startServer, waitGone } from "./_programs.ts";
import { pollUntil } from "../_poll.ts";
import { TestClient } from "../security/_client.ts";
import { moshMissing } from "../_debian_mosh.ts";
import { chdirError } from "../../io/daemon.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/**
 * Deno's cache, named explicitly: `deno run` otherwise looks for it under $HOME (and creates
 * it there), which these tests point elsewhere.
 */
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`;

/** What the session's first lines are when HOME is `home` (ours or Debian's server). */
async function firstScreen(which: "ours" | "debian", home: string): Promise<string> {
  const s = await startServer(
    which,
    ["-i", "127.0.0.1"],
    ["/bin/sh", "-c", 'echo "cwd=$(pwd)"; sleep 30'],
    { HOME: home, DENO_DIR },
  );
  const client = new TestClient(s.port, s.key);
  try {
    return await client.waitFor((x) => x.includes("cwd="), 10_000, "the shell's line");
  } finally {
    client.close();
    s.stop();
  }
}

/** The screen's non-blank lines, without trailing blanks. */
function lines(screen: string): string[] {
  return screen.split("\n").map((l) => l.trimEnd()).filter((l) => l);
}

Deno.test({
  name: "a missing $HOME shows mosh's chdir error and the shell runs in /, as Debian's does",
  ...e2e,
  async fn() {
    const scratch = Deno.makeTempDirSync();
    try {
      const missing = `${scratch}/missing`;
      const ours = lines(await firstScreen("ours", missing));
      assert.deepEqual(ours.slice(0, 2), ["chdir: No such file or directory", "cwd=/"]);
      if (!moshMissing) {
        // Debian's prints the same line (its shell then starts where mosh-server was started).
        const theirs = lines(await firstScreen("debian", missing));
        assert.equal(theirs[0], "chdir: No such file or directory");
      }
      assert.deepEqual([...Deno.readDirSync(scratch)], [], "nothing created the missing home");
      const home = lines(await firstScreen("ours", scratch));
      assert.equal(home[0], `cwd=${scratch}`, "a usable home is the shell's directory");
    } finally {
      Deno.removeSync(scratch, { recursive: true });
    }
  },
});

Deno.test({
  name:
    'a $HOME that is a file: Debian\'s mosh-server says "chdir: Not a directory", as ours would',
  ignore: moshMissing,
  ...e2e,
  async fn() {
    // Ours cannot be started this way under `deno run`: Deno itself refuses to start when
    // $HOME/.npmrc gives ENOTDIR. What ours does with such a home is chdirError's answer
    // (tests/io/libc_test.ts), put in the same place as the missing home's above.
    const scratch = Deno.makeTempDirSync();
    const file = `${scratch}/a-file`;
    Deno.writeTextFileSync(file, "");
    try {
      assert.equal(lines(await firstScreen("debian", file))[0], "chdir: Not a directory");
      assert.equal(chdirError(file), "Not a directory");
    } finally {
      Deno.removeSync(scratch, { recursive: true });
    }
  },
});

/** Why the utmp test cannot run here, or null. */
function utmpUnavailable(): string | null {
  try {
    Deno.statSync("/var/run/utmp");
  } catch {
    return "there is no /var/run/utmp (containers often lack it; .ci/run creates it)";
  }
  try {
    Deno.dlopen("libutempter.so.0", {}).close();
  } catch {
    return "libutempter.so.0 is not installed (apt-get install libutempter0)";
  }
  return null;
}

const utmpSkip = utmpUnavailable();
if (utmpSkip && Deno.env.get("DENOMOSH_REQUIRE_MOSH") !== "1") {
  console.warn(`skipped: the utmp test: ${utmpSkip}`);
}

/** `who`'s lines that name the daemon `pid`. */
async function whoFor(pid: number): Promise<string[]> {
  const out = await new Deno.Command("who", { stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes(`[${pid}]`));
}

async function waitForWho(pid: number, test: (lines: string[]) => boolean, what: string) {
  const r = await pollUntil(() => whoFor(pid), test, 10_000);
  if (r.done) return r.value;
  throw new Error(`timed out waiting for ${what}; who says: ${JSON.stringify(r.value)}`);
}

Deno.test({
  name: "who shows the session with the client's address, follows it when it roams, then not",
  ignore: utmpSkip !== null && Deno.env.get("DENOMOSH_REQUIRE_MOSH") !== "1",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1"], ["/bin/sh", "-c", "read x"], {
      DENO_DIR,
    });
    const client = new TestClient(s.port, s.key);
    try {
      // Before the client is heard the record says "mosh [pid]": wait for its address.
      const [line] = await waitForWho(
        s.pid,
        (l) => l.length === 1 && l[0].includes("127.0.0.1 via"),
        "the session in utmp",
      );
      assert.match(line, new RegExp(`pts/\\d+ .*\\(127\\.0\\.0\\.1 via mosh \\[${s.pid}\\]\\)`));
      client.moveTo("127.0.0.2");
      client.type("."); // something new to send from the new address
      await waitForWho(
        s.pid,
        (l) => l.length === 1 && l[0].includes(`(127.0.0.2 via mosh [${s.pid}])`),
        "the new address in utmp",
      );
      client.type("\n"); // the shell exits; the session ends
      assert.ok(await waitGone(s.pid, 15_000), "the server ended");
      assert.deepEqual(await whoFor(s.pid), [], "the record is gone");
    } finally {
      client.close();
      s.stop();
    }
  },
});

/**
 * Another user can neither list nor attach to this user's sessions, and each of the two
 * defences holds on its own:
 *
 * 1. The directory: this user's session directory is 0700 and ours, so `mosh-server list` and
 *    `attach` run by the other user, pointed at it, refuse it (it is not theirs), and the
 *    kernel refuses them the socket inside it anyway.
 * 2. The peer check (SO_PEERCRED): with the socket where the other user can reach it (a
 *    directory they can search, the socket file writable by all), the daemon still answers
 *    them nothing and never calls its session, while it answers this user on the same socket.
 *
 * The other user is `denomosh-ctl`, made with useradd when absent. Needs root (CI runs the
 * tests as root); skipped with a message otherwise.
 */
import assert from "node:assert/strict";
import { type SessionControl, startControl } from "../../server/control.ts";
import { requestAttach, sessionInfo } from "../../server/control_client.ts";
import { selfCommand } from "../../cli/self.ts";

const OTHER = "denomosh-ctl";
const isRoot = Deno.uid() === 0;
const canSwitch = isRoot &&
  ["useradd", "setpriv"].every((p) =>
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((d) => {
      try {
        return Deno.statSync(`${d}/${p}`).isFile;
      } catch {
        return false;
      }
    })
  );
if (!canSwitch) console.log("skipped: the two-user tests need root, useradd and setpriv");

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** The other user's uid and gid, made if absent. */
async function otherUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const out = await new Deno.Command("id", { args: [flag, OTHER], stderr: "null" }).output();
    return out.success ? Number(text(out.stdout).trim()) : null;
  };
  if (await id("-u") === null) {
    const made = await new Deno.Command("useradd", {
      args: ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER],
    }).output();
    // Another test may have made it meanwhile; what counts is that it exists now.
    if (await id("-u") === null) throw new Error(`useradd ${OTHER} failed: ${text(made.stderr)}`);
  }
  return { uid: (await id("-u"))!, gid: (await id("-g"))! };
}

/** A directory of the other user's for Deno's cache, and a run of `args` as that user. */
async function runAsOther(
  user: { uid: number; gid: number },
  home: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("setpriv", {
    args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", ...args],
    env: { HOME: home, DENO_DIR: `${home}/deno`, PATH: "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const SECRET_KEY = "SecretSecretSecretSecr";

/** A session of this user whose every use is counted. */
function countedSession(): SessionControl & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    info() {
      calls.push("info");
      return {
        pid: Deno.pid,
        started: Date.now(),
        command: "root's secret work",
        lastContact: null,
        lastClient: null,
      };
    },
    attach() {
      calls.push("attach");
      return Promise.resolve({ port: 60123, key: SECRET_KEY });
    },
  };
}

Deno.test({
  name: "the directory: another user's list and attach refuse this user's session directory",
  ignore: !canSwitch,
  async fn() {
    const user = await otherUser();
    const home = Deno.makeTempDirSync({ prefix: "other-home-" });
    Deno.chownSync(home, user.uid, user.gid);
    const runtime = Deno.makeTempDirSync({ prefix: "root-runtime-" });
    Deno.chmodSync(runtime, 0o755); // searchable, so the other user can see what is there
    const dir = `${runtime}/denomosh`;
    Deno.mkdirSync(dir);
    Deno.chmodSync(dir, 0o700);
    const session = countedSession();
    const log: string[] = [];
    const control = startControl(session, dir, { log: (l) => log.push(l) });
    try {
      const server = selfCommand("mosh-server", []);
      for (const args of [["list"], ["attach"], ["attach", String(Deno.pid)]]) {
        const r = await runAsOther(user, home, [server.cmd, ...server.args, ...args], {
          XDG_RUNTIME_DIR: runtime,
        });
        assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, new RegExp(`Refusing ${dir}: it belongs to uid 0, not to you`));
      }
      // Past our own check, the kernel: the directory cannot be entered.
      const direct = await runAsOther(user, home, [
        "python3",
        "-c",
        "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])",
        control.path,
      ]);
      assert.notEqual(direct.code, 0);
      assert.match(direct.stderr, /PermissionError|Permission denied/);
      // With its own environment, the other user has no sessions at all.
      const own = await runAsOther(user, home, [server.cmd, ...server.args, "list"]);
      assert.deepEqual([own.code, own.stdout], [0, "No mosh sessions of yours here.\n"]);
      assert.deepEqual(session.calls, []);
      assert.deepEqual(log, []);
    } finally {
      await control.close();
      Deno.removeSync(runtime, { recursive: true });
      Deno.removeSync(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "the peer check: a reachable socket still answers another user nothing",
  ignore: !canSwitch,
  async fn() {
    const user = await otherUser();
    const home = Deno.makeTempDirSync({ prefix: "other-home-" });
    Deno.chownSync(home, user.uid, user.gid);
    const open = Deno.makeTempDirSync({ prefix: "reachable-" });
    Deno.chmodSync(open, 0o755);
    const session = countedSession();
    const log: string[] = [];
    const control = startControl(session, open, { log: (l) => log.push(l) });
    Deno.chmodSync(control.path, 0o777); // anyone may connect
    try {
      const client = new URL("../../server/control_client.ts", import.meta.url).href;
      const code = `import { requestAttach, sessionInfo } from ${JSON.stringify(client)};
        const path = Deno.args[0];
        console.log(JSON.stringify([await sessionInfo(path), await requestAttach(path, {})]));`;
      const r = await runAsOther(user, home, [
        Deno.execPath(),
        "eval",
        "--quiet",
        code,
        control.path,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const [info, attach] = JSON.parse(r.stdout);
      for (const answer of [info, attach]) {
        assert.ok("error" in answer, JSON.stringify(answer));
        // Closed unanswered: seen as the end of the stream, or a reset or broken pipe.
        assert.match(
          answer.error[0],
          /^The session did not answer: (The peer ended the stream|.*(EPIPE|ECONNRESET|errno 104))/,
        );
      }
      assert.ok(!r.stdout.includes(SECRET_KEY) && !r.stdout.includes("secret work"));
      assert.deepEqual(session.calls, [], "the session was never asked");
      assert.equal(log.length, 2);
      for (const line of log) {
        assert.match(line, new RegExp(`^control: refused pid \\d+ of uid ${user.uid}: `));
      }
      // The same socket answers this user: it was the peer check, not a broken socket.
      assert.equal(
        (await sessionInfo(control.path) as { command: string }).command,
        "root's secret work",
      );
      assert.deepEqual(await requestAttach(control.path, {}), { port: 60123, key: SECRET_KEY });
    } finally {
      await control.close();
      Deno.removeSync(open, { recursive: true });
      Deno.removeSync(home, { recursive: true });
    }
  },
});

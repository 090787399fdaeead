/**
 * Starting mosh-server's daemon (cli/daemon_launch.ts), the real one: it runs in a session of
 * its own, holds the socket it was given on fd 3 and nothing else of ours, has /dev/null for
 * stdout (and stderr unless -v), and serves a client with the key it was handed.
 */
import assert from "node:assert/strict";
import { DAEMON_SOCKET_FD, startDaemon } from "../../cli/daemon_launch.ts";
import type { DaemonConfig, DaemonSettings } from "../../cli/server_daemon.ts";
import { parseServerArgs } from "../../cli/server_options.ts";
import { bindUdp } from "../../io/udp_socket.ts";
import { close, waitPid } from "../../io/libc.ts";
import { Base64Key } from "../../core/crypto/key.ts";

function settings(verbose: boolean): { text: string; key: string } {
  const parsed = parseServerArgs(["new", ...(verbose ? ["-v"] : []), "--", "/bin/sleep", "30"]);
  if ("exit" in parsed) throw new Error("the options did not parse");
  const config: DaemonConfig = {
    options: parsed.options,
    program: "/bin/sleep",
    argv: ["/bin/sleep", "30"],
    env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
    cwd: "/",
    width: 80,
    height: 24,
    preamble: "",
    networkTimeout: 0,
    signalTimeout: 0,
    coreLimit: "0",
  };
  const key = Base64Key.generate({ random: (b) => crypto.getRandomValues(b) }).toString();
  const s: DaemonSettings = { config, key, family: "inet" };
  return { text: JSON.stringify(s), key };
}

/** What /proc says fd `fd` of `pid` is ("" if it is closed now). */
function fdTarget(pid: number, fd: number): string {
  try {
    return Deno.readLinkSync(`/proc/${pid}/fd/${fd}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const verbose of [false, true]) {
  Deno.test(`the daemon gets the socket and its own session${verbose ? ", with -v" : ""}`, async () => {
    const { fd } = bindUdp("127.0.0.1", 0);
    const ours = fdTarget(Deno.pid, fd);
    const { text } = settings(verbose);
    const pid = startDaemon(fd, verbose, text);
    close(fd);
    try {
      // Once it has adopted the socket (close-on-exec), its fds are 0-3 and the runtime's own.
      await until("the daemon to take its socket", () => {
        try {
          const info = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${DAEMON_SOCKET_FD}`);
          return (parseInt(/flags:\s+(\d+)/.exec(info)![1], 8) & 0o2000000) !== 0;
        } catch {
          return false;
        }
      });
      assert.equal(fdTarget(pid, DAEMON_SOCKET_FD), ours, "the socket we bound");
      assert.equal(fdTarget(pid, 0), "/dev/null");
      assert.equal(fdTarget(pid, 1), "/dev/null");
      const stderr = fdTarget(pid, 2);
      if (verbose) assert.equal(stderr, fdTarget(Deno.pid, 2));
      else assert.equal(stderr, "/dev/null");
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      assert.equal(Number(fields[3]), pid, "a session leader (setsid)");
      // Nothing else of ours: every other fd is the runtime's (an epoll, an eventfd, its cache,
      // a copy of its stderr).
      for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
        const n = Number(e.name);
        if (n <= DAEMON_SOCKET_FD) continue;
        const target = fdTarget(pid, n);
        if (target === stderr) continue; // the runtime's copy of its stderr
        assert.ok(!target.startsWith("pipe:"), `fd ${n} is a pipe: ${target}`);
        assert.notEqual(target, ours);
      }
    } finally {
      Deno.kill(pid, "SIGKILL");
      await waitPid(pid);
    }
  });
}

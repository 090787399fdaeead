/**
 * Reattach with the real programs: a session whose client died is taken back with
 * `mosh --attach` over a real sshd, under a fresh key; the old key is dead; Debian's
 * mosh-client can attach with `mosh-server attach`'s MOSH CONNECT line; a live client is taken
 * over and told so; a new session mentions the detached ones.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { Base64Key } from "../../core/crypto/key.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { udpNetwork } from "../../io/datagram.ts";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { pollUntil } from "../_poll.ts";
import { sshdUnavailable, startSshd } from "./_sshd.ts";
import {
  clientCommand,
  clientPid,
  OUR_SERVER_LINE,
  type ProgramRun,
  runOurs,
  SESSION_ENV,
  SHELL,
  SHELL_ENV,
  startServer,
  waitGone,
} from "./_programs.ts";
import { forger } from "../core/transport/_forge.ts";
import { moshMissing } from "../_debian_mosh.ts";

const why = sshdUnavailable();
if (why) console.warn(why);
const e2e = { ignore: why !== null, sanitizeOps: false, sanitizeResources: false };
const AFTER = `; echo "exit=$?"; sleep 30`;
const OUR_SERVER = OUR_SERVER_LINE;
const enc = new TextEncoder();

function mosh(args: string[]): string {
  const self = selfCommand("mosh", args);
  return [self.cmd, ...self.args].map(shellQuote).join(" ");
}

/** `mosh-server list|attach ...` here, as the user; its output. */
function moshServer(args: string[]): Promise<ProgramRun> {
  return runOurs("mosh-server", args, { LANG: "C.UTF-8", ...SESSION_ENV });
}

/** A session of ours running a shell, and our client for it in a tmux pane. */
async function sessionWithClient() {
  const server = await startServer("ours", ["-i", "127.0.0.1"], SHELL, SHELL_ENV);
  const tmux = await Tmux.start(clientCommand("ours", server) + AFTER);
  await tmux.waitFor((s) => /\$ *$/m.test(s), 15_000, "the shell's prompt");
  return { server, tmux };
}

/** The port of the mosh-client that runs against a port other than `old`. */
function newClientPort(old: number): number {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0").filter((a) => a);
      if (!argv.some((a) => a.endsWith("mosh_client.ts") || a.endsWith("mosh-client"))) continue;
      const port = Number(argv.at(-1));
      if (port && port !== old) return port;
    } catch {
      // gone
    }
  }
  throw new Error("no client for the new port");
}

/** The line `mosh-server list` shows for `pid`. */
async function listed(pid: number): Promise<string> {
  const r = await moshServer(["list"]);
  return r.stdout.split("\n").find((l) => l.startsWith(`${pid} `)) ?? "";
}

/** Waits until `mosh-server list` shows `pid`, or fails after `ms`. */
async function waitListed(pid: number, ms: number): Promise<void> {
  if (!(await pollUntil(() => listed(pid), (line) => line !== "", ms)).done) {
    throw new Error(`session ${pid} is not listed after ${ms} ms`);
  }
}

/** Datagrams sealed with `key` that would type `text` into a session, to `port`. */
async function forgeKeys(key: string, port: number, text: string): Promise<void> {
  const forge = forger(Base64Key.parse(key));
  const socket = udpNetwork.bind("127.0.0.1", 0);
  try {
    const typed = new UserStream().pushResize(80, 24).pushKeys(enc.encode(text));
    for (let n = 1n; n < 40n; n += 1n) {
      // Every base a client could have used, so one of them is a state the session holds.
      for (const old of [0n, n - 1n]) {
        const diff = typed.diffFrom(new UserStream());
        for (
          const d of forge(Number(n), { oldNum: old, newNum: 1000n + n, throwawayNum: 0n, diff })
        ) {
          await socket.send(d, `127.0.0.1:${port}`);
        }
      }
    }
    await sleep(300);
  } finally {
    socket.close();
  }
}

Deno.test({
  name:
    "a session whose client was killed is taken back with mosh --attach over sshd; the old key is dead",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    const { server, tmux } = await sessionWithClient();
    let again: Tmux | undefined;
    try {
      await tmux.type("echo MARK-$((6*7))");
      await tmux.keys("Enter");
      await tmux.waitFor((s) => s.includes("MARK-42"), 5000, "the marker");
      Deno.kill(clientPid(server.port), "SIGKILL");
      await tmux.waitFor((s) => s.includes("exit="), 5000, "the client's end");
      assert.ok(server.alive(), "the session outlives its client");

      again = await Tmux.start(
        mosh([`--ssh=${sshd.sshCommand}`, `--server=${OUR_SERVER}`, `--attach=${server.pid}`]) +
          " 127.0.0.1" + AFTER,
      );
      await again.waitFor((s) => s.includes("MARK-42"), 20_000, "the session's screen, marker");
      await again.type("echo AGAIN-$((6*7))");
      await again.keys("Enter");
      await again.waitFor((s) => s.includes("AGAIN-42"), 5000, "typing in the attached session");
      const address = async () => /127\.0\.0\.1:\d+/.exec(await listed(server.pid))?.[0];
      const before = await address();
      assert.ok(before, await listed(server.pid));

      // The old key's datagrams, to the old port and to the new one: neither is heard, and
      // neither moves the session's peer.
      for (const port of [server.port, newClientPort(server.port)]) {
        await forgeKeys(server.key, port, "echo FORGED-$((1+1))\r");
      }
      await again.type("echo AFTER-FORGERY");
      await again.keys("Enter");
      const screen = await again.waitFor((s) => s.includes("AFTER-FORGERY\n"), 5000, "typing");
      assert.ok(!screen.includes("FORGED-2"), screen);
      assert.equal(await address(), before, "the old key moved the peer");
    } finally {
      await again?.close();
      await tmux.close();
      server.stop();
      await sshd.close();
    }
  },
});

Deno.test({
  name: "Debian's mosh-client attaches with the MOSH CONNECT line of mosh-server attach",
  ...e2e,
  ignore: moshMissing,
  async fn() {
    const { server, tmux } = await sessionWithClient();
    let debian: Tmux | undefined;
    try {
      await tmux.type("echo MARK-$((6*7))");
      await tmux.keys("Enter");
      await tmux.waitFor((s) => s.includes("MARK-42"), 5000, "the marker");
      const r = await moshServer(["attach", String(server.pid), "-i", "127.0.0.1"]);
      assert.equal(r.code, 0, r.stderr);
      const m = /MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})/.exec(r.stdout);
      assert.ok(m, r.stdout);
      assert.notEqual(m[2], server.key, "a fresh key");
      assert.match(r.stderr, new RegExp(`detached, pid = ${server.pid}\\]`));
      debian = await Tmux.start(
        clientCommand("debian", { port: Number(m[1]), key: m[2] }) + AFTER,
      );
      await debian.waitFor((s) => s.includes("MARK-42"), 15_000, "the screen in Debian's client");
      await debian.type("echo DEBIAN-$((6*7))");
      await debian.keys("Enter");
      await debian.waitFor((s) => s.includes("DEBIAN-42"), 5000, "typing through Debian's client");
      // Our old client was taken over: it was told, and left.
      const old = await tmux.waitFor((s) => s.includes("exit="), 10_000, "the old client's end");
      assert.match(old, /taken over by another client/);
      assert.match(old, /exit=0/);
    } finally {
      await debian?.close();
      await tmux.close();
      server.stop();
    }
  },
});

Deno.test({
  name: "a live client is taken over by mosh --attach: it says so and exits, the new one works",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    const first = await Tmux.start(
      mosh([`--ssh=${sshd.sshCommand}`, `--server=${OUR_SERVER}`, "127.0.0.1"]) + AFTER,
    );
    let second: Tmux | undefined;
    try {
      await first.waitFor((s) => /[#$] *$/m.test(s), 20_000, "a shell prompt over mosh");
      await first.type("echo LIVE-$((6*7))");
      await first.keys("Enter");
      await first.waitFor((s) => s.includes("LIVE-42"), 5000, "the marker");
      const r = await moshServer(["list"]);
      const pid = /^(\d+) /m.exec(r.stdout.split("\n").slice(1).join("\n"))?.[1];
      assert.ok(pid, r.stdout);
      second = await Tmux.start(
        mosh([`--ssh=${sshd.sshCommand}`, `--server=${OUR_SERVER}`, `--attach=${pid}`]) +
          " 127.0.0.1" + AFTER,
      );
      await second.waitFor((s) => s.includes("LIVE-42"), 20_000, "the session in the new client");
      const told = await first.waitFor((s) => s.includes("exit="), 10_000, "the old client's end");
      assert.match(told, /This session was taken over by another client \(127\.0\.0\.1\)/);
      assert.match(told, /exit=0/);
      await second.type("echo NEW-$((6*7))");
      await second.keys("Enter");
      await second.waitFor((s) => s.includes("NEW-42"), 5000, "typing in the new client");
    } finally {
      await second?.close();
      await first.close();
      await sshd.close();
    }
  },
});

Deno.test({
  name: "a new session tells of a detached one, and plain mosh --attach takes it",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    // A session no client ever reached is detached from the start.
    const lonely = await startServer("ours", ["-i", "127.0.0.1"], SHELL, SHELL_ENV);
    let tmux: Tmux | undefined, attach: Tmux | undefined;
    try {
      tmux = await Tmux.start(
        mosh([`--ssh=${sshd.sshCommand}`, `--server=${OUR_SERVER}`, "127.0.0.1"]) + AFTER,
      );
      const screen = await tmux.waitFor(
        (s) => s.includes("detached session"),
        20_000,
        "the notice in the new session",
      );
      // The notice comes before the shell, at mosh's first size (80 wide): it may wrap.
      assert.match(
        screen.replaceAll("\n", ""),
        new RegExp(
          `you have a detached session here \\(pid ${lonely.pid}\\); attach with: mosh --attach`,
        ),
      );
      await tmux.keys("C-^");
      await tmux.type(".");
      await tmux.waitFor((s) => s.includes("exit="), 10_000, "the new session's end");
      attach = await Tmux.start(
        mosh([`--ssh=${sshd.sshCommand}`, `--server=${OUR_SERVER}`, "--attach", "127.0.0.1"]) +
          AFTER,
      );
      await attach.waitFor((s) => /\$ *$/m.test(s), 20_000, "the detached session's shell");
      await attach.type("echo TAKEN-$((6*7))");
      await attach.keys("Enter");
      await attach.waitFor((s) => s.includes("TAKEN-42"), 5000, "typing in it");
      assert.match(await listed(lonely.pid), /127\.0\.0\.1/);
    } finally {
      await attach?.close();
      await tmux?.close();
      lonely.stop();
      await waitGone(lonely.pid, 2000);
      await sshd.close();
    }
  },
});

/** Runs `mosh ARGS` without a terminal; its status and all it printed. */
function moshNoTerminal(args: string[]): Promise<ProgramRun> {
  return runOurs("mosh", args);
}

Deno.test({
  name:
    "mosh --attach without a terminal: with several detached sessions it fails with their list, with none it says so",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    const sessions = [
      await startServer("ours", ["-i", "127.0.0.1"], SHELL, SHELL_ENV),
      await startServer("ours", ["-i", "127.0.0.1"], SHELL, SHELL_ENV),
    ];
    try {
      // A daemon answers on its socket a moment after MOSH CONNECT (it loads the session first).
      for (const s of sessions) await waitListed(s.pid, 10_000);
      const several = await moshNoTerminal([
        `--ssh=${sshd.sshCommand}`,
        `--server=${OUR_SERVER}`,
        "--attach",
        "127.0.0.1",
      ]);
      assert.equal(several.code, 1, several.text);
      for (const s of sessions) assert.match(several.text, new RegExp(`^${s.pid} +detached`, "m"));
      assert.match(several.text, /2 detached sessions; choose one with --attach=PID/);
      // No key in any process's arguments, ever: only in the attach answer on a socket.
      for (const s of sessions) {
        for (const e of Deno.readDirSync("/proc")) {
          if (!/^\d+$/.test(e.name)) continue;
          const argv = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
          assert.ok(!argv.includes(s.key), `pid ${e.name} has a session key in its arguments`);
        }
      }
      for (const s of sessions) s.stop();
      for (const s of sessions) await waitGone(s.pid, 5000);
      const none = await moshNoTerminal([
        `--ssh=${sshd.sshCommand}`,
        `--server=${OUR_SERVER}`,
        "--attach",
        "127.0.0.1",
      ]);
      assert.equal(none.code, 1, none.text);
      assert.match(none.text, /no mosh session of yours here to attach to/);
    } finally {
      for (const s of sessions) s.stop();
      await sshd.close();
    }
  },
});

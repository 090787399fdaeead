/**
 * The `mosh` command with a real sshd on loopback: the bootstrap over ssh as mosh does it
 * (ProxyCommand, MOSH IP, MOSH CONNECT), remote commands, the errors users meet, `--local`,
 * and interop with Debian's mosh script and mosh-server.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { shellQuote, Tmux } from "./_tmux.ts";
import { freePort, sshdUnavailable, startSshd } from "./_sshd.ts";
import { moshMissing } from "../_debian_mosh.ts";
import { children, OUR_SERVER_LINE } from "./_programs.ts";

const why = sshdUnavailable();
if (why) console.warn(why);
const e2e = { ignore: why !== null, sanitizeOps: false, sanitizeResources: false };
const AFTER = `; echo "exit=$?"; sleep 30`;
const OUR_SERVER = OUR_SERVER_LINE;

function moshLine(args: string[]): string {
  const self = selfCommand("mosh", args);
  return [self.cmd, ...self.args].map(shellQuote).join(" ");
}

async function runMosh(args: string[]) {
  const self = selfCommand("mosh", args);
  const out = await new Deno.Command(self.cmd, {
    args: self.args,
    env: { LANG: "C.UTF-8" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

/** A session through ssh: the shell appears, a command runs, Ctrl-^ . quits cleanly. */
async function sessionThroughSsh(command: string) {
  const tmux = await Tmux.start(`sh -c ${shellQuote(command + AFTER)}`);
  try {
    await tmux.waitFor((s) => /[#$] *$/m.test(s), 20_000, "a shell prompt over mosh");
    await tmux.type("echo via-mosh $((40+2))");
    await tmux.keys("Enter");
    await tmux.waitFor((s) => s.includes("via-mosh 42"), 5000, "the command's output");
    await tmux.keys("C-^");
    await tmux.type(".");
    const end = await tmux.waitFor((s) => s.includes("exit="), 10_000, "the exit");
    assert.match(end, /exit=0/);
  } finally {
    await tmux.close();
  }
}

Deno.test({
  name: "mosh over a real sshd: a shell appears, a command runs, the session quits cleanly",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    try {
      await sessionThroughSsh(
        moshLine([`--ssh=${sshd.sshCommand}`, `--server=${OUR_SERVER}`, "127.0.0.1"]),
      );
    } finally {
      await sshd.close();
    }
  },
});

Deno.test({
  name: "mosh over sshd with a remote command: mosh ... 127.0.0.1 -- printf ok",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    // --no-init keeps the last screen visible after the client exits.
    const cmd = moshLine([
      `--ssh=${sshd.sshCommand}`,
      `--server=${OUR_SERVER}`,
      "--no-init",
      "127.0.0.1",
      "--",
      "printf",
      "ok",
    ]);
    const tmux = await Tmux.start(`sh -c ${shellQuote(cmd + AFTER)}`);
    try {
      const end = await tmux.waitFor((s) => s.includes("exit="), 20_000, "the command and exit");
      assert.match(end, /^ok/m);
      assert.match(end, /exit=0/);
    } finally {
      await tmux.close();
      await sshd.close();
    }
  },
});

Deno.test({
  name: "mosh --server=/nonexistent says mosh-server was not found, and how to point to it",
  ...e2e,
  async fn() {
    const sshd = await startSshd();
    try {
      const r = await runMosh([`--ssh=${sshd.sshCommand}`, "--server=/nonexistent", "127.0.0.1"]);
      assert.notEqual(r.code, 0);
      assert.match(r.text, /\/nonexistent was not found on the remote host/);
      assert.match(r.text, /--server=~\/local\/bin\/mosh-server/);
    } finally {
      await sshd.close();
    }
  },
});

Deno.test({
  name: "an ssh that cannot connect shows ssh's own words",
  ...e2e,
  async fn() {
    const r = await runMosh([`--ssh=ssh -p ${freePort()} -o BatchMode=yes`, "127.0.0.1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.text, /Connection refused/);
    assert.match(r.text, /ssh failed/);
  },
});

Deno.test({
  name: "interop: our mosh with Debian's mosh-server, and Debian's mosh with our mosh-server",
  ...e2e,
  ignore: e2e.ignore || moshMissing,
  async fn() {
    const sshd = await startSshd();
    try {
      // Our wrapper and client, Debian's server (the default `mosh-server` on the remote PATH).
      await sessionThroughSsh(moshLine([`--ssh=${sshd.sshCommand}`, "127.0.0.1"]));
      // Debian's Perl wrapper and client, our server.
      await sessionThroughSsh(
        `/usr/bin/mosh ${shellQuote(`--ssh=${sshd.sshCommand}`)} ${
          shellQuote(`--server=${OUR_SERVER}`)
        } 127.0.0.1`,
      );
    } finally {
      await sshd.close();
    }
  },
});

Deno.test({
  name: "mosh --local reaches a shell on this machine and quits cleanly",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await sessionThroughSsh(moshLine(["--local"]));
  },
});

/** `pid` and every process below it. */
function descendants(pid: number): number[] {
  return [pid, ...children(pid).flatMap(descendants)];
}

Deno.test({
  name: "mosh --local: the client takes mosh's place; it and the server daemon skip Deno's " +
    "look for a newer Deno; the shell's environment is still the user's",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const tmux = await Tmux.start(
      `env -u DENO_NO_UPDATE_CHECK sh -c ${shellQuote(moshLine(["--local"]) + AFTER)}`,
    );
    try {
      await tmux.waitFor((s) => /[#$] *$/m.test(s), 20_000, "a shell prompt over mosh");
      await tmux.type('echo "check=${DENO_NO_UPDATE_CHECK-unset} parent=$PPID"');
      await tmux.keys("Enter");
      const screen = await tmux.waitFor((s) => /check=\S+ parent=\d+/.test(s), 5000, "the echo");
      assert.match(screen, /check=unset/, "the shell got our setting");
      const daemon = Number(/parent=(\d+)/.exec(screen)![1]);
      const pane = descendants(Number(await tmux.format("pane_pid"))).map((pid) => {
        try {
          return { pid, cmdline: Deno.readTextFileSync(`/proc/${pid}/cmdline`) };
        } catch {
          return { pid, cmdline: "" };
        }
      });
      const client = pane.find((p) => p.cmdline.includes("mosh_client.ts"))?.pid;
      assert.ok(client, "our client runs in the pane");
      // The client took the place of `mosh` (exec), as with mosh's script: no runtime waits.
      const waiting = pane.filter((p) =>
        p.cmdline.split("\0").some((arg) => arg.endsWith("/cli/mosh.ts"))
      );
      assert.deepEqual(waiting, [], "mosh waits beside its client");
      for (const [who, pid] of [["the server daemon", daemon], ["the client", client]] as const) {
        const environ = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
        assert.ok(environ.includes("DENO_NO_UPDATE_CHECK=1"), `${who} (pid ${pid})`);
      }
      await tmux.keys("C-^");
      await tmux.type(".");
      assert.match(await tmux.waitFor((s) => s.includes("exit="), 10_000, "the exit"), /exit=0/);
    } finally {
      await tmux.close();
    }
  },
});

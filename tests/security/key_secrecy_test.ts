/**
 * The session key is a secret: it must not appear in any process's arguments (which every
 * user on the machine can read with `ps`), nor in any log or message beyond the one
 * `MOSH CONNECT` line, nor in any process's environment once the client has read it.
 *
 * What `/proc/PID/environ` shows is the environment a process *started* with. mosh-client
 * reads MOSH_KEY and removes it from its environment (ours with `Deno.env.delete`, mosh's with
 * `unsetenv`), so its children never see it. Debian's mosh-client leaves the memory that
 * `/proc/PID/environ` reads as it was, so its key stays visible there to the same user (and
 * root) for the client's lifetime, which is checked below; ours overwrites the value there
 * (io/libc.ts wipeEnvironmentValue), so its key shows nowhere.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { shellQuote, sleep, Tmux } from "../e2e/_tmux.ts";
import { startServer, waitGone } from "../e2e/_programs.ts";
import { MOSH_CLIENT, moshMissing } from "../_debian_mosh.ts";
import { descendants, type Proc, processes, sightings, udpSocketsOf } from "./_proc.ts";
import { TestClient } from "./_client.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const SHELL_ENV = { PS1: "$ ", HISTFILE: "/dev/null", ENV: "" };

/** The command line of one of our programs, quoted for sh. */
function ours(role: "mosh" | "mosh-server" | "mosh-client", args: string[]): string {
  const c = selfCommand(role, args);
  return [c.cmd, ...c.args].map(shellQuote).join(" ");
}

const isOurClient = (argv: string[]) =>
  argv.some((a) => a.endsWith("/mosh_client.ts") || a === "--denomosh-role=mosh-client");

/** Reads the variable `name` from a process's starting environment. */
function environOf(p: Proc, name: string): string | undefined {
  const entry = p.environ?.find((v) => v.startsWith(name + "="));
  return entry?.slice(name.length + 1);
}

/** The processes a tmux session runs: its server's descendants. */
function inSession(tmux: Tmux): Proc[] {
  const server = processes().find((p) =>
    p.argv[0]?.split("/").pop() === "tmux" && p.argv.includes(tmux.socket)
  );
  assert.ok(server, "the tmux server");
  return descendants(server.pid);
}

function describe(list: { pid: number; where: string; entry: string; argv: string[] }[]): string {
  return list.map((s) => `pid ${s.pid} ${s.where} ${s.entry}: ${s.argv.join(" ")}`).join("\n");
}

Deno.test({
  name: "mosh --local: nothing shaped like the key in the session's arguments or environments",
  ...e2e,
  async fn() {
    const tmux = await Tmux.start(
      `sh -c ${shellQuote(ours("mosh", ["--local"]) + '; echo "exit=$?"; sleep 30')}`,
      { env: SHELL_ENV },
    );
    let daemon: number | undefined;
    try {
      await tmux.waitFor((s) => /[#$] *$/m.test(s), 20_000, "a shell prompt over mosh");
      // The shell, started by the server, has no MOSH_KEY.
      await tmux.type('echo "key=[${MOSH_KEY-unset}]"');
      await tmux.keys("Enter");
      await tmux.waitFor((s) => s.includes("key=[unset]"), 5000, "the shell's MOSH_KEY");

      const client = inSession(tmux).find((p) => isOurClient(p.argv));
      assert.ok(client, "the client process");
      // The client started with MOSH_KEY, whose value it has overwritten where /proc shows it.
      assert.equal(environOf(client, "MOSH_KEY"), "", "MOSH_KEY in the client's environ");
      const port = Number(client.argv.at(-1));
      daemon = processes().find((p) =>
        p.argv.includes("--denomosh-server-daemon") &&
        udpSocketsOf(p.pid).some((u) => u.port === port)
      )?.pid;
      assert.ok(daemon, "the server daemon");
      const shells = descendants(daemon);
      assert.ok(shells.length >= 1, "the daemon runs the shell");

      // The wrapper holds the key only in memory, so look for anything shaped like one in the
      // session's processes and the daemon's (other tests on this machine may run clients):
      // no such argument, and no MOSH_KEY with a value.
      const shaped = /^[A-Za-z0-9+/]{21}[AQgw]$/;
      const involved = [
        ...inSession(tmux),
        ...processes().filter((p) => p.pid === daemon),
        ...shells,
      ];
      const suspects = involved.flatMap((p) => [
        ...p.argv.filter((a) => shaped.test(a)).map((a) => `pid ${p.pid} argv ${a}`),
        ...(p.environ ?? []).filter((v) => /^MOSH_KEY=./.test(v)).map((v) =>
          `pid ${p.pid} environ ${v.slice(0, 9)}...`
        ),
      ]);
      assert.deepStrictEqual(suspects, [], "something shaped like the key");
      // Nor on the terminal: the wrapper reads MOSH CONNECT and never prints it.
      assert.ok(!/MOSH CONNECT/.test(await tmux.screen()), "MOSH CONNECT is on the screen");

      await tmux.keys("C-^");
      await tmux.type(".");
      const end = await tmux.waitFor((s) => s.includes("exit="), 10_000, "the exit");
      assert.match(end, /exit=0/);
      assert.ok(!/MOSH CONNECT/.test(end));
    } finally {
      await tmux.close();
      if (daemon && processes().some((p) => p.pid === daemon)) Deno.kill(daemon, "SIGKILL");
    }
  },
});

/** Starts `client` (a path) as the mosh wrapper does, the key only in its environment. */
async function clientAsTheWrapperDoes(client: string[], dir: string, server: {
  key: string;
  port: number;
}): Promise<Tmux> {
  const script = `${dir}/client.sh`;
  await Deno.writeTextFile(
    script,
    `MOSH_KEY=${shellQuote(server.key)}; export MOSH_KEY\nexec ${
      client.map(shellQuote).join(" ")
    } 127.0.0.1 ${server.port}\n`,
    { mode: 0o700 },
  );
  return await Tmux.start(`sh -c ${shellQuote(`sh ${script}; echo "exit=$?"; sleep 30`)}`, {
    env: SHELL_ENV,
  });
}

Deno.test({
  name: "our mosh-client, started with MOSH_KEY, leaves the key nowhere, not even in its environ",
  ...e2e,
  async fn() {
    const server = await startServer(
      "ours",
      ["-i", "127.0.0.1", "-p", "0"],
      ["/bin/sh"],
      SHELL_ENV,
    );
    const dir = await Deno.makeTempDir({ prefix: "denomosh-key-" });
    const self = selfCommand("mosh-client", []);
    const tmux = await clientAsTheWrapperDoes([self.cmd, ...self.args], dir, server);
    try {
      await tmux.waitFor((s) => /^\$ *$/m.test(s), 10_000, "the prompt through our client");
      await Deno.remove(dir, { recursive: true });
      const client = inSession(tmux).find((p) => isOurClient(p.argv));
      assert.ok(client, "our client process");
      assert.equal(environOf(client, "MOSH_KEY"), "", "MOSH_KEY, wiped, in its environ");
      const seen = sightings(server.key);
      assert.deepStrictEqual(seen, [], `the key shows in:\n${describe(seen)}`);
      assert.ok(!(await tmux.screen()).includes(server.key));
    } finally {
      await tmux.close();
      server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "Debian's mosh-client, started the same way, shows its key in /proc/PID/environ, and nowhere else",
  ignore: moshMissing,
  ...e2e,
  async fn() {
    const server = await startServer(
      "ours",
      ["-i", "127.0.0.1", "-p", "0"],
      ["/bin/sh"],
      SHELL_ENV,
    );
    const dir = await Deno.makeTempDir({ prefix: "denomosh-key-" });
    // As the mosh wrapper starts it: the key in the environment, never in the arguments.
    const tmux = await clientAsTheWrapperDoes([MOSH_CLIENT], dir, server);
    try {
      await tmux.waitFor((s) => /^\$ *$/m.test(s), 10_000, "the prompt through Debian's client");
      await Deno.remove(dir, { recursive: true });
      const client = inSession(tmux).find((p) => p.argv[0] === MOSH_CLIENT);
      assert.ok(client, "Debian's client process");
      const seen = sightings(server.key);
      assert.deepStrictEqual(
        seen.map((s) => [s.pid, s.where, s.entry]),
        [[client.pid, "environ", "MOSH_KEY"]],
        `the key shows in:\n${describe(seen)}`,
      );
      assert.ok(!(await tmux.screen()).includes(server.key));
    } finally {
      await tmux.close();
      server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "mosh-server -v: the key is on the MOSH CONNECT line and in no other message or log line",
  ...e2e,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denomosh-log-" });
    const log = `${dir}/server.log`;
    // The daemon keeps the first process's stderr with -v: send it to a file we can read.
    const started = await new Deno.Command("/bin/sh", {
      args: [
        "-c",
        `exec ${
          ours("mosh-server", ["new", "-v", "-i", "127.0.0.1", "-p", "0", "--", "/bin/sh"])
        } 2>${shellQuote(log)}`,
      ],
      env: { LANG: "C.UTF-8", ...SHELL_ENV },
      stdin: "null",
      stdout: "piped",
    }).output();
    const stdout = new TextDecoder().decode(started.stdout);
    const m = /MOSH CONNECT (\d+) ([A-Za-z0-9+/]{22})/.exec(stdout);
    assert.ok(m, stdout);
    const [, port, key] = m;
    let pid = 0;
    try {
      for (let i = 0; i < 50 && !pid; i++) {
        pid = Number(/detached, pid = (\d+)/.exec(await Deno.readTextFile(log))?.[1] ?? 0);
        if (!pid) await sleep(20);
      }
      assert.ok(pid, "the daemon's pid in the log");
      // A session: the client connects, types, sees the output, and shuts down.
      const client = new TestClient(Number(port), key);
      try {
        await client.waitFor((s) => /^\$ *$/m.test(s), 10_000, "the prompt");
        client.type("echo secret-test $((6*7))\r");
        await client.waitFor((s) => s.includes("secret-test 42"), 5000, "the output");
        client.transport.startShutdown(Math.floor(performance.now()));
        client.service();
        assert.ok(await waitGone(pid, 8000), "the server exited after the shutdown");
      } finally {
        client.close();
      }
      const text = await Deno.readTextFile(log);
      // The daemon logged the session after the startup messages (with -v it says at least
      // where client states come from, and that the application exited).
      assert.match(text.split("detached, pid")[1] ?? "", /\n\S/, `the -v log is empty:\n${text}`);
      assert.ok(!text.includes(key), `the key is in the -v log:\n${text}`);
      assert.equal(stdout.split(key).length - 1, 1, "the key is printed once");
      assert.ok(
        stdout.split("\n").filter((l) => l.includes(key)).every((l) =>
          l.startsWith("MOSH CONNECT ")
        ),
      );
    } finally {
      if (pid && processes().some((p) => p.pid === pid)) Deno.kill(pid, "SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});

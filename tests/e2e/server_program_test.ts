/**
 * mosh-server as a program: what it prints, how it detaches, its errors, its timeouts and
 * signals, and what it leaves behind.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { children, processAlive, startServer, waitGone } from "./_programs.ts";
import { ImpairmentProxy } from "./_proxy.ts";
import { clientCommand } from "./_programs.ts";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

async function runServer(args: string[], env: Record<string, string> = {}) {
  const cmd = selfCommand("mosh-server", args);
  const out = await new Deno.Command(cmd.cmd, {
    args: cmd.args,
    env: { LANG: "C.UTF-8", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function fds(pid: number): string[] {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => {
    try {
      return `${e.name}->${Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`)}`;
    } catch {
      return e.name;
    }
  });
}

Deno.test({
  name: "mosh-server new prints MOSH CONNECT and the detached pid, and the daemon lets go of stdio",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
      "/bin/sh",
      "-c",
      "sleep 30",
    ]);
    try {
      assert.match(s.stdout, /^MOSH CONNECT \d+ [A-Za-z0-9/+]{21}[AQgw]\n$/);
      assert.match(s.stderr, /\[mosh-server detached, pid = \d+\]/);
      assert.ok(s.alive());
      // Stdout and stderr are /dev/null from its start; stdin is its settings' pipe until it
      // has read them.
      const nulls = (open: string[]) =>
        ["0", "1", "2"].filter((fd) => open.includes(`${fd}->/dev/null`));
      let open = fds(s.pid);
      for (const end = Date.now() + 10_000; nulls(open).length < 3 && Date.now() < end;) {
        assert.deepEqual(nulls(open).slice(-2), ["1", "2"], open.join(","));
        await new Promise((r) => setTimeout(r, 20));
        open = fds(s.pid);
      }
      assert.deepEqual(nulls(open), ["0", "1", "2"], open.join(","));
      // Its own session: a hangup of the terminal that started it cannot reach it.
      const stat = Deno.readTextFileSync(`/proc/${s.pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      assert.equal(Number(fields[3]), s.pid, "session id is its own pid");
      // The key is nowhere in any process's arguments.
      for (const e of Deno.readDirSync("/proc")) {
        if (!/^\d+$/.test(e.name)) continue;
        try {
          assert.ok(
            !Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes(s.key),
            `pid ${e.name}`,
          );
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
        }
      }
    } finally {
      s.stop();
    }
  },
});

Deno.test({
  name: "mosh-server refuses a port in use, bad -p, -c and -l values, and a missing command",
  ...e2e,
  async fn() {
    const taken = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
    const port = (taken.addr as Deno.NetAddr).port;
    try {
      const inUse = await runServer(["new", "-i", "127.0.0.1", "-p", String(port)]);
      assert.equal(inUse.code, 1);
      assert.match(inUse.stderr, new RegExp(`could not bind a UDP socket on port ${port}`));
      assert.doesNotMatch(inUse.stdout, /MOSH CONNECT/);
    } finally {
      taken.close();
    }
    const cases: [string[], RegExp][] = [
      [["new", "-p", "99999"], /\(Low\) port number 99999 outside valid range/],
      [["new", "-p", "10:5"], /Low port 10 greater than high port 5/],
      [["new", "-c", "many"], /Bad number of colors \(many\)/],
      [["new", "-l", "LANG"], /Bad locale setting \(LANG\)/],
      [
        ["new", "--", "/nonexistent/program"],
        /cannot run \/nonexistent\/program: command not found/,
      ],
      [["new", "--", "no-such-command-here"], /cannot run no-such-command-here/],
    ];
    for (const [args, message] of cases) {
      const r = await runServer(args);
      assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stdout, /MOSH CONNECT/);
    }
    const help = await runServer(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: mosh-server new/);
  },
});

Deno.test({
  name: "a non-UTF-8 locale is refused unless the client's -l settings fix it",
  ...e2e,
  async fn() {
    const c = await runServer(["new", "-i", "127.0.0.1", "-p", "0", "--", "/bin/true"], {
      LANG: "C",
      LC_ALL: "C",
    });
    assert.equal(c.code, 1);
    assert.match(c.stderr, /mosh-server needs a UTF-8 native locale to run/);
    const fixed = await runServer(
      ["new", "-i", "127.0.0.1", "-p", "0", "-l", "LANG=C.UTF-8", "--", "/bin/sleep", "1"],
      { LANG: "C" },
    );
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /MOSH CONNECT/);
  },
});

Deno.test({
  name: "MOSH_SERVER_NETWORK_TMOUT ends the session when the client goes silent",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
      "/bin/sh",
      "-c",
      "sleep 60",
    ], {
      MOSH_SERVER_NETWORK_TMOUT: "2",
    });
    const proxy = new ImpairmentProxy(s.port);
    const tmux = await Tmux.start(
      `sh -c ${shellQuote(clientCommand("ours", { ...s, port: proxy.port }) + "; sleep 30")}`,
    );
    try {
      await sleep(1500); // connected
      const shell = children(s.pid);
      assert.equal(shell.length, 1, "the application runs");
      proxy.c2s = { blocked: true };
      proxy.s2c = { blocked: true };
      // 2 s of silence, then the shutdown handshake gives up after 10 s at most.
      assert.ok(await waitGone(s.pid, 16_000), "the server outlived its network timeout");
      assert.ok(await waitGone(shell[0], 3000), "the application outlived the server");
    } finally {
      proxy.close();
      await tmux.close();
      s.stop();
    }
  },
});

Deno.test({
  name: "SIGUSR1 ends the session (no MOSH_SERVER_SIGNAL_TMOUT), and the client says goodbye",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
      "/bin/sh",
      "-c",
      "sleep 60",
    ]);
    const tmux = await Tmux.start(
      `sh -c ${shellQuote(clientCommand("ours", s) + `; echo "exit=$?"; sleep 30`)}`,
    );
    try {
      await sleep(1500);
      Deno.kill(s.pid, "SIGUSR1");
      const screen = await tmux.waitFor((x) => x.includes("exit="), 8000, "the client to exit");
      assert.match(screen, /exit=0/);
      assert.ok(await waitGone(s.pid, 5000));
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

Deno.test({
  name: "with MOSH_SERVER_SIGNAL_TMOUT, SIGUSR1 is ignored while the client is active",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
      "/bin/sh",
      "-c",
      "sleep 60",
    ], {
      MOSH_SERVER_SIGNAL_TMOUT: "30",
    });
    const tmux = await Tmux.start(`sh -c ${shellQuote(clientCommand("ours", s) + "; sleep 30")}`);
    try {
      await sleep(1500);
      Deno.kill(s.pid, "SIGUSR1");
      await sleep(1500);
      assert.ok(processAlive(s.pid), "the server quit although the client was heard recently");
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

Deno.test({
  name: "with MOSH_SERVER_NETWORK_TMOUT and no client ever, the server exits when it expires",
  ...e2e,
  async fn() {
    // The network timeout counts from the start when no client came (nobody to tell: it
    // exits at once). mosh's 60 s no-client rule is tested in tests/server/server_test.ts.
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], ["/bin/true"], {
      MOSH_SERVER_NETWORK_TMOUT: "1",
    });
    try {
      assert.ok(await waitGone(s.pid, 8000), "the server kept running with nobody connected");
    } finally {
      s.stop();
    }
  },
});

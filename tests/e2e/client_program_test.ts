/**
 * mosh-client as a program in a real terminal: refusals, the terminal restored on every way
 * out, suspend and resume, and the alternate screen.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { clientCommand, clientPid, SHELL, SHELL_ENV, startServer, waitGone } from "./_programs.ts";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { pollUntil } from "../_poll.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const AFTER = `; echo "exit=$?"; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 30`;

async function runClient(args: string[], env: Record<string, string>) {
  const cmd = selfCommand("mosh-client", args);
  const out = await new Deno.Command(cmd.cmd, {
    args: cmd.args,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function procState(pid: number): string {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2)[0];
}

Deno.test({
  name:
    "mosh-client refuses a missing or malformed key and a non-UTF-8 locale, before touching the tty",
  ...e2e,
  async fn() {
    const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
    const missing = await runClient(["127.0.0.1", "60001"], { LANG: "C.UTF-8", PATH: path });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /MOSH_KEY environment variable not found/);
    const bad = await runClient(["127.0.0.1", "60001"], {
      LANG: "C.UTF-8",
      PATH: path,
      MOSH_KEY: "AAECAwQFBgcICQoLDA0OD-",
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MOSH_KEY is not a valid session key: Key must be well-formed base64/);
    const locale = await runClient(["127.0.0.1", "60001"], {
      LANG: "C",
      PATH: path,
      MOSH_KEY: "AAECAwQFBgcICQoLDA0ODw",
    });
    assert.equal(locale.code, 1);
    assert.match(locale.stderr, /mosh-client needs a UTF-8 native locale to run/);
  },
});

Deno.test({
  name: "SIGTERM shuts the session down cleanly and gives the terminal back",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
    const tmux = await Tmux.start(`sh -c ${shellQuote(clientCommand("ours", s) + AFTER)}`);
    try {
      await tmux.waitFor((x) => /^\$\s*$/m.test(x), 10_000, "the prompt");
      Deno.kill(clientPid(s.port), "SIGTERM");
      const screen = await tmux.waitFor((x) => /^-?icanon$/m.test(x), 10_000, "the exit");
      assert.match(screen, /exit=0/);
      assert.match(screen, /^icanon$/m);
      assert.ok(await waitGone(s.pid, 5000), "the server exited too");
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

Deno.test({
  name: "Ctrl-^ Ctrl-Z suspends with the terminal restored, and SIGCONT resumes with a repaint",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
    // A shell with job control runs the client, as a user's would.
    const tmux = await Tmux.start(`bash --norc --noprofile -i`, { env: { PS1: "outer> " } });
    try {
      await tmux.waitFor((x) => x.includes("outer>"), 5000, "the outer shell");
      await tmux.type(clientCommand("ours", s));
      await tmux.keys("Enter");
      await tmux.waitFor((x) => /^\$\s*$/m.test(x), 10_000, "the remote prompt");
      await tmux.type("echo before");
      await tmux.keys("Enter");
      await tmux.waitFor((x) => x.includes("before\n"), 5000, "before");
      await tmux.keys("C-^", "C-z");
      // The client says so before it stops; the outer shell speaks once it has stopped.
      const suspended = await tmux.waitFor(
        (x) => x.includes("[mosh is suspended.]") && /Stopped|outer>/.test(x),
        5000,
        "suspend, and the outer shell",
      );
      assert.match(suspended, /Stopped|outer>/);
      const pid = clientPid(s.port);
      const state = await pollUntil(() => procState(pid), (s) => s === "T", 3000, 20);
      assert.equal(state.value, "T", "the client is stopped");
      await tmux.type("fg");
      await tmux.keys("Enter");
      const back = await tmux.waitFor(
        (x) => x.includes("before") && !x.includes("outer>"),
        5000,
        "resume",
      );
      assert.match(back, /echo before/);
      await tmux.type("echo after");
      await tmux.keys("Enter");
      await tmux.waitFor((x) => x.includes("after\n"), 5000, "typing after resume");
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

Deno.test({
  name:
    "without native scrollback the client takes the alternate screen and gives it back; MOSH_NO_TERM_INIT keeps it",
  ...e2e,
  async fn() {
    for (const noInit of [false, true]) {
      const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
      const env: Record<string, string> = noInit
        ? { MOSH_NO_TERM_INIT: "1", MOSH_NO_SCROLLBACK: "1" }
        : { MOSH_NO_SCROLLBACK: "1" };
      const tmux = await Tmux.start(
        `sh -c ${shellQuote("echo underneath; " + clientCommand("ours", s, env) + AFTER)}`,
      );
      try {
        const during = await tmux.waitFor((x) => /^\$\s*$/m.test(x), 10_000, "the prompt");
        assert.equal(during.includes("underneath"), false, "the session covers the screen");
        await tmux.keys("C-^");
        await tmux.type(".");
        const after = await tmux.waitFor((x) => /^-?icanon$/m.test(x), 10_000, "the exit");
        // With the alternate screen, what was there before comes back.
        assert.equal(after.includes("underneath"), !noInit, after);
      } finally {
        await tmux.close();
        s.stop();
      }
    }
    await sleep(0);
  },
});

Deno.test({
  name: "when the user's terminal goes away, the client still tells the server, and both exit",
  ...e2e,
  async fn() {
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
    const tmux = await Tmux.start(clientCommand("ours", s));
    let pid = 0;
    try {
      await tmux.waitFor((x) => /^\$\s*$/m.test(x), 10_000, "the prompt");
      pid = clientPid(s.port);
      await tmux.close(); // the terminal window closes: hangup, then EIO
      assert.ok(await waitGone(pid, 10_000), "the client outlived its terminal");
      assert.ok(await waitGone(s.pid, 10_000), "the server was not told");
    } finally {
      await tmux.close();
      s.stop();
      if (pid) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone, as it should be
        }
      }
    }
  },
});

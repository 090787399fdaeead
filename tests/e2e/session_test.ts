/**
 * Our mosh-client and mosh-server, end to end on loopback, driven through a real terminal
 * (tmux) as a person would: typing, resizing, quitting, and the shell exiting.
 */
import assert from "node:assert/strict";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { clientCommand, SHELL, SHELL_ENV, startServer, waitGone } from "./_programs.ts";
import { ImpairmentProxy } from "./_proxy.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** Runs the client in tmux; after it exits the pane shows the terminal's own state. */
async function clientInTmux(
  server: { port: number; key: string },
  opts: { width?: number; height?: number; env?: Record<string, string>; port?: number } = {},
): Promise<Tmux> {
  const cmd = clientCommand("ours", { ...server, port: opts.port ?? server.port }, opts.env);
  // After the client: report the exit status and whether the tty is back in cooked mode.
  const after = `; echo "exit=$?"; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 30`;
  return await Tmux.start(`sh -c ${shellQuote(cmd + after)}`, opts);
}

/** Our server running the test shell and our client in tmux, at the shell's prompt, for `fn`. */
async function atShellPrompt(
  fn: (tmux: Tmux, server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
): Promise<void> {
  const server = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
  const tmux = await clientInTmux(server);
  try {
    await tmux.waitFor((s) => /^\$\s*$/m.test(s), 10_000, "the prompt");
    await fn(tmux, server);
  } finally {
    await tmux.close();
    server.stop();
  }
}

Deno.test({
  name: "type a command and see its output, resize, then quit with Ctrl-^ .",
  ...e2e,
  async fn() {
    await atShellPrompt(async (tmux, server) => {
      await tmux.type("echo hello $((6*7))");
      await tmux.keys("Enter");
      await tmux.waitFor((s) => s.includes("hello 42"), 5000, "the command's output");
      await tmux.resize(100, 30);
      await sleep(300);
      await tmux.type("stty size");
      await tmux.keys("Enter");
      await tmux.waitFor((s) => s.includes("30 100"), 5000, "the new size in the shell");
      await tmux.keys("C-^");
      await tmux.type(".");
      const screen = await tmux.waitFor((s) => /^-?icanon$/m.test(s), 10_000, "the client to exit");
      assert.match(screen, /\[mosh is exiting\.\]/);
      assert.match(screen, /exit=0/);
      assert.match(screen, /^icanon$/m, "the terminal is back in cooked mode");
      assert.ok(await waitGone(server.pid, 5000), "the server exited after the handshake");
    });
  },
});

Deno.test({
  name: "a window dragged through many sizes ends at the last one, at once",
  ...e2e,
  async fn() {
    // A stream of SIGWINCH: the client waits in its own poll (io/main_wait.ts), and a signal
    // that lands while it handles the one before must not wait for the loop's idle turn (5 s).
    await atShellPrompt(async (tmux) => {
      for (let i = 0; i < 3; i++) {
        for (let step = 0; step < 24; step++) await tmux.resize(60 + step * 2, 15 + (step % 9));
        const [cols, rows] = [70 + i * 7, 20 + i];
        await tmux.resize(cols, rows);
        await sleep(1000);
        await tmux.type("stty size");
        await tmux.keys("Enter");
        const screen = await tmux.waitFor((s) => /^\d+ \d+$/m.test(s), 5000, "stty's answer");
        const sizes = screen.match(/^\d+ \d+$/gm)!;
        assert.equal(sizes[sizes.length - 1], `${rows} ${cols}`, `drag ${i + 1}`);
        await tmux.type("clear");
        await tmux.keys("Enter");
        await tmux.waitFor((s) => !/^\d+ \d+$/m.test(s), 5000, "a clear screen");
      }
    });
  },
});

Deno.test({
  name: "the shell's exit ends both programs and restores the terminal",
  ...e2e,
  async fn() {
    await atShellPrompt(async (tmux, server) => {
      await tmux.type("exit");
      await tmux.keys("Enter");
      const screen = await tmux.waitFor((s) => /^-?icanon$/m.test(s), 10_000, "the client to exit");
      assert.match(screen, /exit=0/);
      assert.match(screen, /^icanon$/m);
      assert.ok(await waitGone(server.pid, 5000), "the server exited");
    });
  },
});

Deno.test({
  name: "the client's first state carries its window size: the shell starts at 100x30",
  ...e2e,
  async fn() {
    const server = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
      "/bin/sh",
      "-c",
      "stty size; sleep 30",
    ]);
    const tmux = await clientInTmux(server, { width: 100, height: 30 });
    try {
      await tmux.waitFor((s) => /\b30 100\b/.test(s), 10_000, "stty size of the first shell");
    } finally {
      await tmux.close();
      server.stop();
    }
  },
});

Deno.test({
  name: "a client that never hears from the server still shuts the server down",
  ...e2e,
  async fn() {
    const server = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
    const proxy = new ImpairmentProxy(server.port);
    proxy.s2c = { blocked: true };
    const tmux = await clientInTmux(server, { port: proxy.port });
    try {
      await tmux.waitFor((s) => s.includes("Nothing received from server"), 5000, "the bar");
      await tmux.keys("C-^");
      await tmux.type(".");
      // The server hears the shutdown, acknowledges it (lost), and exits.
      assert.ok(await waitGone(server.pid, 8000), "the server kept running");
      const screen = await tmux.waitFor((s) => /^-?icanon$/m.test(s), 15_000, "the client to exit");
      assert.match(screen, /mosh did not make a successful connection to 127\.0\.0\.1:\d+/);
      assert.match(screen, /exit=1/);
    } finally {
      proxy.close();
      await tmux.close();
      server.stop();
    }
  },
});

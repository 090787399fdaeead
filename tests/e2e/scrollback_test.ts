/**
 * Native scrollback as a person sees it: our client in a tmux pane with a large history, our
 * server running a shell, through loopback or the loss proxy. What the pane's history and
 * screen hold (`capture-pane -J -S - -E -`) is what the user can scroll back, search and copy.
 */
import assert from "node:assert/strict";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { FILL_SECONDS } from "../../core/session/history_budget.ts";
import { clientCommand, SHELL, SHELL_ENV, type StartedServer, startServer } from "./_programs.ts";
import { ImpairmentProxy } from "./_proxy.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const HEIGHT = 24;
/** What the pane prints once the client has exited. */
const CLIENT_GONE = "the-client-has-exited";

/** A session of ours in a tmux pane that keeps 2,000,000 lines of history. */
async function session(
  options: { loss?: number; rtt?: number } = {},
): Promise<{ tmux: Tmux; server: StartedServer; close(): Promise<void> }> {
  const server = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
  let port = server.port;
  let proxy: ImpairmentProxy | undefined;
  if (options.loss !== undefined || options.rtt !== undefined) {
    proxy = new ImpairmentProxy(server.port, 7);
    const half = { loss: options.loss ?? 0, delay: (options.rtt ?? 0) / 2 };
    proxy.c2s = half;
    proxy.s2c = { ...half };
    port = proxy.port;
  }
  const tmux = await Tmux.start(
    `sh -c ${
      shellQuote(
        clientCommand("ours", { port, key: server.key }) + `; echo ${CLIENT_GONE}; sleep 60`,
      )
    }`,
    { height: HEIGHT, historyLimit: 2_000_000 },
  );
  await tmux.waitFor((s) => /^\$ *$/m.test(s), 20_000, "the prompt");
  return {
    tmux,
    server,
    async close() {
      await tmux.close();
      proxy?.close();
      server.stop();
    },
  };
}

/** Runs `command` at the prompt and waits for its output to end with `last` and a prompt. */
async function run(tmux: Tmux, command: string, last: string, ms: number): Promise<void> {
  await tmux.type(command);
  await tmux.keys("Enter");
  await tmux.waitFor(
    (s) => new RegExp(`^${last}\\s*\\n\\$ *$`, "m").test(s),
    ms,
    `the end of ${command}`,
  );
}

/** The pane's whole text: its history, then its screen, soft-wrapped lines joined. */
async function everything(tmux: Tmux): Promise<string[]> {
  return (await tmux.capture("-J", "-S", "-", "-E", "-")).split("\n");
}

/** The count a marker line stands for, or null. */
function marker(line: string): number | null {
  const m = /^\[… ([\d,]+) lines? (?:not transferred|skipped) …\]\s*$/.exec(line);
  return m ? Number(m[1].replaceAll(",", "")) : null;
}

/** Checks that `seq 1 N`'s numbers are all there once, in order, between the command and the prompt. */
function assertWholeSeq(lines: string[], n: number): void {
  const start = lines.findIndex((l) => l.startsWith(`$ seq 1 ${n}`));
  assert.ok(start >= 0, "the command line is in the history");
  const numbers = lines.slice(start + 1, start + 1 + n);
  for (let i = 0; i < n; i++) {
    if (numbers[i] !== String(i + 1)) {
      assert.fail(`line ${i + 1} of seq is ${JSON.stringify(numbers[i])}`);
    }
  }
  assert.match(lines[start + 1 + n], /^\$ *$/, "the prompt follows");
  const counts = lines.filter((l) => /^\d+$/.test(l)).length;
  assert.equal(counts, n, "no number twice");
}

Deno.test({
  name: "scrollback: seq 1 3000 lands in the terminal's own history, every line once, in order",
  ...e2e,
  async fn() {
    const s = await session();
    try {
      await run(s.tmux, "seq 1 3000", "3000", 20_000);
      assertWholeSeq(await everything(s.tmux), 3000);
      assert.equal(await s.tmux.format("alternate_on"), "0", "on the main screen");
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "scrollback: when the session ends, its history and last screen stay in the terminal",
  ...e2e,
  async fn() {
    const s = await session();
    try {
      await run(s.tmux, "seq 1 300", "300", 20_000);
      await s.tmux.type("echo last-$((6*7))");
      await s.tmux.keys("Enter");
      await s.tmux.waitFor((x) => /^last-42$/m.test(x), 10_000, "the last line");
      await s.tmux.type("exit");
      await s.tmux.keys("Enter");
      await s.tmux.waitFor((x) => x.includes(CLIENT_GONE), 20_000, "the client's exit");
      const lines = await everything(s.tmux);
      const start = lines.findIndex((l) => l.startsWith("$ seq 1 300"));
      assert.ok(start >= 0, "the command line is still in the history");
      assert.deepEqual(
        lines.slice(start + 1, start + 301),
        Array.from({ length: 300 }, (_, i) => String(i + 1)),
        "seq's lines, once and in order",
      );
      const screen = await s.tmux.screen();
      assert.match(screen, /^last-42$/m, "the last screen stays");
      assert.match(screen, /^\$ exit/m, "up to the exit");
      assert.equal(await s.tmux.format("alternate_on"), "0", "on the main screen");
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "scrollback: seq 1 3000 through 10% loss each way at a 100 ms round trip, every line once",
  ...e2e,
  async fn() {
    const s = await session({ loss: 0.1, rtt: 100 });
    try {
      await run(s.tmux, "seq 1 3000", "3000", 60_000);
      assertWholeSeq(await everything(s.tmux), 3000);
    } finally {
      await s.close();
    }
  },
});

/**
 * Checks `seq 1 1000000` in the pane: the numbers only increase, every gap is marked, the last
 * are contiguous with the prompt; returns the number of markers.
 */
function assertMarkedSeq(lines: string[]): number {
  const start = lines.findIndex((l) => l.startsWith("$ seq 1 1000000"));
  let expect = 1, markers = 0;
  for (const line of lines.slice(start + 1)) {
    if (/^\$ *$/.test(line)) break;
    const skipped = marker(line);
    if (skipped !== null) {
      markers++;
      expect += skipped;
      continue;
    }
    assert.equal(line, String(expect), "a number out of place, or a gap without a marker");
    expect++;
  }
  assert.equal(expect, 1_000_001, "the numbers end at 1000000, and the last are contiguous");
  return markers;
}

Deno.test({
  name: "scrollback: seq 1 1000000: numbers only increase, every gap is marked, the end is whole",
  ...e2e,
  async fn() {
    const s = await session();
    try {
      await run(s.tmux, "seq 1 1000000", "1000000", 120_000);
      // During a flood the history waits (core/session/history_budget.ts); once the output
      // stops it is brought up to the screen within the bucket's fill time at most.
      const settle = Date.now() + (FILL_SECONDS + 3) * 1000;
      let lines: string[], markers: number;
      for (;;) {
        lines = await everything(s.tmux);
        try {
          markers = assertMarkedSeq(lines);
          break;
        } catch (e) {
          if (Date.now() > settle) throw e;
          await sleep(200);
        }
      }
      assert.ok(markers > 0, "a flood this size does not all go to the history");
      // The screen is exactly the end of the output and the prompt.
      const screen = (await s.tmux.screen()).split("\n");
      assert.deepEqual(
        screen.slice(0, HEIGHT - 1),
        Array.from({ length: HEIGHT - 1 }, (_, i) => String(1_000_000 - HEIGHT + 2 + i)),
      );
      assert.match(screen[HEIGHT - 1], /^\$ *$/);
      console.log(`seq 1 1000000: ${markers} markers, ${lines.length} lines in the pane`);
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    "scrollback: vi and less draw on a real alternate screen; the shell's screen comes back, nothing of theirs is history",
  ...e2e,
  async fn() {
    const s = await session();
    const file = await Deno.makeTempFile({ prefix: "denomosh-alt-", suffix: ".txt" });
    await Deno.writeTextFile(
      file,
      Array.from({ length: 200 }, (_, i) => `ALTERNATE-${i}`).join("\n") + "\n",
    );
    try {
      for (let i = 0; i < 30; i++) await s.tmux.type(`echo SHELL-${i}\r`);
      await s.tmux.waitFor((x) => /^SHELL-29$/m.test(x), 10_000, "the shell's lines");
      const before = await s.tmux.screen();
      for (const [open, quit] of [[`vi -u NONE ${file}`, ":q\r"], [`less ${file}`, "q"]]) {
        await s.tmux.type(open + "\r");
        await s.tmux.waitFor((x) => x.includes("ALTERNATE-1"), 10_000, open);
        assert.equal(
          await s.tmux.format("alternate_on"),
          "1",
          `${open} is on the alternate screen`,
        );
        if (open.startsWith("less")) {
          await s.tmux.type("100g"); // to line 100: it scrolls, on the alternate screen
          await s.tmux.waitFor((x) => /^ALTERNATE-99$/m.test(x), 10_000, "less paging");
        }
        await s.tmux.type(quit);
        const after = await s.tmux.waitFor((x) => !x.includes("ALTERNATE-"), 10_000, "the exit");
        assert.equal(await s.tmux.format("alternate_on"), "0");
        // The shell's screen is back as it was, but for the command line now at the bottom.
        const kept = before.split("\n").filter((l) => /^SHELL-\d+$/.test(l));
        for (const line of kept.slice(kept.length - 10)) assert.ok(after.includes(line), line);
      }
      const history = await everything(s.tmux);
      assert.ok(!history.some((l) => l.includes("ALTERNATE-")), "vi's or less's lines in history");
      for (let i = 0; i < 30; i++) assert.ok(history.includes(`SHELL-${i}`), `SHELL-${i}`);
    } finally {
      await s.close();
      await Deno.remove(file);
    }
  },
});

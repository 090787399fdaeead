/**
 * The real mosh-client and mosh-server through an impairment proxy, under the faults users
 * live with: heavy loss, a long round trip, a minute-long blackout, a NAT that changes the
 * client's port every 2 s, a laptop asleep (the client stopped for a minute), and a flood of
 * output meanwhile. Each scenario ends with the user's screen equal to the server's and every
 * keystroke delivered to the application exactly once, in order.
 *
 * The application is `tee` on a raw terminal: what it receives it records in a file and
 * echoes to the screen. The server's screen is read with SIGUSR2 (MOSH_SERVER_SCREEN_DUMP).
 * The scenarios run side by side, so the suite pays for the longest one (about 75 s), not
 * the sum.
 */
import assert from "node:assert/strict";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { clientCommand, clientPid, type StartedServer, startServer } from "./_programs.ts";
import { type Impairment, ImpairmentProxy } from "./_proxy.ts";

interface Ctx {
  tmux: Tmux;
  proxy: ImpairmentProxy;
  server: StartedServer;
  /** Types text at the user's terminal and remembers it. */
  type(text: string): Promise<void>;
  notes: string[];
}

const ECHO_APP = (rec: string) => `stty raw -echo; exec tee ${shellQuote(rec)}`;
const FLOOD_APP = (rec: string) =>
  `stty raw -echo; (seq 1 3000000; echo; echo flood-done) & exec tee ${shellQuote(rec)}`;

function dumpScreen(server: StartedServer, path: string): { rows: string[] } | null {
  try {
    Deno.removeSync(path);
  } catch {
    // none yet
  }
  Deno.kill(server.pid, "SIGUSR2");
  return null;
}

async function readDump(path: string): Promise<{ rows: string[] } | null> {
  for (let i = 0; i < 40; i++) {
    try {
      return JSON.parse(await Deno.readTextFile(path));
    } catch {
      await sleep(25);
    }
  }
  return null;
}

const trimRows = (rows: string[]) => rows.map((r) => r.trimEnd()).join("\n").trimEnd();

async function scenario(
  name: string,
  opts: { app?: (rec: string) => string; c2s?: Impairment; s2c?: Impairment; settle?: number },
  during: (ctx: Ctx) => Promise<void>,
): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "denomosh-fault-" });
  const rec = `${dir}/received`, dump = `${dir}/screen.json`;
  const server = await startServer(
    "ours",
    ["-i", "127.0.0.1", "-p", "0"],
    ["/bin/sh", "-c", (opts.app ?? ECHO_APP)(rec)],
    { MOSH_SERVER_SCREEN_DUMP: dump },
  );
  const proxy = new ImpairmentProxy(server.port, name.length);
  const tmux = await Tmux.start(clientCommand("ours", { ...server, port: proxy.port }));
  let typed = "";
  const notes: string[] = [];
  const ctx: Ctx = {
    tmux,
    proxy,
    server,
    notes,
    async type(text) {
      typed += text;
      await tmux.type(text);
    },
  };
  try {
    await sleep(1500); // connected, on a clean network
    proxy.c2s = opts.c2s ?? {};
    proxy.s2c = opts.s2c ?? {};
    await during(ctx);
    proxy.c2s = {};
    proxy.s2c = {};
    // Every keystroke, once, in order.
    const deadline = Date.now() + (opts.settle ?? 30_000);
    let received = "";
    while (Date.now() < deadline) {
      received = await Deno.readTextFile(rec).catch(() => "");
      if (received.length >= typed.length) break;
      await sleep(100);
    }
    assert.equal(received, typed, `${name}: the application received something else`);
    // The user's screen equals the server's, with no notification bar left.
    let ours = "", theirs = "";
    while (Date.now() < deadline) {
      dumpScreen(server, dump);
      const d = await readDump(dump);
      theirs = d ? trimRows(d.rows) : "";
      ours = trimRows((await tmux.screen()).split("\n"));
      if (d && ours === theirs) break;
      await sleep(250);
    }
    assert.equal(ours, theirs, `${name}: the client's screen differs from the server's`);
    return notes;
  } finally {
    proxy.close();
    await tmux.close();
    server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The screen with line breaks removed: the raw-mode output wraps words across rows. */
const unwrapped = (screen: string) => screen.replaceAll("\n", "");

/** Types `n` short words, one every `every` ms. */
async function typeWords(ctx: Ctx, n: number, every: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    await ctx.type(`${tag}${i} `);
    await sleep(every);
  }
}

/** The "Last contact N seconds ago" count on the bar, or null without a bar. */
async function barSeconds(tmux: Tmux): Promise<number | null> {
  const m = /mosh: Last contact (\d+) seconds ago\./.exec(await tmux.screen());
  return m ? Number(m[1]) : null;
}

Deno.test({
  name: "faults: loss, a long round trip, a minute's blackout, port changes, sleep, and a flood",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // allSettled: every scenario cleans up its processes before the test reports a failure.
    const settled = await Promise.allSettled([
      scenario("30% loss both ways", { c2s: { loss: 0.3 }, s2c: { loss: 0.3 } }, async (ctx) => {
        await typeWords(ctx, 40, 100, "lossy");
      }),
      scenario("1 s round trip", { c2s: { delay: 500 }, s2c: { delay: 500 } }, async (ctx) => {
        await typeWords(ctx, 25, 150, "far");
      }),
      scenario("60 s blackout", {}, async (ctx) => {
        await typeWords(ctx, 5, 100, "before");
        const start = performance.now();
        ctx.proxy.c2s = { blocked: true };
        ctx.proxy.s2c = { blocked: true };
        await sleep(2000);
        await typeWords(ctx, 10, 300, "dark");
        await sleep(20_000 - (performance.now() - start));
        const shown = await barSeconds(ctx.tmux);
        const elapsed = (performance.now() - start) / 1000;
        assert.ok(shown !== null, "no notification bar 20 s into the blackout");
        // The last server state came at most one heartbeat (3 s) before the blackout; the bar
        // shows whole seconds and is redrawn each second, so it may lag by up to two.
        assert.ok(
          shown >= elapsed - 2 && shown <= elapsed + 4,
          `bar says ${shown} s at ${elapsed} s`,
        );
        ctx.notes.push(`bar at ${elapsed.toFixed(1)} s into the blackout: "${shown} seconds"`);
        await sleep(60_000 - (performance.now() - start));
        ctx.proxy.c2s = {};
        ctx.proxy.s2c = {};
        await ctx.tmux.waitFor((s) => !s.includes("mosh: Last contact"), 15_000, "the bar to go");
        ctx.notes.push(
          `bar gone ${((performance.now() - start) / 1000 - 60).toFixed(1)} s after healing`,
        );
        await typeWords(ctx, 5, 100, "after");
      }),
      scenario("client port changes every 2 s", {}, async (ctx) => {
        for (let i = 0; i < 10; i++) {
          ctx.proxy.rebind();
          await typeWords(ctx, 4, 500, `hop${i}-`);
        }
      }),
      scenario("client asleep (SIGSTOP) for 60 s", { app: FLOOD_APP }, async (ctx) => {
        await typeWords(ctx, 5, 100, "awake");
        const pid = clientPid(ctx.proxy.port);
        Deno.kill(pid, "SIGSTOP");
        await sleep(1000);
        await typeWords(ctx, 5, 200, "asleep"); // waits in the terminal until the client wakes
        await sleep(59_000);
        Deno.kill(pid, "SIGCONT");
        await ctx.tmux.waitFor(
          (s) => unwrapped(s).includes("flood-done"),
          30_000,
          "the end of the flood",
        );
        await typeWords(ctx, 5, 100, "woke");
      }),
      scenario(
        "output flood with loss",
        { app: FLOOD_APP, c2s: { loss: 0.1 }, s2c: { loss: 0.1 } },
        async (ctx) => {
          await typeWords(ctx, 20, 150, "flooded");
          await ctx.tmux.waitFor(
            (s) => unwrapped(s).includes("flood-done"),
            40_000,
            "the end of the flood",
          );
        },
      ),
    ]);
    for (const r of settled) {
      if (r.status === "fulfilled") {
        for (const n of r.value) console.log(n);
      }
    }
    const failed = settled.filter((r) => r.status === "rejected");
    for (const f of failed.slice(1)) console.error((f as PromiseRejectedResult).reason);
    if (failed.length) throw (failed[0] as PromiseRejectedResult).reason;
  },
});

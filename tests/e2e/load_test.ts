/**
 * Output floods: the session stays usable (keystrokes echo within a few frames, Ctrl-C stops
 * a flood promptly), memory stays bounded, and the datagram rate stays within the frame
 * pacing. The figures are printed for the note; the assertions are generous bounds,
 * not benchmarks.
 */
import assert from "node:assert/strict";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { clientCommand, clientPid, SHELL, SHELL_ENV, startServer } from "./_programs.ts";
import { ImpairmentProxy } from "./_proxy.ts";
import { peakRate } from "../sim/scenario.ts";
import { median, peakRssMb } from "../../bench/_measure.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "during a flood, keystrokes still echo within a few frames",
  ...e2e,
  async fn() {
    const app = new URL("./_flood_app.ts", import.meta.url).pathname;
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      app,
    ]);
    const tmux = await Tmux.start(clientCommand("ours", s));
    try {
      await tmux.waitFor((x) => x.startsWith("flood"), 15_000, "the flood");
      const latencies: number[] = [];
      let typed = "";
      for (let i = 0; i < 15; i++) {
        const word = `k${i}x `;
        typed += word;
        const t0 = performance.now();
        await tmux.type(word);
        await tmux.waitFor((x) => x.includes(`typed: ${typed.trimEnd()}`), 5000, `keystroke ${i}`);
        latencies.push(performance.now() - t0);
      }
      const m = median(latencies);
      console.log(
        `keystroke echo during a flood: median ${m.toFixed(0)} ms, max ${
          Math.max(...latencies).toFixed(0)
        } ms`,
      );
      assert.ok(m < 500, `median echo ${m} ms during the flood`);
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

Deno.test({
  name:
    "yes and a 100 MB cat: Ctrl-C stops the flood promptly, memory and datagram rates stay bounded",
  ...e2e,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denomosh-load-" });
    const big = `${dir}/big.txt`;
    const line = "the quick brown fox jumps over the lazy dog 0123456789 ".repeat(2) + "\n";
    {
      const f = await Deno.open(big, { write: true, create: true });
      const chunk = new TextEncoder().encode(line.repeat(Math.ceil((1 << 20) / line.length)));
      for (let written = 0; written < 100 * (1 << 20); written += chunk.length) {
        await f.write(chunk);
      }
      f.close();
    }
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], SHELL, SHELL_ENV);
    const proxy = new ImpairmentProxy(s.port);
    const tmux = await Tmux.start(clientCommand("ours", { ...s, port: proxy.port }));
    try {
      await tmux.waitFor((x) => /^\$\s*$/m.test(x), 10_000, "the prompt");
      // yes, then Ctrl-C.
      await tmux.type("yes");
      await tmux.keys("Enter");
      await tmux.waitFor((x) => x.split("\n").filter((l) => l === "y").length > 10, 5000, "yes");
      await sleep(1000);
      const t0 = performance.now();
      await tmux.keys("C-c");
      await tmux.waitFor(
        (x) => /^\$\s*$/m.test(x.trimEnd().split("\n").at(-1)!),
        5000,
        "the prompt after Ctrl-C",
      );
      const stop = performance.now() - t0;
      // cat of 100 MB.
      proxy.times.s2c.length = 0;
      const c0 = performance.now();
      await tmux.type(`cat ${shellQuote(big)}; echo cat-done`);
      await tmux.keys("Enter");
      await tmux.waitFor((x) => /^cat-done$/m.test(x), 120_000, "the end of the cat");
      const catSeconds = (performance.now() - c0) / 1000;
      const serverRss = peakRssMb(s.pid), clientRss = peakRssMb(clientPid(proxy.port));
      const s2cPeak = peakRate(proxy.times.s2c, 1000);
      const c2sPeak = peakRate(proxy.times.c2s, 1000);
      console.log(
        `Ctrl-C stopped yes in ${stop.toFixed(0)} ms; 100 MB cat reached the screen in ${
          catSeconds.toFixed(1)
        } s; ` +
          `peak RSS server ${serverRss.toFixed(0)} MB, client ${clientRss.toFixed(0)} MB; ` +
          `peak datagrams/s server→client ${s2cPeak}, client→server ${c2sPeak}`,
      );
      assert.ok(stop < 2000, `Ctrl-C took ${stop} ms`);
      assert.ok(serverRss < 400 && clientRss < 400, "memory grew without bound");
      // At most one frame per 20 ms, each a few fragments, plus acks.
      assert.ok(s2cPeak <= 250, `${s2cPeak} datagrams in one second`);
      assert.ok(c2sPeak <= 60, `${c2sPeak} client datagrams in one second`);
    } finally {
      proxy.close();
      await tmux.close();
      s.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

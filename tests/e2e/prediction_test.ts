/**
 * Local echo end to end: our mosh-client and mosh-server through the impairment proxy at a
 * 300 ms round trip, the client on a pty whose output is timestamped and emulated
 * (`_screen_session.ts`).
 *
 * - typed characters reach the screen in under 20 ms (median) with prediction (the default,
 *   adaptive), and take at least the round trip with `never`;
 * - a misprediction (a key the program does not echo) is shown, then gone as soon as the
 *   server's answer is in, well within two round trips of the keystroke;
 * - nothing typed at a password prompt is ever drawn.
 */
import assert from "node:assert/strict";
import { ScreenSession } from "./_screen_session.ts";
import { median } from "../../bench/_measure.ts";
import type { Framebuffer } from "../../core/terminal/framebuffer.ts";

const RTT = 300;
const e2e = { sanitizeOps: false, sanitizeResources: false };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The cursor's row starts with `line` and the cursor sits right after it. */
const shows = (line: string) => (fb: Framebuffer) =>
  fb.cursor.col === [...line].length && fb.rows[fb.cursor.row].toText().startsWith(line);

/**
 * At the shell prompt, types `warmup` (whose echo confirms the prediction epoch), then the
 * characters of `word` one by one; returns how long each took to reach the screen.
 */
async function typingLatencies(s: ScreenSession, warmup: string, word: string): Promise<number[]> {
  await s.waitFor(shows("$ "), 15_000, "the prompt");
  let line = "$ ";
  for (const ch of warmup) {
    s.type(ch);
    line += ch;
    await s.waitFor(shows(line), 5000, `the echo of ${line}`);
  }
  await sleep(2 * RTT); // the echo ack that confirms the epoch is in by now
  const latencies: number[] = [];
  for (const ch of word) {
    line += ch;
    const typed = s.type(ch);
    latencies.push(await s.waitFor(shows(line), 5000, line) - typed);
    await sleep(50);
  }
  return latencies;
}

Deno.test({
  name: `RTT ${RTT} ms: typing shows in under 20 ms with prediction, at least the RTT without`,
  ...e2e,
  async fn() {
    const fast = await ScreenSession.start({ peer: "ours", rtt: RTT });
    let predicted: number[];
    try {
      predicted = await typingLatencies(fast, "ec", "ho hello");
    } finally {
      await fast.close();
    }
    const slow = await ScreenSession.start({ peer: "ours", rtt: RTT, predict: "never" });
    let unpredicted: number[];
    try {
      unpredicted = await typingLatencies(slow, "ec", "ho hi");
    } finally {
      await slow.close();
    }
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(" ");
    assert.ok(median(predicted) < 20, `with prediction, ms: ${fmt(predicted)}`);
    assert.ok(median(unpredicted) >= RTT, `never, ms: ${fmt(unpredicted)}`);
  },
});

Deno.test({
  name: `RTT ${RTT} ms: a key the program does not echo is shown, then gone once it answers`,
  ...e2e,
  async fn() {
    // Echoes every key but 'x'.
    const program = `stty -echo -icanon; printf '> '; ` +
      `while IFS= read -rsn1 c; do [ "$c" = x ] || printf '%s' "$c"; done`;
    const s = await ScreenSession.start({
      peer: "ours",
      rtt: RTT,
      command: ["/bin/bash", "-c", program],
    });
    try {
      await s.waitFor(shows("> "), 15_000, "the prompt");
      let line = "> ";
      const gone: number[] = [];
      for (const word of ["ab", "cd", "ef"]) {
        // The echo of these confirms a new epoch (the one before was killed by the 'x').
        for (const ch of word) {
          s.type(ch);
          line += ch;
          await s.waitFor(shows(line), 5000, line);
        }
        await sleep(2 * RTT);
        const typed = s.type("x");
        const shown = await s.waitFor(shows(line + "x"), 5000, "the predicted x");
        assert.ok(shown - typed < RTT / 2, `x shown locally, after ${shown - typed} ms`);
        gone.push(await s.waitFor(shows(line), 5000, "the x gone") - typed);
      }
      const fmt = gone.map((x) => x.toFixed(0)).join(" ");
      assert.ok(median(gone) <= 2 * RTT, `gone after ${fmt} ms`);
      assert.ok(Math.min(...gone) >= RTT, `not before the server could answer: ${fmt} ms`);
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: `RTT ${RTT} ms: nothing typed at a password prompt is ever drawn`,
  ...e2e,
  async fn() {
    const s = await ScreenSession.start({ peer: "ours", rtt: RTT });
    try {
      const command = "read -rsp 'Password: ' p;echo got ${#p}";
      const latencies = await typingLatencies(s, "r", command.slice(1));
      assert.ok(median(latencies) < 20, "the command line itself was predicted");
      s.type("\r");
      const prompt = "Password: ";
      await s.waitFor(shows(prompt), 5000, "the password prompt");
      const row = s.screen.cursor.row;
      let leaked = "";
      const stop = s.watch((fb) => {
        const text = fb.rows[row].toText().trimEnd();
        if (text !== prompt.trimEnd() || fb.cursor.row !== row || fb.cursor.col !== prompt.length) {
          leaked ||= `${text} (cursor ${fb.cursor.row},${fb.cursor.col})`;
        }
      });
      for (const ch of "hunter2") {
        s.type(ch);
        await sleep(80);
      }
      await sleep(2 * RTT);
      stop();
      assert.equal(leaked, "", "a typed character or the cursor moved on the prompt's row");
      s.type("\r");
      await s.waitFor((fb) => fb.rows.some((r) => r.toText().includes("got 7")), 5000, "got");
    } finally {
      await s.close();
    }
  },
});

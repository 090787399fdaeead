/**
 * Local echo: what a keystroke costs the prediction engine, and how long it takes to reach
 * the screen at several round trips, with and without prediction, ours and Debian's mosh.
 *
 * - `deno bench -A bench/prediction_bench.ts`: the engine's time per keystroke (guess, judge,
 *   draw) on an 80×24 screen.
 * - `deno run -A bench/prediction_bench.ts [--quick]`: keystroke-to-screen latency, median and
 *   90th percentile, for RTT 0, 100 and 300 ms × MOSH_PREDICTION_DISPLAY adaptive, always and
 *   never × Debian's mosh-server and mosh-client vs ours, through the same impairment proxy;
 *   and the floor of the measurement: bash on the same pty without mosh.
 *
 * A keystroke is written to the client's pty and timed until the client's output, fed to an
 * emulator, shows it on the screen (`tests/e2e/_screen_session.ts`). Before measuring, the
 * session types two characters and waits for their echo and for the round-trip estimate to
 * settle, so that the prediction epoch is confirmed, as it is a moment into any real typing.
 */
import { PredictionEngine } from "../core/prediction/prediction.ts";
import { Emulator } from "../core/terminal/emulator.ts";
import { type Peer, ScreenSession } from "../tests/e2e/_screen_session.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import { median } from "./_measure.ts";

/** An 80×24 screen with a shell prompt on the last row. */
function promptScreen(): Framebuffer {
  const e = new Emulator(80, 24);
  e.write(new TextEncoder().encode("\r\n".repeat(23) + "$ "));
  return e.snapshot();
}

const benchScreen = promptScreen();
const benchEngine = new PredictionEngine({ display: "always" });
benchEngine.setSendInterval(150);
let benchKeys = 0;

Deno.bench("prediction: one keystroke guessed, judged and drawn (80x24)", () => {
  // A line of up to 60 guesses, then a fresh start, as typing and Enter would do.
  if (benchKeys % 60 === 0) benchEngine.reset();
  benchEngine.setLocalFrameSent(BigInt(benchKeys));
  benchEngine.newUserByte(0x61 + (benchKeys % 26), benchScreen, benchKeys);
  benchEngine.cull(benchScreen, benchKeys);
  benchEngine.apply(benchScreen);
  benchKeys++;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shows = (line: string) => (fb: Framebuffer) =>
  fb.cursor.col === line.length && fb.rows[fb.cursor.row].toText().startsWith(line);

/** Types `n` letters at the prompt a moment apart; the time each took to reach the screen. */
async function latencies(s: ScreenSession, n: number, settle: number): Promise<number[]> {
  await s.waitFor(shows("$ "), 20_000, "the prompt");
  let line = "$ ";
  for (const ch of "ec") {
    s.type(ch);
    line += ch;
    await s.waitFor(shows(line), 10_000, line);
  }
  await sleep(settle);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (line.length > 70) {
      s.type("\x15"); // Ctrl-U: start the line again (the next key confirms a new epoch)
      line = "$ ";
      await s.waitFor(shows(line), 10_000, "the emptied line");
      await sleep(settle);
    }
    const ch = "abcdefghijklmnopqrstuvwxyz"[i % 26];
    line += ch;
    const t = s.type(ch);
    out.push(await s.waitFor(shows(line), 10_000, line) - t);
    await sleep(150);
  }
  return out;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const n = quick ? 8 : 30;
  const fmt = (xs: number[]) => `${median(xs).toFixed(1)} (p90 ${percentile(xs, 0.9).toFixed(1)})`;
  const floor = ScreenSession.local(["/bin/bash", "--norc", "--noprofile"]);
  let floorMs: number[];
  try {
    floorMs = await latencies(floor, n, 200);
  } finally {
    await floor.close();
  }
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  console.log(
    `Keystroke to screen, ms: median (90th percentile) of ${n} keys, ` +
      `${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores (${cpu})`,
  );
  console.log(`Floor (bash on the same pty, no mosh): ${fmt(floorMs)}\n`);
  console.log("| RTT | MOSH_PREDICTION_DISPLAY | mosh 1.4.0 | ours |");
  console.log("| --: | --- | --: | --: |");
  for (const rtt of [0, 100, 300]) {
    for (const predict of ["adaptive", "always", "never"]) {
      const cells: Record<Peer, string> = { debian: "", ours: "" };
      for (const peer of ["debian", "ours"] as const) {
        const s = await ScreenSession.start({ peer, rtt, predict });
        try {
          cells[peer] = fmt(await latencies(s, n, Math.max(1000, 4 * rtt)));
        } finally {
          await s.close();
        }
      }
      console.log(`| ${rtt} | ${predict} | ${cells.debian} | ${cells.ours} |`);
    }
  }
}

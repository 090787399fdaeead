/**
 * Terminal byte streams into the emulator (the server reads an application's output with it)
 * and HostMessages into `CompleteTerminal.apply` (the client applies the server's diffs with
 * it): random bytes, escape-sequence soup with huge and numerous parameters, huge repeat counts
 * for every CSI final, resizes to every extreme from 1 to 4,096. Nothing may throw; every
 * snapshot is well formed (rows of the screen's width, the cursor on the screen, titles within
 * mosh's 256 characters); answers to the application stay in proportion to its queries; and no
 * case may take long. The suites run in a worker that the test stops if a case hangs.
 *
 * Replay a failure with the DENOMOSH_FUZZ_SEED it prints; DENOMOSH_FUZZ_RUNS=N runs N times
 * as many cases (and, from N >= 10, includes 4,096 x 4,096 screens); DENOMOSH_FUZZ_SLOWEST=1
 * prints each suite's slowest case.
 */
import { runs, SCALE, seeded, seedFor, Tally } from "./_fuzz.ts";
import type { SuiteRequest, SuiteResult } from "./_terminal_worker.ts";

/**
 * A case slower than this fails; the slowest seen in practice take a few ms on an idle machine,
 * and up to 2 s on one loaded by other test runs. The bugs it guards against took minutes.
 */
const CASE_LIMIT_MS = 8000;
/** A case that has not finished after this long is a hang: the worker is stopped. */
const HANG_MS = 20_000;

async function runSuite(name: string, suite: SuiteRequest["suite"], cases: number): Promise<void> {
  await seeded(name, async () => {
    const started = performance.now();
    const progress = new SharedArrayBuffer(4);
    const counter = new Int32Array(progress);
    const worker = new Worker(new URL("./_terminal_worker.ts", import.meta.url).href, {
      type: "module",
    });
    try {
      const result = await new Promise<SuiteResult>((resolve, reject) => {
        let last = -1, since = performance.now();
        const watch = setInterval(() => {
          const now = Atomics.load(counter, 0);
          if (now !== last) [last, since] = [now, performance.now()];
          else if (performance.now() - since > HANG_MS) {
            clearInterval(watch);
            reject(
              new Error(`${suite}: case ${now} has not finished after ${HANG_MS} ms (a hang)`),
            );
          }
        }, 200);
        worker.onmessage = (m: MessageEvent<SuiteResult>) => {
          clearInterval(watch);
          resolve(m.data);
        };
        worker.onerror = (e) => {
          clearInterval(watch);
          e.preventDefault();
          reject(new Error(`${suite}: the worker failed: ${e.message}`));
        };
        worker.postMessage(
          {
            suite,
            seed: seedFor(name),
            cases,
            progress,
            caseLimitMs: CASE_LIMIT_MS,
            hugeScreen: SCALE >= 10,
          } satisfies SuiteRequest,
        );
      });
      if ("error" in result) throw new Error(result.error);
      const tally = new Tally();
      for (const [k, v] of Object.entries(result.cases)) tally.add(k, v);
      for (const [k, v] of Object.entries(result.details)) tally.detail(k, v);
      tally.detail(`slowest-ms`, Math.round(result.slowest.ms));
      if (Deno.env.get("DENOMOSH_FUZZ_SLOWEST")) console.log(result.slowest.what.slice(0, 3000));
      tally.report(name, started);
    } finally {
      worker.terminate();
    }
  });
}

Deno.test("huge repeat counts for every CSI final, at every size, finish at once", async () => {
  await runSuite("terminal/counts", "counts", 0);
});

Deno.test("random bytes into the emulator: never a throw, a hang or a malformed screen", async () => {
  await runSuite("terminal/bytes", "bytes", runs(1000));
});

Deno.test("escape-sequence soup and extreme resizes into the emulator: never a throw, a hang or a malformed screen", async () => {
  await runSuite("terminal/soup", "soup", runs(1200));
});

Deno.test("random HostMessages applied on the client, on the newest state or an older one", async () => {
  await runSuite("terminal/apply", "apply", runs(700));
});

/**
 * SSP on the simulated network (tests/sim): how fast the simulator runs, what a keystroke
 * costs on the wire, and how quickly a session recovers from an outage.
 *
 * - `deno bench -A bench/transport_bench.ts`: time per simulated session.
 * - `deno run -A bench/transport_bench.ts`: the figures, as medians over seeds.
 */
import { runSession, type Scenario } from "../tests/sim/session.ts";
import { median } from "./_measure.ts";

const perfect = { delay: 50, jitter: 0, loss: 0, duplicate: 0, reorder: 0 };

/** A minute of typing one key every 150 ms at RTT 100 ms, with a screen update per key. */
function typingSession(seed: number): Scenario {
  const typing = Array.from({ length: 400 }, (_, i) => ({ at: 1000 + i * 150, keys: "x" }));
  const output = typing.map((t, i) => ({ at: t.at + 60, text: "$ " + "x".repeat(i + 1) }));
  return {
    seed,
    c2s: perfect,
    s2c: perfect,
    blackouts: [],
    rebinds: [],
    typing,
    output,
    healAt: 0,
    end: 62_000,
  };
}

/** A 30 s blackout on a link that loses 20% each way, before and after; RTT 100 ms. */
function blackoutSession(seed: number): Scenario {
  const lossy = { ...perfect, jitter: 10, loss: 0.2 };
  return {
    seed,
    c2s: lossy,
    s2c: lossy,
    blackouts: [{ start: 5000, end: 35_000 }],
    rebinds: [],
    typing: [{ at: 10_000, keys: "typed in the dark" }],
    output: [{ at: 12_000, text: "drawn in the dark" }],
    healAt: 1e9,
    settleFrom: 35_000,
    end: 95_000,
  };
}

Deno.bench("simulated minute of typing at RTT 100 ms", () => {
  runSession(typingSession(1));
});
Deno.bench("simulated 30 s blackout at 20% loss", () => {
  runSession(blackoutSession(1));
});

if (import.meta.main) {
  const runs = Array.from({ length: 20 }, (_, i) => i + 1);
  const steps: number[] = [], times: number[] = [];
  const perKey = {
    c2sDatagrams: [] as number[],
    c2sBytes: [] as number[],
    s2cDatagrams: [] as number[],
    s2cBytes: [] as number[],
  };
  for (const seed of runs) {
    const s = typingSession(seed);
    const t0 = performance.now();
    const r = runSession(s);
    times.push(performance.now() - t0);
    steps.push(r.steps);
    const keys = s.typing.length;
    perKey.c2sDatagrams.push(r.sends.c2s.length / keys);
    perKey.c2sBytes.push(r.bytes.c2s / keys);
    perKey.s2cDatagrams.push(r.sends.s2c.length / keys);
    perKey.s2cBytes.push(r.bytes.s2c / keys);
  }
  const recover = runs.map((seed) => {
    const r = runSession(blackoutSession(seed));
    return r.convergedAt === undefined ? Infinity : r.convergedAt - 35_000;
  });
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`simulated session steps/s: ${f(median(steps) / (median(times) / 1000), 0)}`);
  console.log(`simulated 62 s sessions/s: ${f(1000 / median(times), 0)}`);
  console.log(
    `per keystroke at RTT 100 ms: client→server ${f(median(perKey.c2sDatagrams), 2)} datagrams, ` +
      `${f(median(perKey.c2sBytes))} bytes; server→client ${f(median(perKey.s2cDatagrams), 2)} ` +
      `datagrams, ${f(median(perKey.s2cBytes))} bytes`,
  );
  console.log(
    `converge after a 30 s blackout at 20% loss: median ${f(median(recover), 0)} ms, ` +
      `max ${f(Math.max(...recover), 0)} ms (${runs.length} seeds)`,
  );
}

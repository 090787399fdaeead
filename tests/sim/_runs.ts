/**
 * How many seeded sessions a simulator property runs: the number the test names, scaled by
 * DENOMOSH_SIM_SCALE (default 1; `deno task test:fast` runs a fifth), and the seed of
 * DENOMOSH_SIM_SEED when set, to replay a failing run.
 */
const scale = Number(Deno.env.get("DENOMOSH_SIM_SCALE") ?? "1");
const seed = Deno.env.get("DENOMOSH_SIM_SEED");

/** fast-check parameters for a property named as running `n` sessions. */
export function runs(n: number): { numRuns: number; seed?: number } {
  const numRuns = Math.max(1, Math.round(n * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
  return seed ? { numRuns, seed: Number(seed) } : { numRuns };
}

/**
 * What the fuzz tests share: how many cases to run, the seed, and the tally they print.
 *
 * - `DENOMOSH_FUZZ_RUNS=N` multiplies every default case count by N (default 1; fractions
 *   such as 0.1 make a quick run).
 * - `DENOMOSH_FUZZ_SEED=S` replays a run: every test derives its seeds from S. Without it each
 *   run picks a fresh seed, and a failure prints the seed to replay it with.
 * - `DENOMOSH_FUZZ_REPORT=1` prints what each test tried (set by default when RUNS is set).
 */
import { Rng } from "../sim/random.ts";

const runsEnv = Deno.env.get("DENOMOSH_FUZZ_RUNS");
const seedEnv = Deno.env.get("DENOMOSH_FUZZ_SEED");

/** The multiplier of every case count. */
export const SCALE: number = runsEnv ? Math.max(0.001, Number(runsEnv)) : 1;
/** The run's seed. */
export const SEED: number = seedEnv
  ? Number(seedEnv) >>> 0
  : crypto.getRandomValues(new Uint32Array(1))[0];
const REPORT = runsEnv !== undefined || Deno.env.get("DENOMOSH_FUZZ_REPORT") === "1";

/** `n` scaled by {@link SCALE}, at least 1. */
export function runs(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

/** A seed for one test, derived from the run's seed and the test's name. */
export function seedFor(name: string): number {
  let h = SEED ^ 0x9e3779b9;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** fast-check parameters: `numRuns` scaled, the seed derived from the run's. */
export function fcParams(name: string, numRuns: number): { numRuns: number; seed: number } {
  return { numRuns: runs(numRuns), seed: seedFor(name) | 0 };
}

/** A PRNG for one test. */
export function rngFor(name: string): Rng {
  return new Rng(seedFor(name));
}

/**
 * Runs a test body; a failure is rethrown with the seed that replays it.
 * @param name the test's name, which also derives its seed
 */
export async function seeded(name: string, fn: (rng: Rng) => void | Promise<void>): Promise<void> {
  try {
    await fn(rngFor(name));
  } catch (e) {
    const hint = `\n[fuzz] replay with DENOMOSH_FUZZ_SEED=${SEED} (test "${name}")`;
    if (e instanceof Error) {
      e.message += hint;
      throw e;
    }
    throw new Error(String(e) + hint);
  }
}

/** Counts of what a test tried: cases by kind, and details that are not cases of their own. */
export class Tally {
  readonly cases: Record<string, number> = {};
  readonly details: Record<string, number> = {};

  /** Counts one case (or `n`) of `kind`. */
  add(kind: string, n = 1): void {
    this.cases[kind] = (this.cases[kind] ?? 0) + n;
  }

  /** Counts a detail of the cases, such as a mutation operator used. */
  detail(kind: string, n = 1): void {
    this.details[kind] = (this.details[kind] ?? 0) + n;
  }

  /** Cases of every kind. */
  get total(): number {
    return Object.values(this.cases).reduce((a, b) => a + b, 0);
  }

  /** Prints the tally when reporting is on. */
  report(name: string, started: number): void {
    if (!REPORT) return;
    const ms = Math.round(performance.now() - started);
    const list = (r: Record<string, number>) =>
      Object.entries(r).sort().map(([k, v]) => `${k}=${v}`).join(" ");
    const details = Object.keys(this.details).length ? ` | ${list(this.details)}` : "";
    console.log(
      `[fuzz] ${name}: ${this.total} cases in ${ms} ms (seed ${SEED}): ${
        list(this.cases)
      }${details}`,
    );
  }
}

/** Random bytes of length `n`. */
export function randomBytes(rng: Rng, n: number): Uint8Array {
  return rng.fill(new Uint8Array(n));
}

/** One element of `list`, uniformly. */
export function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(0, list.length - 1)];
}

/** An error's stack (its message and where it was thrown), or the value as text. */
export function stackOf(e: unknown): string {
  return e instanceof Error ? e.stack ?? e.message : String(e);
}

/** Timing helpers for the `deno run` side of the benchmarks: medians, not means. */

/** The median of some numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Runs `fn` in batches for about `ms` milliseconds per trial, `trials` times, and returns the
 * median time of one call in milliseconds.
 */
export function timePerCall(fn: () => void, { trials = 7, ms = 150 } = {}): number {
  for (let i = 0; i < 1000; i++) fn(); // warm up the JIT
  const samples: number[] = [];
  for (let t = 0; t < trials; t++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < 100; i++) fn();
      calls += 100;
      now = performance.now();
    }
    samples.push((now - start) / calls);
  }
  return median(samples);
}

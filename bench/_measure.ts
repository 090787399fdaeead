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

/** A process's peak resident memory, MB. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds a process's live threads have run, from the scheduler's nanosecond counters
 * (`/proc/<pid>/task/<tid>/schedstat`); `/proc/<pid>/stat` counts in 10 ms ticks, too coarse
 * for an idle process that runs a few milliseconds a minute. This does not count threads that
 * have already exited, so it is for spans over which a process's threads stay (a flood);
 * {@link cpuSecondsOver} is for the others.
 * @param only counts only the threads whose name (`comm`) it accepts, when given
 */
export function threadCpuSeconds(pid: number, only?: (name: string) => boolean): number {
  try {
    let ns = 0;
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        if (only && !only(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/comm`))) continue;
        ns += Number(
          Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`).split(" ")[0],
        );
      } catch {
        // the thread exited between the listing and the read
      }
    }
    return ns / 1e9;
  } catch {
    return NaN;
  }
}

/** How often {@link cpuSecondsOver} reads the threads' counters, ms. */
const CPU_SAMPLE_MS = 500;

/** Each live thread's scheduler nanoseconds so far, by thread id. */
function threadNanoseconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`);
        out.set(task.name, Number(text.split(" ")[0]));
      } catch {
        // the thread exited between the listing and the read
      }
    }
  } catch {
    // the process has gone
  }
  return out;
}

/**
 * CPU seconds each of `pids` runs over the next `spanMs`, for processes whose threads come and
 * go (a runtime's pool threads exit after idling for a while, taking their counters with
 * them, which would make {@link threadCpuSeconds}'s difference too small, even negative). The
 * threads' counters are read every {@link CPU_SAMPLE_MS} and each thread's growth summed; a
 * thread born in the span counts whole, one that exits loses at most its last interval.
 */
export async function cpuSecondsOver(pids: number[], spanMs: number): Promise<number[]> {
  let last = pids.map(threadNanoseconds);
  const totals = pids.map(() => 0);
  const end = performance.now() + spanMs;
  for (let left = spanMs; left > 0; left = end - performance.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(CPU_SAMPLE_MS, left)));
    const now = pids.map(threadNanoseconds);
    now.forEach((threads, i) => {
      for (const [tid, ns] of threads) totals[i] += ns - (last[i].get(tid) ?? 0);
    });
    last = now;
  }
  return totals.map((ns) => ns / 1e9);
}

/** A process's resident memory now, MB. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * A process's private resident memory, MB: what it alone holds (its heaps, its stacks, pages
 * it wrote), without the pages of the executable and libraries that every process running
 * them shares. What one more session costs a machine.
 */
export function privateMb(pid: number): number {
  try {
    const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    let kb = 0;
    for (const m of rollup.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) kb += Number(m[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

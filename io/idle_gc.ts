/**
 * One full garbage collection when a burst of work is over, in place of V8's memory reducer.
 *
 * Our long-lived processes run without the memory reducer (`cli/self.ts` V8_FLAGS): it kept
 * collecting on a timer in processes that wake every 3 s for a heartbeat, half of an idle
 * session's CPU. Without it, though, the heap kept its high-water mark after a flood (server
 * 91 MB resident a minute later, against 74 with the reducer). So the server and the client
 * tell this class how much work they did, and on their regular wake-ups, once a burst has been
 * followed by a quiet spell, it collects once. `gc` exists because V8_FLAGS also has `--expose-gc`; without it (a
 * host that starts us some other way) this does nothing.
 *
 * @module
 */

type V8Gc = (options?: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/**
 * V8's `gc()` as the memory reducer would collect: everything, compacting, and giving freed
 * pages back (a plain `gc()` kept most of them: 118 → 116 MB resident in a test, against 43);
 * then the same for the C heap ({@link mallocTrim}).
 */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: V8Gc }).gc;
  if (!gc) return undefined;
  let trim: (() => void) | null | undefined; // bound at the first collection, not at start-up
  return () => {
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
    (trim ??= mallocTrim() ?? null)?.();
  };
}

/**
 * glibc's `malloc_trim(0)`, or undefined where there is none (another libc, FFI refused).
 * What a burst allocates outside V8's heap (array buffers, the optimizing compiler's zones,
 * native zlib's state) is freed to malloc's arenas, which keep it resident: after `seq 1
 * 1000000` the server's C heap stayed at 11.7 MB against 5.3 before. The trim hands the free
 * pages back to the system.
 */
export function mallocTrim(): (() => void) | undefined {
  try {
    const lib = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32", optional: true },
    });
    const trim = lib.symbols.malloc_trim;
    return trim ? () => void trim(0n) : undefined;
  } catch {
    return undefined;
  }
}

/** How long nothing must happen after a burst before collecting, ms. */
export const QUIET_MS = 5000;

/** Collects once after each burst of at least `burst` units of work and {@link QUIET_MS} of quiet. */
export class IdleCollector {
  readonly #burst: number;
  readonly #gc: (() => void) | undefined;
  #work = 0;
  #last = -Infinity;

  /**
   * @param burst work (bytes, frames: the caller's unit) that makes a collection worth it
   * @param gc the collector; V8's `gc()` when exposed
   */
  constructor(burst: number, gc = exposedGc()) {
    this.#burst = burst;
    this.#gc = gc;
  }

  /** Work was done at `now`. */
  activity(now: number, amount: number): void {
    this.#work += amount;
    this.#last = now;
  }

  /** Collects if a burst has been followed by quiet; true if it did. */
  maybeCollect(now: number): boolean {
    if (!this.#gc || this.#work < this.#burst || now - this.#last < QUIET_MS) return false;
    this.#work = 0;
    this.#gc();
    return true;
  }
}

/**
 * Waiting on something real (a file, a process, a terminal's screen, `who`) by reading it again
 * and again: the one bounded loop the tests share, so that every such wait stops by itself and
 * reads once more at its deadline rather than failing between two reads.
 */

/** What {@link pollUntil} saw last, and whether it was what the caller waited for. */
export interface Polled<T> {
  value: T;
  done: boolean;
}

/**
 * Reads `read()` every `stepMs` until `done` accepts it or `ms` have passed (it is read once
 * more then).
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  ms: number,
  stepMs = 50,
): Promise<Polled<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, done: true };
    if (Date.now() >= deadline) return { value, done: false };
    await new Promise((r) => setTimeout(r, Math.min(stepMs, Math.max(1, deadline - Date.now()))));
  }
}

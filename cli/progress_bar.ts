/**
 * A one-line progress bar for a long copy: bytes so far and in all, the rate, and the time
 * left, redrawn in place with a carriage return, never wider than the terminal (a line that
 * wraps could not be redrawn). The line is a pure function of the counts and the elapsed time;
 * {@link ProgressBar} only decides when to redraw, with the time given to it. cli/install_server.ts
 * shows it on stderr when stderr is a terminal, as it copies our server to a host.
 *
 * @module
 */

import { megabytes } from "./install_plan.ts";

/** Where a copy stands. */
export interface Progress {
  /** Bytes done. */
  done: number;
  /** Bytes in all. */
  total: number;
  /** Time since the start, in ms. */
  elapsedMs: number;
}

/** The time below which no rate is shown (too few bytes to say), in ms. */
const SETTLE_MS = 300;
/** The narrowest bar worth drawing, in columns (the brackets included). */
const MIN_BAR = 7;

/** Seconds as m:ss, or h:mm:ss from an hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(sec).padStart(2, "0")}`;
}

/**
 * The line for `p`, at most `columns - 1` characters (the last column would wrap on some
 * terminals): `LABEL [####----] 12 MB/45 MB 2.0 MB/s 0:17 left`. When narrow, the label goes
 * first, then the bar, then the rate and time; what remains is cut.
 *
 * @example
 * ```ts
 * import { progressLine } from "./progress_bar.ts";
 *
 * const line = progressLine("copy", { done: 5e6, total: 10e6, elapsedMs: 2000 }, 80);
 * if (!line.includes("5.0 MB/10 MB") || !line.includes("2.5 MB/s") || !line.includes("0:02 left")) {
 *   throw new Error(line);
 * }
 * ```
 */
export function progressLine(label: string, p: Progress, columns: number): string {
  const width = Math.max(0, columns - 1);
  const done = Math.min(Math.max(p.done, 0), p.total);
  const finished = done >= p.total;
  const rate = p.elapsedMs >= SETTLE_MS ? done / (p.elapsedMs / 1000) : 0;
  const counts = `${megabytes(done)}/${megabytes(p.total)}`;
  const speed = rate > 0 ? `${megabytes(rate)}/s` : "-- MB/s";
  const time = finished
    ? `in ${clock(p.elapsedMs / 1000)}`
    : rate > 0
    ? `${clock((p.total - done) / rate)} left`
    : "--:-- left";
  const stats = `${counts} ${speed} ${time}`;
  const bar = (n: number) => {
    const inner = n - 2;
    const full = p.total > 0 ? Math.floor((inner * done) / p.total) : inner;
    return `[${"#".repeat(full)}${"-".repeat(inner - full)}]`;
  };
  const withLabel = width - label.length - stats.length - 2;
  if (label && withLabel >= MIN_BAR) return `${label} ${bar(withLabel)} ${stats}`;
  const alone = width - stats.length - 1;
  if (alone >= MIN_BAR) return `${bar(alone)} ${stats}`;
  if (stats.length <= width) return stats;
  return counts.slice(0, width);
}

/** Options of a {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** What is being done, shown before the bar. */
  label: string;
  /** Bytes in all. */
  total: number;
  /** The terminal's width now (it may change). */
  columns: () => number;
  /** Writes text to the terminal. */
  write: (text: string) => void;
  /** The time of the start, in ms. */
  startMs: number;
  /** The least time between redraws, in ms. */
  intervalMs?: number;
}

/** A progress bar that redraws itself in place, at most every `intervalMs`. */
export class ProgressBar {
  readonly #o: ProgressBarOptions;
  #lastDraw = -Infinity;
  #done = 0;

  constructor(options: ProgressBarOptions) {
    this.#o = options;
  }

  /** Takes the bytes done so far, at `nowMs`; redraws if it is time. */
  update(done: number, nowMs: number): void {
    this.#done = done;
    if (nowMs - this.#lastDraw < (this.#o.intervalMs ?? 100)) return;
    this.#draw(nowMs);
  }

  /** Draws the last state and ends the line. */
  finish(nowMs: number): void {
    this.#draw(nowMs);
    this.#o.write("\n");
  }

  #draw(nowMs: number): void {
    this.#lastDraw = nowMs;
    const p = { done: this.#done, total: this.#o.total, elapsedMs: nowMs - this.#o.startMs };
    this.#o.write(`\r${progressLine(this.#o.label, p, this.#o.columns())}\x1b[K`);
  }
}

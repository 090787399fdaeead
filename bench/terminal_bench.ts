/**
 * The screen's speed: emulator throughput on typical output (with history off and on), and
 * `newFrame` for a full-screen change (targets: ≥ 50 MB/s; < 2 ms for 250x70); for native
 * scrollback, `historyFrame` writing 100 and 1,000 history rows, the memory a kept history
 * line takes, and the wire size of history rows (plain and after zlib, against the bytes the
 * application wrote).
 *
 * - `deno bench -A bench/terminal_bench.ts` (part of `deno task bench`): time per call.
 * - `deno run -A bench/terminal_bench.ts`: MB/s and ms, medians of 7 trials.
 *
 * The emulator is fed 16 KiB at a time, as mosh-server reads a pty, and snapshotted after each
 * read: more often than our server does (once per frame while output floods in), so the MB/s
 * here are a floor.
 */
import { deflateSync } from "node:zlib";
import { Emulator } from "../core/terminal/emulator.ts";
import { newFrame } from "../core/terminal/display.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import { historyFrame } from "../core/terminal/history_frame.ts";
import { decodeHistoryRows, encodeHistoryRows } from "../core/terminal/history_codec.ts";
import type { Row } from "../core/terminal/row.ts";
import { timePerCall } from "./_measure.ts";

const READ = 16384;
const encoder = new TextEncoder();

/** `seq 1 N` through a pty: short lines, a scroll for every one. */
function seqOutput(lines: number): Uint8Array {
  let s = "";
  for (let i = 1; i <= lines; i++) s += `${i}\r\n`;
  return encoder.encode(s);
}

/** `ls -l --color`-like lines: text, a few SGRs, a scroll each. */
function lsOutput(lines: number): Uint8Array {
  let s = "";
  for (let i = 0; i < lines; i++) {
    s += `-rwxr-xr-x 1 root root ${String(i * 97 % 100000).padStart(8)} Nov 24 01:31 ` +
      `\x1b[01;32mprogram-${i}\x1b[0m -> \x1b[01;36mlink-${i}\x1b[0m\r\n`;
  }
  return encoder.encode(s);
}

/** A full screen of text in a pen that changes every few cells. */
function screenOutput(width: number, height: number, shift: number): Uint8Array {
  let s = "";
  for (let y = 0; y < height; y++) {
    s += `\x1b[${y + 1};1H`;
    for (let x = 0; x < width; x++) {
      if (x % 8 === 0) s += `\x1b[${31 + (x + y + shift) % 7}m`;
      s += String.fromCharCode(33 + (x * 7 + y * 3 + shift) % 90);
    }
  }
  return encoder.encode(s);
}

/** Feeds `data` a read at a time, snapshotting after each. */
function feed(e: Emulator, data: Uint8Array): void {
  for (let at = 0; at < data.length; at += READ) {
    e.write(data.subarray(at, at + READ));
    e.snapshot();
  }
}

/** Two full-screen frames that differ in every cell. */
function fullChange(width: number, height: number): [Framebuffer, Framebuffer] {
  const a = new Emulator(width, height), b = new Emulator(width, height);
  a.write(screenOutput(width, height, 0));
  b.write(screenOutput(width, height, 1));
  return [a.snapshot(), b.snapshot()];
}

const SEQ = seqOutput(20000); // ~130 KB
const LS = lsOutput(1500); // ~120 KB
const emulator = new Emulator(80, 24);
/** The server's emulator with native scrollback: 5,000 lines kept. */
const withHistory = new Emulator(80, 24, { historyLimit: 5000 });

/** Feeds `data` to a fresh emulator keeping history; returns its newest `n` history rows. */
function historyOf(data: Uint8Array, n: number): Row[] {
  const e = new Emulator(80, 24, { historyLimit: n });
  feed(e, data);
  return e.historyRows(e.historyEnd - n, e.historyEnd);
}

/** A client's draw of a frame after `n` lines it never showed: every row painted and pushed. */
function historyCase(n: number): [Framebuffer, Row[], Framebuffer] {
  const e = new Emulator(80, 24, { historyLimit: n });
  const shown = e.snapshot();
  feed(e, lsOutput(n + 23));
  return [shown, e.historyRows(e.historyEnd - n, e.historyEnd), e.snapshot()];
}
const HISTORY_100 = historyCase(100);
const HISTORY_1000 = historyCase(1000);
const [small0, small1] = fullChange(80, 24);
const [big0, big1] = fullChange(250, 70);

Deno.bench(
  `emulator: seq output, ${SEQ.length} bytes`,
  { group: "emulator" },
  () => feed(emulator, SEQ),
);
Deno.bench(
  `emulator: coloured ls output, ${LS.length} bytes`,
  { group: "emulator" },
  () => feed(emulator, LS),
);
Deno.bench(
  `emulator with 5,000 lines of history: seq output, ${SEQ.length} bytes`,
  { group: "emulator" },
  () => feed(withHistory, SEQ),
);
Deno.bench(
  `emulator with 5,000 lines of history: coloured ls output, ${LS.length} bytes`,
  { group: "emulator" },
  () => feed(withHistory, LS),
);
/** History rows as the client receives them: 1,000 lines of each kind, encoded. */
const WIRE_SEQ = encodeHistoryRows(historyOf(SEQ, 1000));
const WIRE_LS = encodeHistoryRows(historyOf(LS, 1000));
Deno.bench("decodeHistoryRows: 1,000 seq lines", { group: "decodeHistoryRows" }, () => {
  decodeHistoryRows(WIRE_SEQ);
});
Deno.bench("decodeHistoryRows: 1,000 coloured ls lines", { group: "decodeHistoryRows" }, () => {
  decodeHistoryRows(WIRE_LS);
});
Deno.bench("historyFrame: 100 rows not on screen, 80x24", { group: "historyFrame" }, () => {
  historyFrame(...HISTORY_100);
});
Deno.bench("historyFrame: 1,000 rows not on screen, 80x24", { group: "historyFrame" }, () => {
  historyFrame(...HISTORY_1000);
});
Deno.bench("newFrame: 80x24 full-screen change", { group: "newFrame" }, () => {
  newFrame(small0, small1);
});
Deno.bench("newFrame: 250x70 full-screen change", { group: "newFrame" }, () => {
  newFrame(big0, big1);
});
Deno.bench("newFrame: 250x70 initial frame", { group: "newFrame" }, () => {
  newFrame(null, big1);
});

if (import.meta.main) {
  const opts = { trials: 7, ms: 400 };
  console.log("| what | result |");
  console.log("| --- | ---: |");
  for (const [name, data] of [["seq 1 20000", SEQ], ["coloured ls -l", LS]] as const) {
    const off = timePerCall(() => feed(emulator, data), opts);
    const on = timePerCall(() => feed(withHistory, data), opts);
    const rate = (ms: number) => `${(data.length / ms / 1000).toFixed(0)} MB/s`;
    console.log(`| emulator, ${name} (80x24) | ${rate(off)} |`);
    console.log(`| emulator, ${name}, 5,000 lines of history kept | ${rate(on)} |`);
  }
  for (const [name, data] of [["seq", SEQ], ["coloured ls -l", LS]] as const) {
    const e = new Emulator(80, 24, { historyLimit: 5000 });
    feed(e, data);
    feed(e, data);
    const kept = e.historyEnd - e.historyStart;
    console.log(
      `| history memory, ${name}: ${kept} lines kept | ${
        (e.historyBytes / 1024).toFixed(0)
      } KiB, ` +
        `${(e.historyBytes / kept).toFixed(0)} bytes/line |`,
    );
  }
  for (const [name, data, lines] of [["seq", SEQ, 20000], ["coloured ls -l", LS, 1500]] as const) {
    const rows = historyOf(data, 1000);
    const wire = encodeHistoryRows(rows);
    const written = data.length / lines * 1000;
    console.log(
      `| history on the wire, 1,000 ${name} lines | ${wire.length} bytes ` +
        `(${deflateSync(wire).length} after zlib; the application wrote ${written.toFixed(0)}, ` +
        `${deflateSync(data.subarray(0, Math.round(written))).length} after zlib) |`,
    );
  }
  for (const [name, c] of [["100", HISTORY_100], ["1,000", HISTORY_1000]] as const) {
    const ms = timePerCall(() => historyFrame(...c), opts);
    console.log(
      `| historyFrame, ${name} rows not on screen (${historyFrame(...c).length} bytes) | ` +
        `${ms.toFixed(3)} ms |`,
    );
  }
  for (const [name, a, b] of [["80x24", small0, small1], ["250x70", big0, big1]] as const) {
    const ms = timePerCall(() => newFrame(a, b), opts);
    console.log(
      `| newFrame, ${name} full change (${newFrame(a, b).length} bytes) | ${ms.toFixed(3)} ms |`,
    );
  }
}

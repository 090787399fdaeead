/**
 * Run in a tmux pane by tests/e2e/history_frame_tmux_test.ts. Plays an application's output
 * through a server's emulator (history and the alternate screen on) and writes to stdout what
 * a client writes to the user's terminal: `historyFrame` for each frame, with the history rows
 * that came with it (a marker for rows skipped, a notification bar drawn over some frames), a
 * repaint from nothing, and an alternate-screen round trip. Then it writes what the terminal's
 * history and screen must hold to the file named by its argument, and waits to be killed.
 *
 * Usage: deno run -A tests/e2e/_history_frame_app.ts <expectations.json>
 */
import { Emulator } from "../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../core/terminal/framebuffer.ts";
import { newFrame } from "../../core/terminal/display.ts";
import { historyFrame, historyMarkerRow } from "../../core/terminal/history_frame.ts";
import { Attr, Renditions } from "../../core/terminal/renditions.ts";
import { type Row, RowBuilder } from "../../core/terminal/row.ts";

/** What the test checks. */
export interface Expectations {
  /** Every row that entered the terminal's history, oldest first: text and soft wrap. */
  history: { text: string; wrap: boolean }[];
  /** The screen's rows at the end. */
  screen: { text: string; wrap: boolean }[];
  /** The main screen just before the alternate screen was entered. */
  beforeAlternate: string[];
  /** The main screen just after it was left. */
  afterAlternate: string[];
}

const encoder = new TextEncoder();
const { columns: width, rows: height } = Deno.consoleSize();
const server = new Emulator(width, height, { historyLimit: 100_000, altScreen: true });
const expected: Expectations = { history: [], screen: [], beforeAlternate: [], afterAlternate: [] };
let shown: Framebuffer | null = null;
let sent = 0;
let lastWrap = false;

function write(s: string): void {
  const bytes = encoder.encode(s);
  for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
}

const record = (r: Row) => ({ text: r.toText().trimEnd(), wrap: r.wrap });

function bar(): Row {
  const b = new RowBuilder(width);
  const mark = new Renditions(0, 0, Attr.inverse);
  [..."mosh: Last contact 3 seconds ago."].slice(0, width).forEach((ch, i) => b.set(i, ch, mark));
  return b.build();
}

/** The application writes `out`; the client draws the frame, with `skip` rows replaced. */
function frame(out: string, opts: { bar?: boolean; skip?: number } = {}): void {
  server.write(encoder.encode(out));
  server.takeReplies();
  let rows = server.historyRows(sent, server.historyEnd);
  sent = server.historyEnd;
  const skip = opts.skip ?? 0;
  if (skip > 0 && rows.length > skip) rows = [historyMarkerRow(skip, width), ...rows.slice(skip)];
  const target = opts.bar ? server.snapshot().withRow(0, bar()) : server.snapshot();
  write(historyFrame(shown, rows, target, { topRowContinues: lastWrap }));
  for (const r of rows) expected.history.push(record(r));
  if (rows.length > 0) lastWrap = rows[rows.length - 1].wrap;
  shown = target;
}

const CHUNKS = [1, 2, 5, 13, 1, 40, 3, 7, 90, 1, 1, 24, 4];
function lines(from: number, to: number, text: (i: number) => string): void {
  let i = from, c = 0;
  while (i <= to) {
    let out = "";
    for (let k = 0; k < CHUNKS[c % CHUNKS.length] && i <= to; k++, i++) out += text(i) + "\r\n";
    frame(out, { bar: c % 5 === 3, skip: c === 8 ? 10 : 0 });
    c++;
  }
}

const line = (i: number) =>
  i % 50 === 0
    ? `long ${i} ` + "abcdefghij".repeat(Math.ceil((width * 2.5) / 10))
    : i % 7 === 0
    ? `\x1b[3${(i % 6) + 1}m${i}\x1b[0m`
    : `${i}`;

frame("");
lines(1, 300, line);
if (lastWrap) throw new Error("the repaint below would end a soft wrap");
write(newFrame(null, shown!, { scrollbackSafe: true }));
expected.beforeAlternate = shown!.rows.map((r) => r.toText().trimEnd());
frame("\x1b[?1049h\x1b[H\x1b[2J" + Array.from({ length: 40 }, (_, i) => `vi ${i}`).join("\r\n"));
frame("\x1b[H\x1b[2Jless");
frame("\x1b[?1049l");
expected.afterAlternate = shown!.rows.map((r) => r.toText().trimEnd());
lines(301, 340, line);
// A long line on screen, then more rows than fit with the oldest skipped: the rows painted
// over it must not inherit its soft wraps.
frame(line(350) + "\r\n" + "341\r\n");
frame(Array.from({ length: 30 }, (_, i) => `${i + 342}\r\n`).join(""), { skip: 12 });
frame("$ ");
expected.screen = shown!.rows.map(record);

await Deno.writeTextFile(Deno.args[0], JSON.stringify(expected));
await new Promise(() => setTimeout(() => {}, 3_600_000)); // until the test kills tmux

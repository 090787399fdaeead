/**
 * `historyFrame`: the escapes that put rows into a real terminal's own history (scrollback),
 * in order, with their colours, attributes and soft wraps, and leave the screen showing a
 * frame; and `historyMarkerRow`, the line that stands for lines that were never sent.
 *
 * A terminal keeps a line as history when a line feed at the bottom of its screen scrolls it
 * off the top (see docs/scrollback.md for what each terminal keeps). So:
 * 1. the fast path: the rows the screen shows at its top that are the next history rows (the
 *    ordinary case: the frame on screen scrolled by K lines) are pushed by K line feeds at the
 *    bottom row, as mosh's own scroll does;
 * 2. the other rows are painted over the top of the screen, up to a screen's height at a
 *    time, and pushed the same way. Each window's rows are erased first (`CSI 2 K`, which in
 *    tmux and xterm.js also clears a stale soft-wrap mark) except a row already painted that
 *    continues the previous one; a row that soft-wraps into the next is printed through its
 *    last column so that the terminal wraps it itself, which is what `tmux capture-pane -J`
 *    and a terminal's copy follow to join lines. A window whose last row wraps stops a row
 *    short (when the screen has two rows or more), so that its continuation is painted below
 *    it and stays on screen as the start of the next window; the newest row's continuation is
 *    the target's first row;
 * 3. the frame is drawn with `newFrame` (`scrollbackSafe`) from what the screen then shows.
 * Nothing here erases the whole screen or scrolls a region, which terminals may turn into
 * history of their own.
 *
 * Soft wraps across calls: when the last row of a call wraps, the terminal's top row is left
 * as its continuation; pass `topRowContinues` (the last row written wrapped) to the next call,
 * and to `newFrame` for the frames between, to keep that join.
 *
 * The caller's contract: `shown` is exactly what the terminal shows (its main screen, or the
 * alternate screen with `main`), including whatever the caller drew over the server's frame
 * (the notification bar, prediction underlines); `target` is what it must show afterwards,
 * overlays included; `rows` are only rows the server confirmed (history rows and markers),
 * oldest first. Then only `rows` enter the history: rows of `shown` go there only in the
 * fast path, where they are equal, cell for cell and wrap for wrap, to the rows pushed. Rows
 * of another width are folded to the screen's a logical line at a time (`fitRows`), as a
 * terminal that reflows shows a long line.
 *
 * @module
 */

import { type DisplayOptions, LEAVE_ALTERNATE, newFrame } from "./display.ts";
import { BLANK_STATE, type Framebuffer } from "./framebuffer.ts";
import { FrameWriter, UNKNOWN } from "./frame_writer.ts";
import { Attr, DEFAULT_COLOR, Renditions } from "./renditions.ts";
import { CONTINUATION, type Row, RowBuilder } from "./row.ts";
import { blankRow, RowPainter } from "./row_painter.ts";

/**
 * The escapes that make a terminal showing `shown` (null: unknown, drawn from nothing on the
 * main screen, as `newFrame(null, …)` draws) add `rows` to its history, oldest first, and then
 * show `target`, with the cursor and modes as `newFrame(shown, target)` leaves them. See the
 * module documentation for the contract.
 *
 * @example
 * ```ts
 * import { Emulator } from "./emulator.ts";
 * import { historyFrame } from "./history_frame.ts";
 * const e = new Emulator(20, 3, { historyLimit: 100 });
 * const shown = e.snapshot();
 * e.write(new TextEncoder().encode("a\r\nb\r\nc\r\nd\r\n"));
 * const rows = e.historyRows(0, e.historyEnd); // "a" and "b"
 * const out = historyFrame(shown, rows, e.snapshot());
 * if (out.includes("\x1b[2J")) throw new Error("never a full clear");
 * ```
 */
export function historyFrame(
  shown: Framebuffer | null,
  rows: readonly Row[],
  target: Framebuffer,
  opts: DisplayOptions = {},
): string {
  const safe: DisplayOptions = { ...opts, scrollbackSafe: true };
  if (rows.length === 0) return newFrame(shown, target, safe);
  const w = target.width, h = target.height;
  const lines = fitRows(rows, w);
  let out = "";
  let screen: Framebuffer;
  const f = new FrameWriter(w, []);
  let continues = opts.topRowContinues ?? false;
  if (shown === null || shown.width !== w || shown.height !== h) {
    continues = false; // the clear ends any join with the history
    // Unknown or another size: a blank main screen first, by newFrame's safe clear.
    screen = (target.main ?? target).with({ rows: blankRows(w, h), main: null });
    out = newFrame(shown, screen, safe);
    assume(f, screen);
  } else if (shown.main !== null) {
    // On the alternate screen: back to the main screen, where history is.
    screen = shown.main.with({ cursor: { ...shown.main.cursor, visible: shown.cursor.visible } });
    f.append(LEAVE_ALTERNATE);
    f.cursorVisible = shown.cursor.visible;
    f.forgetCursor();
    f.forgetPen();
  } else {
    screen = shown;
    assume(f, screen);
  }

  const mainTarget = target.main ?? target;
  let next = 0;
  // 1. The rows on screen that are the next history rows: line feeds at the bottom.
  while (next < lines.length && next < h && lines[next].equals(screen.rows[next])) next++;
  if (next > 0) {
    push(f, screen.rows, next);
    continues = lines[next - 1].wrap;
    screen = shifted(screen, screen.rows, next);
  }
  // 2. The rest, a window at a time: erased, painted at the top, pushed.
  while (next < lines.length) {
    let count = Math.min(lines.length - next, h);
    if (count === h && h > 1 && lines[next + count - 1].wrap) count--;
    const lastWraps = lines[next + count - 1].wrap && count < h;
    const after = lastWraps
      ? (next + count < lines.length ? lines[next + count] : mainTarget.rows[0])
      : null;
    const painted = [...lines.slice(next, next + count), ...(after ? [after] : [])];
    // The last row painted has no continuation on screen yet.
    const last = painted[painted.length - 1];
    painted[painted.length - 1] = last.resized(last.width);
    const first = continues ? 1 : 0;
    const erase = Math.min(painted.length, h - 1);
    const rowsNow = screen.rows.slice();
    f.setPen(DEFAULT_COLOR, DEFAULT_COLOR, 0, true);
    for (let y = first; y <= erase; y++) {
      f.silentMove(y, 0);
      f.append("\x1b[2K");
      rowsNow[y] = blankRow(w);
      // The row above no longer goes on into this one.
      if (y > 0 && rowsNow[y - 1].wrap) rowsNow[y - 1] = rowsNow[y - 1].resized(w);
    }
    const window = screen.with({ rows: [...painted, ...rowsNow.slice(painted.length)] });
    paint(f, window, rowsNow, painted.length, continues, safe);
    push(f, window.rows, count);
    continues = lastWraps;
    screen = shifted(screen, window.rows, count);
    next += count;
  }
  screen = screen.with({
    cursor: { row: h - 1, col: 0, visible: f.cursorVisible },
    pen: Renditions.DEFAULT,
  });
  return out + f.out + newFrame(screen, target, { ...safe, topRowContinues: continues });
}

/**
 * The line that stands in the history for `skipped` lines that were never transferred:
 * `[… 987,654 lines not transferred …]`, in reverse video, shortened to fit `width`.
 * @throws RangeError unless `skipped` is a whole number ≥ 0 and `width` ≥ 1
 */
export function historyMarkerRow(skipped: number, width: number): Row {
  if (!Number.isSafeInteger(skipped) || skipped < 0 || !Number.isInteger(width) || width < 1) {
    throw new RangeError(`Cannot make a marker for ${skipped} lines, ${width} wide`);
  }
  const n = String(skipped).replace(/\B(?=(\d{3})+$)/g, ",");
  const noun = skipped === 1 ? "line" : "lines";
  const texts = [
    `[… ${n} ${noun} not transferred …]`,
    `[… ${n} ${noun} skipped …]`,
    `[… ${n} …]`,
    `[${n}]`,
    `…`,
  ];
  const text = texts.find((t) => t.length <= width) ?? "…";
  const b = new RowBuilder(width);
  const mark = new Renditions(DEFAULT_COLOR, DEFAULT_COLOR, Attr.inverse);
  [...text].forEach((ch, i) => b.set(i, ch, mark));
  return b.build();
}

/**
 * `rows` (history, oldest first) as rows `width` wide, as a terminal that reflows shows them:
 * each logical line (rows joined by soft wraps) is cut into soft-wrapped pieces as one run of
 * cells. Folding a wrapped row on its own would end it in a piece short of the edge, where no
 * soft wrap can show, and its continuation would become a line of its own. A line already
 * `width` wide is kept as it is; a narrower one is extended with empty cells; a wide character
 * that would straddle the edge starts the next piece; empty cells at a line's end need no
 * piece; a last row that wraps (its line goes on past `rows`) is folded as far as it goes.
 */
export function fitRows(rows: readonly Row[], width: number): Row[] {
  // The usual case (history from a screen of the window's width) takes no copies per line.
  if (rows.every((r) => r.width === width)) return [...rows];
  const out: Row[] = [];
  for (let start = 0; start < rows.length;) {
    let end = start + 1;
    while (end < rows.length && rows[end - 1].wrap) end++;
    const line = rows.slice(start, end);
    if (line.every((r) => r.width === width)) out.push(...line);
    else out.push(...foldLine(line, width));
    start = end;
  }
  return out;
}

/** One logical line's rows (each but the last soft-wrapped) cut into rows `width` wide. */
function foldLine(line: readonly Row[], width: number): Row[] {
  // The line's cells, in order: wrapped rows end in a grapheme, so only the last row has
  // empty cells at its end to leave out.
  const cells: { row: Row; col: number }[] = [];
  const last = line[line.length - 1];
  for (const row of line) {
    let used = row.width;
    if (row === last) {
      while (used > 0 && row.isEmpty(used - 1) && row.bg(used - 1) === DEFAULT_COLOR) used--;
    }
    for (let col = 0; col < used; col++) {
      if (row.code(col) !== CONTINUATION) cells.push({ row, col });
    }
  }
  if (cells.length === 0) return [last.resized(width)];
  const out: Row[] = [];
  let at = 0;
  while (at < cells.length) {
    const b = new RowBuilder(width);
    let x = 0;
    while (at < cells.length && x < width) {
      const { row, col } = cells[at];
      const wide = row.isWide(col);
      if (wide && x === width - 1) {
        if (x > 0) break; // it starts the next piece
        at++; // a one-column screen cannot show it at all
        continue;
      }
      const cell = row.cell(col);
      b.set(x, cell.text, cell.renditions, wide ? 2 : undefined);
      x += wide ? 2 : 1;
      at++;
    }
    b.wrap = at < cells.length || last.wrap;
    out.push(b.build());
  }
  return out;
}

/** Takes the writer's terminal to show `fb`: its cursor, pen and cursor visibility. */
function assume(f: FrameWriter, fb: Framebuffer): void {
  f.row = fb.cursor.row;
  f.col = fb.cursor.col === fb.width - 1 ? UNKNOWN : fb.cursor.col;
  f.assumePen(fb.pen.fg, fb.pen.bg, fb.pen.attrs);
  f.cursorVisible = fb.cursor.visible;
}

/**
 * Paints `window`'s first `count` rows over the screen's rows `old` (the rest is unchanged),
 * every difference drawn and every soft wrap made by printing, never by a move.
 */
function paint(
  f: FrameWriter,
  window: Framebuffer,
  old: readonly Row[],
  count: number,
  continues: boolean,
  opts: DisplayOptions,
): void {
  f.setRows(window.rows);
  const draw = new RowPainter(f, window, true, opts.ech ?? true, opts.bce ?? true, continues);
  draw.assume(old);
  let continued = false;
  for (let y = 0; y < count; y++) continued = draw.row(y, continued);
}

/**
 * Line feeds at the bottom row, on the default background: `count` lines leave the top. The
 * screen shows `rows`, whose soft wraps the move there must not undo.
 */
function push(f: FrameWriter, rows: readonly Row[], count: number): void {
  const h = rows.length;
  f.setRows(rows);
  f.setPen(DEFAULT_COLOR, DEFAULT_COLOR, 0, true);
  f.silentMove(h - 1, 0);
  f.append("\n".repeat(count));
  f.row = h - 1;
  f.col = 0;
}

/** The screen after `count` line feeds at its bottom: `rows` moved up, blank rows below. */
function shifted(screen: Framebuffer, rows: readonly Row[], count: number): Framebuffer {
  const w = screen.width, h = screen.height;
  const moved = rows.slice(count, h);
  // The last moved row's next line is new: the terminal no longer has it wrapped.
  if (moved.length > 0 && moved[moved.length - 1].wrap) {
    const last = moved[moved.length - 1];
    moved[moved.length - 1] = last.resized(last.width);
  }
  return screen.with({
    rows: [...moved, ...blankRows(w, h - moved.length)],
    cursor: { row: h - 1, col: 0, visible: screen.cursor.visible },
    pen: BLANK_STATE.pen,
  });
}

function blankRows(width: number, count: number): Row[] {
  return new Array(count).fill(blankRow(width));
}

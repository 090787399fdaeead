/**
 * A stand-in for the user's terminal: plain xterm.js (none of the emulator's mosh behaviour)
 * with a large scrollback, glibc's character widths and a UTF-8 decoder that keeps U+FEFF,
 * read back as our rows: its history (the
 * scrollback), its screen, and its main screen while the alternate one is shown.
 */
import { MOSH_UNICODE } from "../../../core/terminal/emulator.ts";
import { type XtermBuffer, XtermHandle } from "../../../core/terminal/xterm_internals.ts";
import { rowFromCells } from "../../../core/terminal/snapshot.ts";
import type { Row } from "../../../core/terminal/row.ts";
import { MoshUtf8Decoder } from "../../../core/terminal/utf8_decoder.ts";

const encoder = new TextEncoder();

export class ModelTerminal {
  readonly x: XtermHandle;

  constructor(width: number, height: number, scrollback = 100_000) {
    this.x = new XtermHandle(width, height, MOSH_UNICODE, scrollback);
    // xterm's own decoder drops U+FEFF wherever it is; terminals keep it as a zero-width mark.
    this.x.setDecoder(new MoshUtf8Decoder());
  }

  write(out: string): void {
    this.x.parse(encoder.encode(out));
  }

  /** The lines in its history, oldest first, soft-wrapped as the line after each says. */
  history(): Row[] {
    const b = this.x.normalBuffer;
    return this.#rows(b, 0, b.ybase);
  }

  /** The rows shown. */
  screen(): Row[] {
    const b = this.x.buffer;
    return this.#rows(b, b.ybase, this.x.rows);
  }

  /** The main screen's rows, shown or not. */
  main(): Row[] {
    const b = this.x.normalBuffer;
    return this.#rows(b, b.ybase, this.x.rows);
  }

  get cursor(): { row: number; col: number } {
    const b = this.x.buffer;
    return { row: b.y, col: Math.min(b.x, this.x.cols - 1) };
  }

  #rows(b: XtermBuffer, from: number, count: number): Row[] {
    const out: Row[] = [];
    const total = b.ybase + this.x.rows;
    for (let i = from; i < from + count; i++) {
      const line = b.lines.get(i)!;
      const nextWrapped = i + 1 < total && b.lines.get(i + 1)!.isWrapped;
      out.push(rowFromCells(line._data, line._combined, this.x.cols, nextWrapped));
    }
    return out;
  }
}

/**
 * The pieces a prediction is made of (mosh's `ConditionalOverlay` family): a predicted cell, a
 * row of them, and a predicted cursor position. Each is conditional on two things:
 *
 * - its **epoch**: it is shown only once the engine has confirmed that epoch (see
 *   `prediction.ts`), so that guesses made in uncertain territory stay hidden;
 * - its **expiration frame**: the client state that carries the keystroke it predicts. Until the
 *   server's echo ack reaches that state the guess is *pending*; after, it is judged against
 *   the server's screen: correct, correct without credit, or incorrect.
 *
 * Applying an overlay draws it on a copy of the server's frame; the synchronized state is
 * never touched.
 *
 * Deviation from mosh: cells here follow our rows' rules (a wide grapheme and its right half
 * are written together, overwriting half of one empties the other, and an empty cell keeps
 * only its background), so a prediction over an empty cell is never drawn underlined.
 *
 * @module
 */

import type { Framebuffer } from "../terminal/framebuffer.ts";
import type { Cell, RowBuilder } from "../terminal/row.ts";
import { Attr, Renditions } from "../terminal/renditions.ts";

/** What the server's screen says about a prediction. */
export type Validity = "pending" | "correct" | "correctNoCredit" | "incorrect" | "inactive";

/** An expiration frame that is never reached (mosh's `uint64_t(-1)`). */
export const NEVER_FRAME: bigint = (1n << 64n) - 1n;

/** Whether a cell shows nothing: empty, a space or a no-break space (mosh's `is_blank`). */
export function isBlank(cell: Cell): boolean {
  return cell.text === "" || cell.text === " " || cell.text === "\u00a0";
}

/** Same text, or both blank: what judging a prediction compares (mosh's `contents_match`). */
export function contentsMatch(a: Cell, b: Cell): boolean {
  return (isBlank(a) && isBlank(b)) || a.text === b.text;
}

/** Same text, width and renditions. */
export function sameCell(a: Cell, b: Cell): boolean {
  return a.text === b.text && a.width === b.width && a.renditions.equals(b.renditions);
}

/** `r` with the underline that flags an unconfirmed prediction. */
export function underlined(r: Renditions): Renditions {
  return r.has(Attr.underline) ? r : new Renditions(r.fg, r.bg, r.attrs | Attr.underline);
}

/** What every conditional overlay has. */
class ConditionalOverlay {
  /** The client state whose echo ack decides this prediction. */
  expirationFrame: bigint;
  col: number;
  /** Whether this is a prediction at all. */
  active = false;
  /** The epoch that must be confirmed before this is shown. */
  tentativeUntilEpoch: number;
  /** When the keystroke was predicted, to find predictions pending too long. */
  predictionTime = -Infinity;

  constructor(expirationFrame: bigint, col: number, tentativeUntilEpoch: number) {
    this.expirationFrame = expirationFrame;
    this.col = col;
    this.tentativeUntilEpoch = tentativeUntilEpoch;
  }

  /** Whether this is hidden because its epoch is not confirmed yet. */
  tentative(confirmedEpoch: number): boolean {
    return this.tentativeUntilEpoch > confirmedEpoch;
  }

  /** No longer a prediction. */
  reset(): void {
    this.expirationFrame = NEVER_FRAME;
    this.tentativeUntilEpoch = Infinity;
    this.active = false;
  }

  /** Decided by client state `frame`; predicted at `now`. */
  expire(frame: bigint, now: number): void {
    this.expirationFrame = frame;
    this.predictionTime = now;
  }
}

/** A predicted cursor position. */
export class ConditionalCursorMove extends ConditionalOverlay {
  row: number;

  constructor(expirationFrame: bigint, row: number, col: number, tentativeUntilEpoch: number) {
    super(expirationFrame, col, tentativeUntilEpoch);
    this.row = row;
  }

  /** Once the echo ack covers it, right if the server's cursor is where this one is. */
  validity(fb: Framebuffer, lateAck: bigint): Validity {
    if (!this.active) return "inactive";
    if (this.row >= fb.height || this.col >= fb.width) return "incorrect";
    if (lateAck < this.expirationFrame) return "pending";
    return fb.cursor.row === this.row && fb.cursor.col === this.col ? "correct" : "incorrect";
  }

  /** The cursor moved here, unless the epoch is unconfirmed. */
  apply(fb: Framebuffer, confirmedEpoch: number): Framebuffer {
    if (!this.active || this.tentative(confirmedEpoch)) return fb;
    if (this.row >= fb.height || this.col >= fb.width) return fb;
    if (fb.cursor.row === this.row && fb.cursor.col === this.col) return fb;
    return fb.with({ cursor: { ...fb.cursor, row: this.row, col: this.col } });
  }
}

/** A predicted cell. */
export class ConditionalOverlayCell extends ConditionalOverlay {
  /** What the cell should become (kept across resets, as in mosh). */
  replacement: Cell = { text: "", width: 1, renditions: Renditions.DEFAULT };
  /** The cell was pushed past the right edge by an insert: its content is not known. */
  unknown = false;
  /** What the cell held before: a guess that matches one of these earns no credit. */
  originalContents: Cell[] = [];

  /** No longer a prediction, and nothing remembered. */
  override reset(): void {
    this.unknown = false;
    this.originalContents = [];
    super.reset();
  }

  /** Ends this prediction but remembers what it predicted as an original content. */
  resetWithOrig(): void {
    if (!this.active || this.unknown) {
      this.reset();
      return;
    }
    this.originalContents.push(this.replacement);
    super.reset();
  }

  /** A new prediction in `epoch`, decided by `frame`. */
  activate(epoch: number, frame: bigint, now: number): void {
    this.active = true;
    this.tentativeUntilEpoch = epoch;
    this.expire(frame, now);
  }

  /** Once the echo ack covers it: is the server's cell in row `row` what was predicted? */
  validity(fb: Framebuffer, row: number, lateAck: bigint): Validity {
    if (!this.active) return "inactive";
    if (row >= fb.height || this.col >= fb.width) return "incorrect";
    if (lateAck < this.expirationFrame) return "pending";
    // Blanks and cells pushed off the edge are too easy to get right by accident.
    if (this.unknown || isBlank(this.replacement)) return "correctNoCredit";
    const current = fb.rows[row].cell(this.col);
    if (!contentsMatch(current, this.replacement)) return "incorrect";
    const wasThere = this.originalContents.some((o) => contentsMatch(o, this.replacement));
    return wasThere ? "correctNoCredit" : "correct";
  }

  /** Draws the prediction into `row` (underlined if `flag`), unless its epoch is unconfirmed. */
  apply(row: RowBuilder, confirmedEpoch: number, flag: boolean): void {
    if (!this.active || this.col >= row.width || this.tentative(confirmedEpoch)) return;
    const current = row.cell(this.col);
    if (isBlank(this.replacement) && isBlank(current)) flag = false;
    if (this.unknown) {
      if (flag && this.col !== row.width - 1) {
        row.setRenditions(this.col, underlined(current.renditions));
      }
      return;
    }
    if (sameCell(current, this.replacement)) return;
    const rep = this.replacement;
    const renditions = flag ? underlined(rep.renditions) : rep.renditions;
    const fits = rep.width === 1 || (rep.width === 2 && this.col + 1 < row.width);
    if (rep.text === "" || !fits) row.set(this.col, "", renditions);
    else row.set(this.col, rep.text, renditions, rep.width as 1 | 2);
  }
}

/** The predicted cells of one row, one per column. */
export class ConditionalOverlayRow {
  readonly rowNum: number;
  readonly cells: ConditionalOverlayCell[];

  /** A row of inactive cells in `epoch`. */
  constructor(rowNum: number, width: number, epoch: number) {
    this.rowNum = rowNum;
    this.cells = Array.from({ length: width }, (_, col) => {
      return new ConditionalOverlayCell(0n, col, epoch);
    });
  }

  /** `fb` with this row's shown predictions drawn on it. */
  apply(fb: Framebuffer, confirmedEpoch: number, flag: boolean): Framebuffer {
    if (this.rowNum >= fb.height) return fb;
    if (!this.cells.some((c) => c.active && !c.tentative(confirmedEpoch))) return fb;
    const row = fb.rows[this.rowNum].edit();
    for (const cell of this.cells) cell.apply(row, confirmedEpoch, flag);
    const built = row.build();
    return built.equals(fb.rows[this.rowNum]) ? fb : fb.withRow(this.rowNum, built);
  }
}

/**
 * `PredictionEngine`: local echo, mosh 1.4.0's engine (`terminaloverlay.cc`, docs/protocol.md
 * §12). Each keystroke is guessed onto the screen at once; the server's frames later confirm
 * or refute every guess.
 *
 * How the client drives it (mosh's `STMClient`):
 * - before each read of user input: `setLocalFrameSent(number of the last state sent)`, so that
 *   every guess knows the client state that will carry its keystroke (that number + 1);
 * - each byte: `newUserByte(byte, server's frame, now)`; a read of more than 100 bytes is a
 *   paste: `reset()` instead;
 * - after network input: `setSendInterval` (the transport's, which is about half the round
 *   trip) and `setLocalFrameLateAcked(the server's echo ack)`. (mosh also passes the newest
 *   acknowledged state, its "early ack", but never judges on it; we leave it out.)
 * - to draw: `cull(server's frame, now)` then `apply(server's frame)`, before the notification
 *   bar; wake up after `waitTime()` so that the timing triggers are checked;
 * - on a window resize: `reset()`.
 *
 * **Epochs.** A guess belongs to the epoch current when it was made, and is shown only once
 * the engine has seen one guess of that epoch (or a later one) confirmed. Anything that makes
 * the future uncertain (a control character, an escape sequence, CR, typing into the last
 * column, an unknown character) starts a new epoch, so after pressing Enter nothing is shown
 * until the program proves it echoes again. That is how a password prompt shows nothing: its
 * first guess is refuted, which kills the epoch, and so is every later one.
 *
 * **When guesses show.** `always` and `experimental` at any round trip; `never` never (the
 * engine does nothing); `adaptive` only while the round trip is long (send interval above 30 ms, until it
 * is back to 20 ms with nothing predicted) or after a glitch (a guess pending 250 ms). Shown
 * guesses are underlined while the send interval is above 80 ms (until it is 50 ms or less) or
 * after a guess pended 5 s. `experimental` does not use epochs and drops only the guesses
 * that were wrong.
 *
 * Pure: the time is an argument; frame numbers are the transport's state numbers.
 *
 * Deviation from mosh: mosh guesses and culls against the frame it last drew (the server's
 * frame plus its own overlays and the notification bar); we use the server's newest frame for
 * both, which is what the guesses are judged against, so a guess never takes the bar or an
 * earlier guess for the server's content.
 *
 * @module
 */

import type { Framebuffer } from "../terminal/framebuffer.ts";
import type { Cell } from "../terminal/row.ts";
import { charWidth } from "../terminal/wcwidth.ts";
import { ConditionalCursorMove, ConditionalOverlayRow, type Validity } from "./overlay.ts";
import { type InputAction, InputParser } from "./input_parser.ts";

/** When to show predictions (`MOSH_PREDICTION_DISPLAY`). */
export type DisplayPreference = "always" | "never" | "adaptive" | "experimental";

/** A send interval above this turns the round-trip trigger on, ms. */
export const SRTT_TRIGGER_HIGH = 30;
/** At or below this, with nothing predicted, the round-trip trigger turns off, ms. */
export const SRTT_TRIGGER_LOW = 20;
/** A send interval above this turns underlining on, ms. */
export const FLAG_TRIGGER_HIGH = 80;
/** At or below this, underlining turns off, ms. */
export const FLAG_TRIGGER_LOW = 50;
/** A guess pending this long is a glitch: show guesses even on a fast link, ms. */
export const GLITCH_THRESHOLD = 250;
/** Quick confirmations needed to cure the glitch trigger. */
export const GLITCH_REPAIR_COUNT = 10;
/** Quick confirmations count only this far apart, ms. */
export const GLITCH_REPAIR_MININTERVAL = 150;
/** A guess pending this long also turns underlining on, ms. */
export const GLITCH_FLAG_THRESHOLD = 5000;
/** How often to look again while timing triggers may still fire, ms. */
export const PREDICTION_WAKEUP = 50;

/** Options of a {@link PredictionEngine}. */
export interface PredictionOptions {
  /** When to show predictions; `adaptive` if absent. */
  display?: DisplayPreference;
  /** Typing overwrites the cell at the cursor instead of inserting (`MOSH_PREDICTION_OVERWRITE`). */
  overwrite?: boolean;
}

/** The prediction engine of one client. */
export class PredictionEngine {
  readonly #display: DisplayPreference;
  readonly #overwrite: boolean;
  readonly #parser = new InputParser();
  #lastByte = 0;
  #rows: ConditionalOverlayRow[] = [];
  #cursors: ConditionalCursorMove[] = [];
  #localFrameSent = 0n;
  #localFrameLateAcked = 0n;
  #predictionEpoch = 1;
  #confirmedEpoch = 0;
  #flagging = false;
  #srttTrigger = false;
  #glitchTrigger = 0;
  #lastQuickConfirmation = -Infinity;
  #sendInterval = 250;
  #lastHeight = 0;
  #lastWidth = 0;

  constructor(options: PredictionOptions = {}) {
    this.#display = options.display ?? "adaptive";
    this.#overwrite = options.overwrite ?? false;
  }

  /** The number of the last state the client sent, before new input is added. */
  setLocalFrameSent(n: bigint): void {
    this.#localFrameSent = n;
  }

  /** The server's echo ack: its application has had time to echo input up to this state. */
  setLocalFrameLateAcked(n: bigint): void {
    this.#localFrameLateAcked = n;
  }

  /** The transport's send interval, ms: the round-trip measure the triggers use. */
  setSendInterval(ms: number): void {
    this.#sendInterval = ms;
  }

  /** The glitch trigger: 0, or 10 (show), or 20 (show and underline), counting down. */
  get glitchTrigger(): number {
    return this.#glitchTrigger;
  }

  /** Whether anything is predicted (shown or not). */
  get active(): boolean {
    return this.#cursors.length > 0 || this.#rows.some((r) => r.cells.some((c) => c.active));
  }

  /** Whether `apply` would draw anything now (the display preference and the triggers). */
  get showing(): boolean {
    if (this.#display === "never") return false;
    return this.#srttTrigger || this.#glitchTrigger > 0 || this.#display === "always" ||
      this.#display === "experimental";
  }

  /** Milliseconds until the engine wants another `cull`, Infinity if it does not. */
  waitTime(): number {
    const timingTestsNecessary = !(this.#glitchTrigger > 0 && this.#flagging);
    return timingTestsNecessary && this.active ? PREDICTION_WAKEUP : Infinity;
  }

  /** Drops every prediction; what follows starts a new, unconfirmed epoch. */
  reset(): void {
    this.#cursors = [];
    this.#rows = [];
    this.#becomeTentative();
  }

  /** `fb` (the server's frame) with the shown predictions drawn on it. */
  apply(fb: Framebuffer): Framebuffer {
    if (!this.showing) return fb;
    let out = fb;
    for (const c of this.#cursors) out = c.apply(out, this.#confirmedEpoch);
    for (const r of this.#rows) out = r.apply(out, this.#confirmedEpoch, this.#flagging);
    return out;
  }

  /**
   * Judges the guesses the echo ack now covers against the server's frame `fb`, and updates
   * the triggers. Call before every `apply`.
   */
  cull(fb: Framebuffer, now: number): void {
    if (this.#display === "never") return;
    if (this.#lastHeight !== fb.height || this.#lastWidth !== fb.width) {
      this.#lastHeight = fb.height;
      this.#lastWidth = fb.width;
      this.reset();
    }
    this.#updateTriggers();
    this.#rows = this.#rows.filter((r) => r.rowNum >= 0 && r.rowNum < fb.height);
    for (const row of this.#rows) {
      for (const cell of row.cells) {
        const validity = cell.validity(fb, row.rowNum, this.#localFrameLateAcked);
        if (!this.#judgeCell(validity, cell, row, fb, now)) return;
      }
    }
    const last = this.#cursors.at(-1);
    if (last && last.validity(fb, this.#localFrameLateAcked) === "incorrect") {
      if (this.#display !== "experimental") return this.reset();
      this.#cursors = [];
    }
    this.#cursors = this.#cursors.filter((c) =>
      c.validity(fb, this.#localFrameLateAcked) === "pending"
    );
  }

  /** Acts on one cell's judgement; false when everything was reset (stop culling). */
  #judgeCell(
    validity: Validity,
    cell: ConditionalOverlayRow["cells"][number],
    row: ConditionalOverlayRow,
    fb: Framebuffer,
    now: number,
  ): boolean {
    switch (validity) {
      case "incorrect":
        if (this.#display === "experimental") cell.reset();
        else if (cell.tentative(this.#confirmedEpoch)) {
          this.#killEpoch(cell.tentativeUntilEpoch, fb);
        } else {
          this.reset();
          return false;
        }
        return true;
      case "correct": {
        this.#confirmedEpoch = Math.max(this.#confirmedEpoch, cell.tentativeUntilEpoch);
        // Guesses confirmed quickly, and not too close together, slowly cure a glitch.
        if (
          now - cell.predictionTime < GLITCH_THRESHOLD && this.#glitchTrigger > 0 &&
          now - GLITCH_REPAIR_MININTERVAL >= this.#lastQuickConfirmation
        ) {
          this.#glitchTrigger--;
          this.#lastQuickConfirmation = now;
        }
        // The rest of the row takes the renditions the application really used.
        const actual = fb.rows[row.rowNum].renditions(cell.col);
        for (let k = cell.col; k < row.cells.length; k++) {
          const c = row.cells[k];
          c.replacement = { ...c.replacement, renditions: actual };
        }
        cell.reset();
        return true;
      }
      case "correctNoCredit":
        cell.reset();
        return true;
      case "pending": {
        const age = now - cell.predictionTime;
        if (age >= GLITCH_FLAG_THRESHOLD) this.#glitchTrigger = GLITCH_REPAIR_COUNT * 2;
        else if (age >= GLITCH_THRESHOLD && this.#glitchTrigger < GLITCH_REPAIR_COUNT) {
          this.#glitchTrigger = GLITCH_REPAIR_COUNT;
        }
        return true;
      }
      default:
        return true;
    }
  }

  /** The round-trip and underline triggers, each with hysteresis. */
  #updateTriggers(): void {
    if (this.#sendInterval > SRTT_TRIGGER_HIGH) this.#srttTrigger = true;
    else if (this.#srttTrigger && this.#sendInterval <= SRTT_TRIGGER_LOW && !this.active) {
      this.#srttTrigger = false;
    }
    if (this.#sendInterval > FLAG_TRIGGER_HIGH) this.#flagging = true;
    else if (this.#sendInterval <= FLAG_TRIGGER_LOW) this.#flagging = false;
    if (this.#glitchTrigger > GLITCH_REPAIR_COUNT) this.#flagging = true;
  }

  /** Forgets the guesses of `epoch` and later, and starts a new epoch. */
  #killEpoch(epoch: number, fb: Framebuffer): void {
    this.#cursors = this.#cursors.filter((c) => !c.tentative(epoch - 1));
    this.#pushCursor(fb.cursor.row, fb.cursor.col);
    for (const row of this.#rows) {
      for (const cell of row.cells) if (cell.tentative(epoch - 1)) cell.reset();
    }
    this.#becomeTentative();
  }

  #becomeTentative(): void {
    if (this.#display !== "experimental") this.#predictionEpoch++;
  }

  /** A new cursor guess at (row, col) in the current epoch. */
  #pushCursor(row: number, col: number): void {
    const c = new ConditionalCursorMove(this.#localFrameSent + 1n, row, col, this.#predictionEpoch);
    c.active = true;
    this.#cursors.push(c);
  }

  /** The newest cursor guess, started from the server's cursor or carried into a new epoch. */
  #cursor(fb: Framebuffer): ConditionalCursorMove {
    const last = this.#cursors.at(-1);
    if (!last) this.#pushCursor(fb.cursor.row, fb.cursor.col);
    else if (last.tentativeUntilEpoch !== this.#predictionEpoch) {
      this.#pushCursor(last.row, last.col);
    }
    return this.#cursors.at(-1)!;
  }

  #row(rowNum: number, width: number): ConditionalOverlayRow {
    let row = this.#rows.find((r) => r.rowNum === rowNum);
    if (!row) {
      row = new ConditionalOverlayRow(rowNum, width, this.#predictionEpoch);
      this.#rows.push(row);
    }
    return row;
  }

  /**
   * One byte the user typed, with `fb` the server's newest frame: guesses its effect.
   * The bytes of a paste (a read of more than 100) should not come here: `reset()` instead.
   */
  newUserByte(byte: number, fb: Framebuffer, now: number): void {
    if (this.#display === "never") return;
    if (this.#display === "experimental") this.#predictionEpoch = this.#confirmedEpoch;
    this.cull(fb, now);
    // The client's terminal sends application-mode arrows (ESC O C); predict them as ESC [ C.
    if (this.#lastByte === 0x1b && byte === 0x4f) byte = 0x5b;
    this.#lastByte = byte;
    for (const action of this.#parser.input(byte)) this.#act(action, fb, now);
  }

  #act(action: InputAction, fb: Framebuffer, now: number): void {
    const frame = this.#localFrameSent + 1n;
    switch (action.kind) {
      case "print":
        this.#cursor(fb); // as mosh: every print starts a cursor guess if there is none
        if (action.ch === 0x7f) return this.#backspace(fb, now);
        if (action.ch < 0x20 || charWidth(action.ch) !== 1) return this.#becomeTentative();
        return this.#print(action.ch, fb, now);
      case "execute":
        this.#becomeTentative();
        if (action.ch === 0x0d) this.#newlineCarriageReturn(fb, now);
        return;
      case "esc":
        return this.#becomeTentative();
      case "csi": {
        if (action.ch !== 0x43 && action.ch !== 0x44) return this.#becomeTentative();
        const cursor = this.#cursor(fb);
        const right = action.ch === 0x43;
        if (right ? cursor.col < fb.width - 1 : cursor.col > 0) {
          cursor.col += right ? 1 : -1;
          cursor.expire(frame, now);
        }
        return;
      }
    }
  }

  /** A printable, one-column character: inserted (or overwritten) at the predicted cursor. */
  #print(ch: number, fb: Framebuffer, now: number): void {
    const frame = this.#localFrameSent + 1n;
    const cursor = this.#cursor(fb);
    const row = this.#row(cursor.row, fb.width);
    const actual = fb.rows[cursor.row];
    // The last column is uncertain: an editor may wrap, a shell just prints there.
    if (cursor.col + 1 >= fb.width) this.#becomeTentative();
    const rightmost = this.#overwrite ? cursor.col : fb.width - 1;
    for (let i = rightmost; i > cursor.col; i--) {
      const cell = row.cells[i];
      cell.resetWithOrig();
      cell.activate(this.#predictionEpoch, frame, now);
      cell.originalContents.push(actual.cell(i));
      const prev = row.cells[i - 1];
      if (i === fb.width - 1 || (prev.active && prev.unknown)) cell.unknown = true;
      else {
        cell.unknown = false;
        cell.replacement = prev.active ? prev.replacement : actual.cell(i - 1);
      }
    }
    const cell = row.cells[cursor.col];
    cell.resetWithOrig();
    cell.activate(this.#predictionEpoch, frame, now);
    // Take the renditions of the character to the left (at column 0, the application's pen).
    let renditions = fb.pen;
    if (cursor.col > 0) {
      const prev = row.cells[cursor.col - 1];
      renditions = prev.active && !prev.unknown
        ? prev.replacement.renditions
        : actual.renditions(cursor.col - 1);
    }
    cell.replacement = { text: String.fromCodePoint(ch), width: 1, renditions };
    cell.originalContents.push(actual.cell(cursor.col));
    cursor.expire(frame, now);
    if (cursor.col < fb.width - 1) cursor.col++;
    else {
      this.#becomeTentative();
      this.#newlineCarriageReturn(fb, now);
    }
  }

  /** DEL: the cursor back one and the rest of the row pulled left (or the cell blanked). */
  #backspace(fb: Framebuffer, now: number): void {
    const frame = this.#localFrameSent + 1n;
    const cursor = this.#cursor(fb);
    const row = this.#row(cursor.row, fb.width);
    if (cursor.col === 0) return;
    cursor.col--;
    cursor.expire(frame, now);
    const actual = fb.rows[cursor.row];
    if (this.#overwrite) {
      const cell = row.cells[cursor.col];
      cell.resetWithOrig();
      cell.activate(this.#predictionEpoch, frame, now);
      // As mosh: the blank takes the renditions of the cell under the server's cursor.
      const orig = fb.rows[fb.cursor.row].cell(fb.cursor.col);
      cell.originalContents.push(orig);
      cell.replacement = { text: " ", width: 1, renditions: orig.renditions };
      return;
    }
    for (let i = cursor.col; i < fb.width; i++) {
      const cell = row.cells[i];
      cell.resetWithOrig();
      cell.activate(this.#predictionEpoch, frame, now);
      cell.originalContents.push(actual.cell(i));
      if (i + 2 >= fb.width) {
        cell.unknown = true;
        continue;
      }
      const next = row.cells[i + 1];
      if (next.active && next.unknown) cell.unknown = true;
      else {
        cell.unknown = false;
        cell.replacement = next.active ? next.replacement : actual.cell(i + 1);
      }
    }
  }

  /** CR (or typing past the last column): column 0 of the next row; no scrolling predicted. */
  #newlineCarriageReturn(fb: Framebuffer, now: number): void {
    const frame = this.#localFrameSent + 1n;
    const cursor = this.#cursor(fb);
    cursor.col = 0;
    if (cursor.row < fb.height - 1) {
      cursor.row++;
      return;
    }
    // On the last row the screen would scroll; predict a blank row instead.
    const row = this.#row(cursor.row, fb.width);
    for (const cell of row.cells) {
      cell.activate(this.#predictionEpoch, frame, now);
      cell.replacement = { ...cell.replacement, text: "", width: 1 } satisfies Cell;
    }
  }
}

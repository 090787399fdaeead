/**
 * What the prediction engine sees of the user's keystrokes: mosh's `Parser::UTF8Parser`, the
 * DEC/ANSI state machine (Paul Williams' diagram as mosh 1.4.0 draws it, `parserstate.cc`),
 * reduced to the four actions a prediction depends on. Everything else the machine does
 * (collecting parameters, strings, DCS pass-through) ends in no action.
 *
 * The engine needs the machine, not a lookup of single bytes, because the meaning of a byte
 * depends on what came before it: `C` alone is a letter to predict, `ESC [ C` a cursor move,
 * and inside an OSC string it is neither.
 *
 * Deviation from mosh: UTF-8 is decoded by the emulator's decoder, which drops a printable
 * code point that glibc calls unprintable (width -1) instead of passing it on; mosh would make
 * the prediction tentative for it. The server draws nothing for it either, so the predictions
 * that follow are still right.
 *
 * @module
 */

import { MoshUtf8Decoder } from "../terminal/utf8_decoder.ts";

/** An action of the parser that prediction cares about, with the code point that caused it. */
export interface InputAction {
  /**
   * `print`: a graphic character (0x7F, DEL, counts: mosh predicts it as backspace);
   * `execute`: a C0 or C1 control; `esc`: an escape sequence ended; `csi`: a control sequence
   * ended, `ch` being its final character.
   */
  readonly kind: "print" | "execute" | "esc" | "csi";
  readonly ch: number;
}

// The states of the machine.
const GROUND = 0;
const ESCAPE = 1;
const ESCAPE_INTERMEDIATE = 2;
const CSI_ENTRY = 3;
const CSI_PARAM = 4;
const CSI_INTERMEDIATE = 5;
const CSI_IGNORE = 6;
const DCS_ENTRY = 7;
const DCS_PARAM = 8;
const DCS_INTERMEDIATE = 9;
const DCS_PASSTHROUGH = 10;
const DCS_IGNORE = 11;
const OSC_STRING = 12;
const SOS_PM_APC_STRING = 13;

/** C0 controls that are executed in place (CAN, SUB and ESC act from any state instead). */
function isC0(c: number): boolean {
  return c <= 0x17 || c === 0x19 || (c >= 0x1c && c <= 0x1f);
}

const inRange = (c: number, lo: number, hi: number): boolean => c >= lo && c <= hi;

/** A streaming parser of the user's input bytes. */
export class InputParser {
  readonly #decoder = new MoshUtf8Decoder();
  readonly #codes = new Uint32Array(2);
  #state = GROUND;

  /** The actions one byte completes (usually none or one). */
  input(byte: number): InputAction[] {
    const n = this.#decoder.decode(Uint8Array.of(byte), this.#codes);
    const out: InputAction[] = [];
    for (let i = 0; i < n; i++) {
      const action = this.#char(this.#codes[i]);
      if (action) out.push(action);
    }
    return out;
  }

  /** One code point through the machine. */
  #char(ch: number): InputAction | null {
    const anywhere = this.#anywhere(ch);
    if (anywhere !== undefined) return anywhere;
    // Code points above the C1 range behave as a letter would.
    const c = ch >= 0xa0 ? 0x41 : ch;
    const act = (kind: InputAction["kind"], next = this.#state): InputAction => {
      this.#state = next;
      return { kind, ch };
    };
    const go = (next: number): null => {
      this.#state = next;
      return null;
    };
    switch (this.#state) {
      case GROUND:
        if (isC0(c)) return act("execute");
        if (inRange(c, 0x20, 0x7f)) return act("print");
        return null;
      case ESCAPE:
        if (isC0(c)) return act("execute");
        if (inRange(c, 0x20, 0x2f)) return go(ESCAPE_INTERMEDIATE);
        if (c === 0x5b) return go(CSI_ENTRY);
        if (c === 0x5d) return go(OSC_STRING);
        if (c === 0x50) return go(DCS_ENTRY);
        if (c === 0x58 || c === 0x5e || c === 0x5f) return go(SOS_PM_APC_STRING);
        if (inRange(c, 0x30, 0x7e)) return act("esc", GROUND);
        return null;
      case ESCAPE_INTERMEDIATE:
        if (isC0(c)) return act("execute");
        if (inRange(c, 0x30, 0x7e)) return act("esc", GROUND);
        return null;
      case CSI_ENTRY:
      case CSI_PARAM:
      case CSI_INTERMEDIATE:
      case CSI_IGNORE:
        return this.#csi(c, act, go);
      case DCS_ENTRY:
      case DCS_PARAM:
      case DCS_INTERMEDIATE:
        return this.#dcs(c, go);
      case OSC_STRING:
        return c === 0x07 ? go(GROUND) : null;
      default: // DCS pass-through and ignore, SOS/PM/APC: only ST (anywhere) ends them
        return null;
    }
  }

  /** Transitions that apply in every state. */
  #anywhere(ch: number): InputAction | null | undefined {
    if (
      ch === 0x18 || ch === 0x1a || inRange(ch, 0x80, 0x8f) || inRange(ch, 0x91, 0x97) ||
      ch === 0x99 || ch === 0x9a
    ) {
      this.#state = GROUND;
      return { kind: "execute", ch };
    }
    const next = ch === 0x9c
      ? GROUND
      : ch === 0x1b
      ? ESCAPE
      : ch === 0x98 || ch === 0x9e || ch === 0x9f
      ? SOS_PM_APC_STRING
      : ch === 0x90
      ? DCS_ENTRY
      : ch === 0x9d
      ? OSC_STRING
      : ch === 0x9b
      ? CSI_ENTRY
      : -1;
    if (next < 0) return undefined;
    this.#state = next;
    return null;
  }

  #csi(
    c: number,
    act: (kind: InputAction["kind"], next?: number) => InputAction,
    go: (next: number) => null,
  ): InputAction | null {
    if (isC0(c)) return act("execute");
    const final = inRange(c, 0x40, 0x7e);
    switch (this.#state) {
      case CSI_ENTRY:
        if (final) return act("csi", GROUND);
        if (inRange(c, 0x30, 0x39) || inRange(c, 0x3b, 0x3f)) return go(CSI_PARAM);
        if (c === 0x3a) return go(CSI_IGNORE);
        if (inRange(c, 0x20, 0x2f)) return go(CSI_INTERMEDIATE);
        return null;
      case CSI_PARAM:
        if (final) return act("csi", GROUND);
        if (c === 0x3a || inRange(c, 0x3c, 0x3f)) return go(CSI_IGNORE);
        if (inRange(c, 0x20, 0x2f)) return go(CSI_INTERMEDIATE);
        return null;
      case CSI_INTERMEDIATE:
        if (final) return act("csi", GROUND);
        if (inRange(c, 0x30, 0x3f)) return go(CSI_IGNORE);
        return null;
      default: // CSI_IGNORE
        return final ? go(GROUND) : null;
    }
  }

  #dcs(c: number, go: (next: number) => null): null {
    if (inRange(c, 0x40, 0x7e)) return go(DCS_PASSTHROUGH);
    switch (this.#state) {
      case DCS_ENTRY:
        if (inRange(c, 0x20, 0x2f)) return go(DCS_INTERMEDIATE);
        if (c === 0x3a) return go(DCS_IGNORE);
        if (inRange(c, 0x30, 0x3f)) return go(DCS_PARAM);
        return null;
      case DCS_PARAM:
        if (c === 0x3a || inRange(c, 0x3c, 0x3f)) return go(DCS_IGNORE);
        if (inRange(c, 0x20, 0x2f)) return go(DCS_INTERMEDIATE);
        return null;
      default: // DCS_INTERMEDIATE
        if (inRange(c, 0x30, 0x3f)) return go(DCS_IGNORE);
        return null;
    }
  }
}

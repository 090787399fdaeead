/**
 * Translation of the user's cursor keys on the server, as mosh's `UserInput` does it: the
 * client's terminal is always in application cursor-key mode, so arrows arrive as `ESC O A`..
 * `ESC O D`; unless the application asked for that mode (DECCKM), they become `ESC [ A`..`D`.
 *
 * @module
 */

const ESC = 0x1b;
const O = 0x4f;
const BRACKET = 0x5b;

/** A byte-at-a-time SS3 rewriter that keeps its state across reads. */
export class UserInput {
  #state: "ground" | "esc" | "ss3" = "ground";

  /** The bytes to write to the application for `input`. */
  translate(input: Uint8Array, applicationCursorKeys: boolean): Uint8Array {
    const out: number[] = [];
    for (const c of input) {
      switch (this.#state) {
        case "ground":
          if (c === ESC) this.#state = "esc";
          out.push(c);
          break;
        case "esc":
          if (c === O) {
            this.#state = "ss3";
          } else {
            this.#state = "ground";
            out.push(c);
          }
          break;
        case "ss3":
          this.#state = "ground";
          out.push(!applicationCursorKeys && c >= 0x41 && c <= 0x44 ? BRACKET : O, c);
          break;
      }
    }
    return Uint8Array.from(out);
  }
}

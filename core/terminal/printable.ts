/**
 * Text from elsewhere (a peer, a session's command line) made safe to put on a terminal: every
 * C0 and C1 control character, and DEL, shown as "?", so that no escape sequence in it can
 * drive the terminal.
 *
 * @module
 */

/** Whether `c` is a C0 or C1 control character or DEL. */
function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

/**
 * `text` with its control characters shown as "?".
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * if (printable("a\x1b[2Jb") !== "a?[2Jb") throw new Error();
 * ```
 */
export function printable(text: string): string {
  let out = "";
  for (const ch of text) out += isControl(ch.codePointAt(0)!) ? "?" : ch;
  return out;
}

/** Whether `text` has no control characters. */
export function isPrintable(text: string): boolean {
  for (const ch of text) if (isControl(ch.codePointAt(0)!)) return false;
  return true;
}

/**
 * A small tokenizer of `newFrame` output that lists whatever mosh 1.4.0's emulator would not
 * understand as we mean it (docs/protocol.md §7.4).
 */
import { charWidth } from "../../../core/terminal/wcwidth.ts";

/** A C0 control mosh acts on as we mean it. */
const CONTROLS = new Set(["\x07", "\b", "\n", "\r"]);
const PRIVATE_MODES = new Set([5, 25, 2004, 9, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1015]);
const color = (d: number) =>
  String.raw`(?:;${d}[0-7]|;${d}8;5;\d{1,3}|;${d}8;2;\d{1,3};\d{1,3};\d{1,3})`;
/** mosh's SGR: reset, then attributes 1 3 4 5 7 8 (2 and 9 it skips harmlessly), fg, bg. */
const SGR = new RegExp(`^0(?:;[1-57-9])*${color(3)}?${color(4)}?$`);

/** Splits `out` into controls, escape sequences and text, and returns what mosh would not take. */
export function unsupported(out: string): string[] {
  const bad: string[] = [];
  let i = 0;
  while (i < out.length) {
    const ch = out[i];
    if (ch === "\x1b" && out[i + 1] === "[") {
      const m = /^..([?]?)([0-9;]*)([@-~])/.exec(out.slice(i, i + 64)); // after ESC [
      if (!m) {
        bad.push(JSON.stringify(out.slice(i, i + 16)));
        break;
      }
      if (!csiOk(m[1], m[2], m[3])) bad.push(JSON.stringify(m[0]));
      i += m[0].length;
    } else if (ch === "\x1b" && out[i + 1] === "]") {
      const end = out.indexOf("\x07", i);
      const body = out.slice(i + 2, end);
      if (end < 0 || !/^(?:[012];|52;c;)/.test(body) || [...body].some(isControl)) {
        bad.push(JSON.stringify(out.slice(i, i + 16)));
      }
      i = end < 0 ? out.length : end + 1;
    } else if (isControl(ch)) {
      if (!CONTROLS.has(ch)) bad.push(JSON.stringify(ch));
      i++;
    } else {
      const cp = out.codePointAt(i)!;
      if (charWidth(cp) === -1) bad.push(`unprintable U+${cp.toString(16)}`);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return bad;
}

function isControl(ch: string): boolean {
  return ch < " " || ch === "\x7f" || (ch >= "\x80" && ch <= "\x9f");
}

function csiOk(prefix: string, params: string, final: string): boolean {
  if (prefix === "?") return (final === "h" || final === "l") && PRIVATE_MODES.has(Number(params));
  switch (final) {
    case "H":
      return params === "" || /^\d+;\d+$/.test(params);
    case "C":
    case "X":
      return /^\d*$/.test(params);
    case "K":
      return params === "";
    case "J":
      return params === "2";
    case "r":
      return params === "" || /^1;\d+$/.test(params);
    case "m":
      return SGR.test(params);
  }
  return false;
}

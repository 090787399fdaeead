/**
 * The client's escape key (mosh's "quit sequence"): Ctrl-^ then `.` quits, then Ctrl-Z
 * suspends, then `^` sends a literal Ctrl-^, then anything else sends both bytes. A printable
 * escape key from `MOSH_ESCAPE_KEY` (say `~`) works like ssh's: only right after Enter.
 *
 * Pure: it turns the bytes the user typed into bytes for the server and local commands.
 *
 * @module
 */

/** The escape key settings, from `MOSH_ESCAPE_KEY`. */
export interface EscapeConfig {
  /** The escape byte, or -1 when escapes are disabled. */
  key: number;
  /** The byte after the escape that sends a literal escape, and its lower-case twin. */
  passKey: number;
  passKey2: number;
  /** A printable escape is only recognized after CR or LF. */
  requiresLf: boolean;
  /** The notification shown after the escape key: the commands. */
  help: string;
  /** The name shown in "[To quit: Ctrl-^ .]", or "" when escapes are disabled. */
  keyName: string;
}

const DEFAULT_KEY = 0x1e;
/** Ctrl-C, Ctrl-D, LF, Ctrl-L and CR are too dangerous to be the escape key. */
const REFUSED = new Set([0x03, 0x04, 0x0a, 0x0c, 0x0d]);

/** Reads `MOSH_ESCAPE_KEY` (undefined when unset) with mosh 1.4.0's rules. */
export function escapeConfig(env: string | undefined): EscapeConfig {
  let key = DEFAULT_KEY;
  if (env !== undefined) {
    if (env.length === 0) key = -1;
    else if (env.length === 1 && env.charCodeAt(0) > 0 && env.charCodeAt(0) < 128) {
      key = env.charCodeAt(0);
    }
  }
  if (REFUSED.has(key)) key = DEFAULT_KEY;
  if (key < 0) {
    return { key, passKey: -1, passKey2: -1, requiresLf: false, help: "", keyName: "" };
  }
  const passKey = key < 32 ? key + 0x40 : key;
  const upper = passKey >= 0x41 && passKey <= 0x5a;
  const passKey2 = upper ? passKey + 0x20 : passKey;
  const passName = `"${String.fromCharCode(passKey)}"`;
  const keyName = key < 32
    ? `Ctrl-${String.fromCharCode(passKey)}`
    : `"${String.fromCharCode(key)}"`;
  return {
    key,
    passKey,
    passKey2,
    requiresLf: key >= 32,
    help: `Commands: Ctrl-Z suspends, "." quits, ${passName} gives literal ${keyName}`,
    keyName,
  };
}

/** What the user's bytes amount to. */
export interface EscapeResult {
  /** Bytes to send to the server. */
  send: Uint8Array;
  /** The escape key was pressed: show the help. */
  showHelp: boolean;
  /** A command finished the escape sequence: hide the help. */
  hideHelp: boolean;
  /** Escape then `.`: quit. */
  quit: boolean;
  /** Escape then Ctrl-Z: suspend. Bytes after it in the same read are in `rest`. */
  suspend: boolean;
  /** Bytes after a suspend, to be processed on resume. */
  rest: Uint8Array;
  /** Ctrl-L was typed: repaint the local screen too. */
  repaint: boolean;
}

/** The escape-key state machine. */
export class EscapeFilter {
  readonly config: EscapeConfig;
  #started = false;
  #lfEntered = false;

  constructor(config: EscapeConfig) {
    this.config = config;
  }

  /** Whether the escape key was the last thing typed. */
  get pending(): boolean {
    return this.#started;
  }

  /** Runs one read's bytes through the filter. */
  feed(input: Uint8Array): EscapeResult {
    const c = this.config;
    const out: number[] = [];
    const r: EscapeResult = {
      send: new Uint8Array(0),
      showHelp: false,
      hideHelp: false,
      quit: false,
      suspend: false,
      rest: new Uint8Array(0),
      repaint: false,
    };
    for (let i = 0; i < input.length; i++) {
      const b = input[i];
      if (this.#started) {
        this.#started = false;
        r.hideHelp = true;
        r.showHelp = false;
        if (b === 0x2e) {
          r.quit = true;
          break;
        } else if (b === 0x1a) {
          r.suspend = true;
          r.rest = input.slice(i + 1);
          break;
        } else if (b === c.passKey || b === c.passKey2) {
          out.push(c.key);
        } else {
          out.push(c.key, b);
        }
        continue;
      }
      if (c.key > 0 && b === c.key && (this.#lfEntered || !c.requiresLf)) {
        this.#started = true;
        this.#lfEntered = false;
        r.showHelp = true;
        r.hideHelp = false;
        continue;
      }
      this.#lfEntered = b === 0x0a || b === 0x0d;
      if (b === 0x0c) r.repaint = true;
      out.push(b);
    }
    r.send = Uint8Array.from(out);
    return r;
  }
}

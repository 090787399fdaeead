/**
 * The few terminfo capabilities mosh-client uses, read from `infocmp -1` for `$TERM`:
 * smcup/rmcup (the alternate screen the client enters), ech and bce (whether the display may
 * erase with ECH and with a coloured background), and colors (`mosh-client -c`).
 *
 * @module
 */

/** What the client needs to know about the user's terminal. */
export interface TermCaps {
  smcup: string;
  rmcup: string;
  /** ECH (erase characters) is available. */
  ech: boolean;
  /** Erasing fills with the current background colour. */
  bce: boolean;
  /** Number of colours; -1 when the terminal has none (terminfo's "absent"). */
  colors: number;
  /** The terminal takes window titles (mosh's TERM prefix list). */
  titles: boolean;
}

const TITLE_TERMS = ["xterm", "rxvt", "kterm", "Eterm", "alacritty", "screen", "tmux"];

/** Decodes a terminfo string value (\E, ^X, \n, octal, ...). */
export function unescapeTerminfo(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "^" && i + 1 < s.length) {
      const n = s[++i];
      out += n === "?" ? "\x7f" : String.fromCharCode(n.toUpperCase().charCodeAt(0) & 0x1f);
    } else if (c === "\\" && i + 1 < s.length) {
      const n = s[++i];
      const simple: Record<string, string> = {
        E: "\x1b",
        e: "\x1b",
        n: "\n",
        l: "\n",
        r: "\r",
        t: "\t",
        b: "\b",
        f: "\f",
        s: " ",
        ":": ":",
        ",": ",",
        "^": "^",
        "\\": "\\",
      };
      if (n in simple) out += simple[n];
      else if (/[0-7]/.test(n)) {
        const oct = s.slice(i, i + 3);
        out += oct === "000" ? "\x80" : String.fromCharCode(parseInt(oct, 8));
        i += 2;
      } else out += n;
    } else out += c;
  }
  return out;
}

/** The capabilities in `infocmp -1` output, for terminal `term`. */
export function parseInfocmp(text: string, term: string): TermCaps {
  const caps = new Map<string, string | number | true>();
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("\t")) continue;
    const line = raw.trim().replace(/,$/, "");
    const eq = line.indexOf("="), hash = line.indexOf("#");
    if (eq > 0) caps.set(line.slice(0, eq), unescapeTerminfo(line.slice(eq + 1)));
    else if (hash > 0) caps.set(line.slice(0, hash), Number(line.slice(hash + 1)));
    else caps.set(line, true);
  }
  const str = (k: string) => (typeof caps.get(k) === "string" ? caps.get(k) as string : "");
  return {
    smcup: str("smcup"),
    rmcup: str("rmcup"),
    ech: caps.has("ech"),
    bce: caps.get("bce") === true,
    colors: typeof caps.get("colors") === "number" ? caps.get("colors") as number : -1,
    titles: TITLE_TERMS.some((p) => term.startsWith(p)),
  };
}

/** A plain VT100's capabilities, for when terminfo cannot be read. */
export function fallbackCaps(term: string): TermCaps {
  return {
    smcup: "",
    rmcup: "",
    ech: false,
    bce: false,
    colors: -1,
    titles: TITLE_TERMS.some((p) => term.startsWith(p)),
  };
}

/** Reads `$TERM`'s capabilities with `infocmp -1`. */
export async function loadTermCaps(term: string | undefined): Promise<TermCaps> {
  const name = term || "dumb";
  try {
    const out = await new Deno.Command("infocmp", {
      args: ["-1", name],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    if (out.success) return parseInfocmp(new TextDecoder().decode(out.stdout), name);
  } catch {
    // infocmp missing: assume a plain terminal
  }
  return fallbackCaps(name);
}

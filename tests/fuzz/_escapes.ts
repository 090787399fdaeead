/**
 * Terminal byte streams for the fuzzers: random bytes, broken UTF-8, and a soup of escape
 * sequences (CSI, OSC, DCS, ESC) with huge, many, negative-looking or missing parameters.
 */
import type { Rng } from "../sim/random.ts";
import { pick, randomBytes } from "./_fuzz.ts";

const enc = new TextEncoder();

/** Parameter values around every limit a terminal might have. */
const NUMBERS = [
  "",
  "0",
  "1",
  "2",
  "7",
  "24",
  "80",
  "255",
  "256",
  "4095",
  "4096",
  "65535",
  "65536",
  "99999",
  "2147483647",
  "2147483648",
  "4294967295",
  "4294967296",
  "99999999999999999999",
];
/** CSI finals, every one xterm or mosh gives a meaning, and some none does. */
const CSI_FINALS = "@ABCDEFGHIJKLMPSTXZ`abcdefghilmnpqrstuxz{|}~";
const PREFIXES = ["", "", "", "?", ">", "=", "<"];
const INTERMEDIATES = ["", "", "", " ", "!", '"', "$", "'", "*", "#"];
/** DEC private modes, the known and a few unknown. */
const MODES = [
  1,
  3,
  5,
  6,
  7,
  9,
  12,
  25,
  47,
  1000,
  1002,
  1003,
  1004,
  1005,
  1006,
  1007,
  1015,
  1047,
  1048,
  1049,
  2004,
  9999,
];
const TEXTS = ["a", "é", "漢", "🙂", "e\u0301", "\u200b", "\ufffd", " ", "x".repeat(100)];

function param(rng: Rng): string {
  return rng.chance(0.7) ? pick(rng, NUMBERS) : String(rng.int(0, 300));
}

function params(rng: Rng): string {
  const n = rng.chance(0.9) ? rng.int(0, 4) : rng.int(5, 80);
  const sep = () => rng.chance(0.9) ? ";" : ":";
  return Array.from({ length: n }, () => param(rng)).join(sep());
}

/** One escape sequence, or a piece of text or a control. */
export function soupItem(rng: Rng): string {
  const r = rng.next();
  if (r < 0.35) {
    return `\x1b[${pick(rng, PREFIXES)}${params(rng)}${pick(rng, INTERMEDIATES)}${
      CSI_FINALS[rng.int(0, CSI_FINALS.length - 1)]
    }`;
  }
  if (r < 0.42) {
    const modes = Array.from({ length: rng.int(1, 4) }, () => pick(rng, MODES)).join(";");
    return `\x1b[?${modes}${rng.chance(0.5) ? "h" : "l"}`;
  }
  if (r < 0.5) {
    // OSC: titles, clipboard, colours, links; sometimes very long; BEL or ST.
    const cmd = pick(rng, ["0", "1", "2", "4", "8", "10", "11", "52", "104", "", "999"]);
    const len = rng.chance(0.9) ? rng.int(0, 40) : rng.int(100, 20000);
    const body = cmd === "52" ? "c;" + "QUFB".repeat(len >> 2) : "t".repeat(len);
    return `\x1b]${cmd};${body}${rng.chance(0.5) ? "\x07" : "\x1b\\"}`;
  }
  if (r < 0.55) {
    // DCS: DECRQSS, sixel-like, unterminated.
    const body = pick(rng, ["$qm", '$q"p', "$qr", "q#0;2;0;0;0#0~~@@", "+q544e", "1$r"]);
    return `\x1bP${params(rng)}${body}${rng.chance(0.8) ? "\x1b\\" : ""}`;
  }
  if (r < 0.62) {
    return "\x1b" +
      pick(rng, [
        "7",
        "8",
        "c",
        "D",
        "E",
        "H",
        "M",
        "Z",
        "=",
        ">",
        "#8",
        "(0",
        ")B",
        "%G",
        "N",
        "O",
        "\\",
        "^x\x1b\\",
        "_x\x1b\\",
      ]);
  }
  if (r < 0.7) return String.fromCharCode(rng.int(0, 31), rng.int(0x7f, 0x9f));
  if (r < 0.8) return pick(rng, TEXTS).repeat(rng.int(1, 5));
  let s = "";
  for (let n = rng.int(1, 30); n > 0; n--) s += String.fromCharCode(rng.int(32, 126));
  return s;
}

/** A stream of escape soup, mixed with raw random bytes (broken UTF-8 among them). */
export function soup(rng: Rng, items: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < items; i++) {
    parts.push(rng.chance(0.1) ? randomBytes(rng, rng.int(1, 40)) : enc.encode(soupItem(rng)));
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

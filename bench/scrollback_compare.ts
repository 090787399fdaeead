/**
 * What native scrollback costs (docs/scrollback.md): the same scenarios with scrollback off at
 * both ends (`MOSH_NO_SCROLLBACK` client, `--scrollback=0` server: mosh's behaviour), with it
 * on (the defaults), and Debian's mosh 1.4.0 beside them. A part of `deno task bench:compare`
 * (`--only=scrollback`), or on its own:
 *
 *   deno run -A bench/scrollback_compare.ts [--quick]
 *
 * Keystroke echo during a flood is timed through the window title: a flood scrolls whatever it
 * shares the screen with out of sight within a frame, and a line that scrolled off before a
 * frame was taken never reaches a client without scrollback, so an echo in the flood's rows
 * could not be timed for both. The title is drawn by every client, flood or not.
 */
import { ScreenSession, type SessionOptions } from "../tests/e2e/_screen_session.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import { median, rssMb } from "./_measure.ts";
import { QUIET_MS as IDLE_GC_QUIET_MS } from "../io/idle_gc.ts";

/** Debian's mosh; ours with scrollback off at both ends; ours as it comes. */
export type Variant = "debian" | "off" | "on";
const VARIANTS: Variant[] = ["debian", "off", "on"];

/** Our programs with native scrollback off at both ends: mosh's behaviour. */
export const SCROLLBACK_OFF = {
  serverArgs: ["--scrollback=0"],
  clientEnv: { MOSH_NO_SCROLLBACK: "1" },
} as const satisfies Partial<SessionOptions>;

const OPTIONS: Record<Variant, Omit<SessionOptions, "rtt">> = {
  debian: { peer: "debian", predict: "never" },
  off: { peer: "ours", predict: "never", ...SCROLLBACK_OFF },
  on: { peer: "ours", predict: "never" },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const prompt = (fb: Framebuffer) => /^\$ *$/m.test(fb.toText());

/** The samples of one scenario, by variant. */
type Rows = Map<string, { unit: string; values: Record<Variant, number[]> }>;

/** Runs `fn` on a fresh session of `variant` at the prompt, closing it however it ends. */
async function withSession(
  variant: Variant,
  rtt: number,
  fn: (s: ScreenSession) => Promise<void>,
): Promise<void> {
  const s = await ScreenSession.start({ ...OPTIONS[variant], rtt });
  try {
    await s.waitFor(prompt, 20_000, "the prompt");
    await sleep(Math.max(500, 4 * rtt));
    await fn(s);
  } finally {
    await s.close();
  }
}

/** Runs the scenarios; returns the table's lines (markdown). */
export async function scrollbackTable(quick: boolean): Promise<string[]> {
  const rows: Rows = new Map();
  const record = (what: string, unit: string, v: Variant, value: number) => {
    let row = rows.get(what);
    if (!row) rows.set(what, row = { unit, values: { debian: [], off: [], on: [] } });
    row.values[v].push(value);
  };

  /** `seq 1 100000`: what crosses the network, and how long until the screen shows its end. */
  const seq = (v: Variant) =>
    withSession(v, 0, async (s) => {
      const st0 = structuredClone(s.proxy!.stats);
      const t = s.type("seq 1 100000\r");
      const at = await s.waitFor(
        (fb) => /^100000 *\n\$ /m.test(fb.toText()),
        60_000,
        "the end of seq",
      );
      await sleep(1000); // the history's last frames, and their acks
      const st = s.proxy!.stats;
      record("seq 1 100000 to the screen", "s", v, (at - t) / 1000);
      record("  datagrams server→client", "", v, st.s2c.datagrams - st0.s2c.datagrams);
      record("  datagrams client→server", "", v, st.c2s.datagrams - st0.c2s.datagrams);
      record("  bytes server→client", "KB", v, (st.s2c.bytes - st0.s2c.bytes) / 1024);
    });

  /** Keystrokes during a flood of a billion lines, answered in the title; then Ctrl-C. */
  const flood = (v: Variant, rtt: number) =>
    withSession(v, rtt, async (s) => {
      s.type(
        "stty -echo; timeout 120 seq 1 1000000000 & " +
          `while read -rsn1 c && [ "$c" != q ]; do printf '\\e]2;key %s\\a' "$c"; done; ` +
          "kill $!; wait; stty echo; echo\r",
      );
      await sleep(1500); // well into the flood
      const n = quick ? 8 : 20;
      for (let i = 0; i < n; i++) {
        const key = "abcdefghijklmnoprstuvwxyz"[i % 25]; // not q, which ends the loop
        const t = s.type(key);
        const at = await s.waitFor((fb) => fb.title.endsWith(`key ${key}`), 10_000, `key ${key}`);
        record(`keystroke echo during a flood, RTT ${rtt} ms`, "ms", v, at - t);
        await sleep(rtt + 100);
      }
      s.type("q");
      await s.waitFor(prompt, 20_000, "the prompt after the flood");
      await sleep(500);
      s.type("seq 1 1000000000\r");
      await sleep(1500);
      const t = s.type("\x03");
      const at = await s.waitFor(prompt, 20_000, "the prompt after Ctrl-C");
      record(`Ctrl-C during a flood to the prompt, RTT ${rtt} ms`, "ms", v, at - t);
    });

  /** The server's memory once its history is full: 20,000 lines of 80 columns. */
  const memory = (v: Variant) =>
    withSession(v, 0, async (s) => {
      s.type("yes $(printf '%080d' 0) | head -n 20000; echo do$((1+1))ne\r");
      await s.waitFor((fb) => /^do2ne/m.test(fb.toText()), 60_000, "the end of the output");
      // The history's frames, then the collection a quiet spell after a burst brings.
      await sleep(IDLE_GC_QUIET_MS + 5000);
      record("server RSS, history full (20,000 80-column lines)", "MB", v, rssMb(s.server!.pid));
    });

  const rounds = quick ? 1 : 3;
  for (let round = 0; round < rounds; round++) {
    for (const v of VARIANTS) {
      await seq(v);
      for (const rtt of [0, 100]) await flood(v, rtt);
      await memory(v);
    }
  }

  const fmt = (x: number) =>
    Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
  const lines = [
    "| scenario | mosh 1.4.0 | ours, scrollback off | ours, scrollback on | on / off |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const [what, r] of rows) {
    const [m, off, on] = VARIANTS.map((v) => median(r.values[v]));
    const u = r.unit ? ` ${r.unit}` : "";
    const ratio = off > 0 ? (on / off).toFixed(2) : "—";
    lines.push(`| ${what} | ${fmt(m)}${u} | ${fmt(off)}${u} | ${fmt(on)}${u} | ${ratio} |`);
  }
  return lines;
}

if (import.meta.main) {
  for (const line of await scrollbackTable(Deno.args.includes("--quick"))) console.log(line);
}

/**
 * The terminal fuzz suites, run in a worker so that the test can stop one that hangs: before
 * each case the worker stores the case's index in a shared counter, and the test watches it.
 * A suite posts `{ done, tally, slowest }` or `{ error }`.
 */
/// <reference lib="deno.worker" />
import { Emulator } from "../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../core/terminal/framebuffer.ts";
import { newFrame } from "../../core/terminal/display.ts";
import { CompleteTerminal, TerminalContext } from "../../core/statesync/complete_terminal.ts";
import { encodeHostMessage, type HostInstruction } from "../../core/statesync/host_message.ts";
import { Rng } from "../sim/random.ts";
import { pick, randomBytes, Tally } from "./_fuzz.ts";
import { soup } from "./_escapes.ts";

/** What the test asks a worker to run. */
export interface SuiteRequest {
  suite: "bytes" | "soup" | "counts" | "apply";
  seed: number;
  cases: number;
  /** Int32Array over it: [0] = index of the case running. */
  progress: SharedArrayBuffer;
  /** A case slower than this fails the suite, ms. */
  caseLimitMs: number;
  /** Whether to include a 4,096 × 4,096 screen (slow, and 0.5 GB). */
  hugeScreen: boolean;
}

/** What a worker answers. */
export type SuiteResult =
  | {
    done: true;
    cases: Record<string, number>;
    details: Record<string, number>;
    slowest: { ms: number; what: string };
  }
  | { error: string };

const enc = new TextEncoder();
/** mosh keeps at most 256 characters of a title. */
const MAX_TITLE = 256;
/** The longest answer the emulator gives one query (a cursor report at 4096;4096). */
const MAX_REPLY_PER_BYTE = 4;

/** Throws unless `fb` is a well-formed screen of the emulator's size. */
export function checkFrame(fb: Framebuffer, width: number, height: number, what: string): void {
  const fail = (why: string) => {
    throw new Error(`${what}: ${why}`);
  };
  if (fb.width !== width || fb.height !== height) {
    fail(`${fb.width}x${fb.height}, not ${width}x${height}`);
  }
  if (fb.rows.length !== height) fail(`${fb.rows.length} rows`);
  for (const r of fb.rows) if (r.width !== width) fail(`a row of ${r.width} cells`);
  const c = fb.cursor;
  if (!(c.row >= 0 && c.row < height && c.col >= 0 && c.col < width)) {
    fail(`cursor ${c.row},${c.col}`);
  }
  if ([...fb.title].length > MAX_TITLE || [...fb.iconName].length > MAX_TITLE) {
    fail("a title past 256");
  }
  if (!Number.isSafeInteger(fb.bellCount) || fb.bellCount < 0) fail(`bell count ${fb.bellCount}`);
}

/** A size for a resize: mostly ordinary, sometimes one side at an extreme (1 or 4,096). */
function size(rng: Rng, huge: boolean): [number, number] {
  if (huge && rng.chance(0.01)) return [4096, 4096];
  const r = rng.next();
  if (r < 0.7) return [rng.int(1, 200), rng.int(1, 70)];
  if (r < 0.8) return [pick(rng, [1, 2, 4096]), rng.int(1, 30)];
  if (r < 0.9) return [rng.int(1, 30), pick(rng, [1, 2, 4096])];
  return [rng.int(1, 1024), rng.int(1, 256)];
}

/** CSI finals whose count xterm.js repeats an action for, and the rest for good measure. */
const COUNT_FINALS = "@ABCDEFGIJKLMPSTXZ`abdefg";
const HUGE = ["99999", "2147483647", "99999999999999999999"];

function run(
  req: SuiteRequest,
  progress: Int32Array,
  tally: Tally,
  slowest: { ms: number; what: string },
): void {
  const rng = new Rng(req.seed);
  /** Runs one case; `cells`, the screen's size, gives a huge screen proportionally longer. */
  const timed = (i: number, what: () => string, fn: () => void, cells = () => 0) => {
    Atomics.store(progress, 0, i);
    const before = cells();
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    const limit = req.caseLimitMs * Math.max(1, Math.max(before, cells()) / 1_000_000);
    if (ms > slowest.ms) [slowest.ms, slowest.what] = [ms, what()];
    if (ms > limit) throw new Error(`case ${i} took ${Math.round(ms)} ms: ${what()}`);
  };
  const check = (e: Emulator, what: string) => {
    checkFrame(e.snapshot(), e.width, e.height, what);
  };

  if (req.suite === "counts") {
    // Every final with every huge count, at a few sizes, with margins and tab stops set.
    let i = 0;
    for (const [w, h] of [[80, 24], [1, 1], [4096, 2], [2, 500]]) {
      const e = new Emulator(w, h);
      for (const final of COUNT_FINALS) {
        for (const prefix of ["", "?"]) {
          for (const n of HUGE) {
            const seq = `\x1b[3;${Math.max(3, h - 2)}r\x1b[5;5H\x1bH\x1b[${prefix}${n}${final}x`;
            timed(i++, () => `${w}x${h} ${JSON.stringify(seq)}`, () => {
              e.write(enc.encode(seq));
              check(e, seq);
              e.takeReplies();
            });
            tally.add(`csi-${final}`);
          }
        }
      }
    }
    // The counts the emulator caps leave the screen as the same count done one at a time does.
    for (let k = 0; k < 200; k++) {
      const [w, h] = [rng.int(2, 30), rng.int(1, 12)];
      const final = pick(rng, [..."STLMIZ"]);
      const n = (final === "I" || final === "Z" ? w : h) + rng.int(0, 40);
      let setup = "";
      for (let c = 0; c < w * h; c++) setup += String.fromCharCode(rng.int(33, 126));
      const top = rng.int(1, h), bottom = rng.int(top, h);
      setup += `\x1b[${top};${bottom}r\x1b[${rng.int(1, h)};${rng.int(1, w)}H\x1bH\x1b[4${
        rng.int(0, 7)
      }m`;
      const a = new Emulator(w, h), b = new Emulator(w, h);
      a.write(enc.encode(setup));
      b.write(enc.encode(setup));
      timed(i++, () => `${w}x${h} CSI ${n} ${final} after ${JSON.stringify(setup)}`, () => {
        a.write(enc.encode(`\x1b[${n}${final}`));
        b.write(enc.encode(`\x1b[1${final}`.repeat(n)));
        if (!a.snapshot().equals(b.snapshot())) {
          throw new Error(`CSI ${n} ${final} differs from ${n} times CSI 1 ${final} at ${w}x${h}`);
        }
      });
      tally.add("capped-equals-repeated");
    }
    return;
  }

  if (req.suite === "apply") {
    // The client's side: HostMessages applied to the newest state or an older one.
    const context = new TerminalContext();
    const states = [CompleteTerminal.initial(80, 24, context)];
    for (let i = 0; i < req.cases; i++) {
      const base = rng.chance(0.8) ? states[states.length - 1] : pick(rng, states);
      const list: HostInstruction[] = [];
      for (let n = rng.int(1, 4); n > 0; n--) {
        const r = rng.next();
        if (r < 0.15) list.push({ echoAck: base.echoAck + BigInt(rng.int(-1, 3)) });
        else if (r < 0.3) {
          const [w, h] = size(rng, req.hugeScreen);
          list.push({
            resize: { width: rng.chance(0.05) ? pick(rng, [0, -1, 4097]) : w, height: h },
          });
        } else {
          const bytes = rng.chance(0.2)
            ? randomBytes(rng, rng.int(1, 200))
            : soup(rng, rng.int(1, 30));
          list.push({ hostBytes: bytes });
        }
      }
      const area = (fb: { width: number; height: number }) => fb.width * fb.height;
      const cells = () =>
        Math.max(area(base.fb), ...list.map((x) => "resize" in x ? area(x.resize) : 0));
      const diff = encodeHostMessage(list);
      timed(i, () => `apply ${JSON.stringify(list.map((x) => Object.keys(x)[0]))}`, () => {
        const next = base.apply(diff);
        if (next === null) {
          tally.add("refused");
          return;
        }
        checkFrame(next.fb, next.fb.width, next.fb.height, "apply");
        if (next.echoAck < base.echoAck) throw new Error("the echo ack went back");
        states.push(next);
        if (states.length > 20) states.shift();
        tally.add("applied");
      }, cells);
    }
    return;
  }

  let e = new Emulator(80, 24);
  let prev = e.snapshot();
  for (let i = 0; i < req.cases; i++) {
    if (rng.chance(0.02)) {
      const [w, h] = size(rng, req.hugeScreen);
      timed(i, () => `new Emulator(${w}, ${h})`, () => {
        e = new Emulator(w, h);
        prev = e.snapshot();
      }, () => w * h);
      tally.detail("new-emulator");
    }
    if (rng.chance(0.1)) {
      const [w, h] = size(rng, req.hugeScreen);
      timed(i, () => `resize(${w}, ${h})`, () => {
        e.resize(w, h);
        check(e, `resize ${w}x${h}`);
      }, () => e.width * e.height);
      tally.detail("resize");
    }
    const input = req.suite === "bytes"
      ? randomBytes(rng, rng.int(1, 2000))
      : soup(rng, rng.int(1, 60));
    timed(
      i,
      () =>
        `${e.width}x${e.height} ${JSON.stringify(new TextDecoder().decode(input)).slice(0, 2000)}`,
      () => {
        e.write(input);
        const fb = e.snapshot();
        checkFrame(fb, e.width, e.height, "write");
        const replies = e.takeReplies();
        if (replies.length > MAX_REPLY_PER_BYTE * input.length + 64) {
          throw new Error(`${replies.length} bytes of replies to ${input.length} bytes`);
        }
        // The diff a server would send must be computable from any frame to any frame.
        if (rng.chance(0.1)) newFrame(prev, fb);
        prev = fb;
      },
      () => e.width * e.height,
    );
    tally.add(req.suite);
  }
}

self.onmessage = (m: MessageEvent<SuiteRequest>) => {
  const req = m.data;
  const tally = new Tally();
  const slowest = { ms: 0, what: "" };
  try {
    run(req, new Int32Array(req.progress), tally, slowest);
    self.postMessage(
      { done: true, cases: tally.cases, details: tally.details, slowest } satisfies SuiteResult,
    );
  } catch (e) {
    self.postMessage(
      { error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) } satisfies SuiteResult,
    );
  }
};

/**
 * The round trip the whole screen layer exists for: a server emulator reads the output, a
 * client emulator that held the previous frame applies `newFrame(previous, current)`, and must
 * then hold exactly the current frame; so must a fresh emulator given `newFrame(null, current)`.
 */
import assert from "node:assert/strict";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { type DisplayOptions, newFrame } from "../../../core/terminal/display.ts";
import type { Session } from "./_streams.ts";

const encoder = new TextEncoder();
/** Erases that some terminals turn into history: the whole screen, or from the home position. */
const PUSHING_ERASES = ["\x1b[2J", "\x1b[3J", "\x1b[J", "\x1b[0J"];

/** Why a scrollback-safe diff could push lines into a terminal's history, or null. */
export function pushingErase(diff: string): string | null {
  return PUSHING_ERASES.find((e) => diff.includes(e)) ?? null;
}

/**
 * What differs between two frames, as a client would see it (the bell count is compared as
 * "did it change" by the callers, since one BEL carries any number of bells), or null.
 */
export function frameDifference(a: Framebuffer, b: Framebuffer): string | null {
  if (a.with({ bellCount: 0 }).equals(b.with({ bellCount: 0 }))) return null;
  if (a.alternate !== b.alternate) return `alternate screen ${a.alternate} vs ${b.alternate}`;
  if (!a.sameMain(b)) return `hidden main screen: ${frameDifference(a.main!, b.main!)}`;
  if (a.width !== b.width || a.height !== b.height) {
    return `size ${a.width}x${a.height} vs ${b.width}x${b.height}`;
  }
  const out: string[] = [];
  for (let y = 0; y < a.height; y++) {
    const ra = a.rows[y], rb = b.rows[y];
    if (ra.equals(rb)) continue;
    let where = `row ${y}`;
    if (ra.wrap !== rb.wrap) where += ` wrap ${ra.wrap} vs ${rb.wrap}`;
    for (let x = 0; x < a.width; x++) {
      if (!ra.cellEquals(x, rb)) {
        where += ` col ${x}: ${JSON.stringify(ra.cell(x))} vs ${JSON.stringify(rb.cell(x))}`;
        break;
      }
    }
    out.push(`${where}\n  ${JSON.stringify(ra.toText())}\n  ${JSON.stringify(rb.toText())}`);
  }
  const fields = [
    "cursor",
    "pen",
    "reverseVideo",
    "bracketedPaste",
    "mouseReporting",
    "focusEvents",
    "mouseEncoding",
    "title",
    "iconName",
    "titleInitialized",
    "clipboard",
  ] as const;
  for (const f of fields) {
    if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) {
      out.push(`${f}: ${JSON.stringify(a[f])} vs ${JSON.stringify(b[f])}`);
    }
  }
  return out.join("\n") || "frames differ";
}

/** Reusable emulators: building one costs a millisecond, loading a blank frame a tenth of that. */
export class EmulatorPool {
  #free: Emulator[] = [];
  /** An emulator showing a blank screen, with the alternate screen and history as asked. */
  take(width: number, height: number, altScreen = false, historyLimit = 0): Emulator {
    const e = this.#free.pop() ?? new Emulator(width, height);
    e.setAltScreen(altScreen);
    e.setHistoryLimit(0);
    e.load(Framebuffer.blank(width, height));
    e.setHistoryLimit(historyLimit);
    return e;
  }
  give(...e: Emulator[]): void {
    this.#free.push(...e);
  }
}

/** Options of {@link checkRoundTrip}. */
export interface RoundTripOptions {
  /** Also draw frames on a fresh emulator with `newFrame(null, frame)`: every one, or the last. */
  fresh?: "every" | "last";
  /** Called with every diff and the frame it leads to, to check its contents. */
  onDiff?: (diff: string, frame: Framebuffer) => void;
  /** The server and clients honour the alternate screen. */
  altScreen?: boolean;
  /** How diffs are drawn. With `scrollbackSafe`, the clients must gain no history. */
  display?: DisplayOptions;
}

/**
 * Runs a session through server emulator → newFrame → client emulator and asserts, after each
 * step, that the client holds exactly the server's frame.
 */
export function checkRoundTrip(s: Session, pool: EmulatorPool, opts: RoundTripOptions = {}): void {
  const alt = opts.altScreen ?? false, display = opts.display ?? {};
  const safe = display.scrollbackSafe ?? false;
  const server = pool.take(s.width, s.height, alt);
  const client = pool.take(s.width, s.height, alt, safe ? 1 : 0);
  let fresh: Emulator | undefined;
  try {
    let prev = server.snapshot();
    let shown = client.snapshot();
    for (const [i, step] of s.steps.entries()) {
      if ("write" in step) server.write(step.write);
      else server.resize(step.resize.width, step.resize.height);
      server.takeReplies();
      const cur = server.snapshot();
      const diff = newFrame(prev, cur, display);
      opts.onDiff?.(diff, cur);
      if (safe) assert.equal(pushingErase(diff), null, `after step ${i}: ${JSON.stringify(diff)}`);
      if (cur.width !== prev.width || cur.height !== prev.height) {
        client.resize(cur.width, cur.height);
      }
      client.write(encoder.encode(diff));
      assert.equal(client.takeReplies().length, 0, "the diff made the client answer");
      const got = client.snapshot();
      const problem = frameDifference(got, cur);
      assert.equal(
        problem,
        null,
        `after step ${i}, the client differs:\n${problem}\ndiff: ${JSON.stringify(diff)}`,
      );
      assert.equal(got.bellCount !== shown.bellCount, cur.bellCount !== prev.bellCount, "bell");
      if (safe) {
        assert.equal(client.historyEnd, 0, `after step ${i}, the diff pushed lines into history`);
      }
      if (opts.fresh === "every" || (opts.fresh === "last" && i === s.steps.length - 1)) {
        fresh ??= pool.take(cur.width, cur.height, alt);
        fresh.setHistoryLimit(0);
        fresh.load(Framebuffer.blank(cur.width, cur.height));
        fresh.setHistoryLimit(safe ? 1 : 0);
        const repaint = newFrame(null, cur, display);
        if (safe) assert.equal(pushingErase(repaint), null, JSON.stringify(repaint));
        fresh.write(encoder.encode(repaint));
        const again = frameDifference(fresh.snapshot(), cur);
        assert.equal(again, null, `after step ${i}, a fresh client differs:\n${again}`);
        if (safe) assert.equal(fresh.historyEnd, 0, `after step ${i}, a repaint pushed lines`);
      }
      prev = cur;
      shown = got;
    }
  } finally {
    pool.give(server, client, ...(fresh ? [fresh] : []));
  }
}

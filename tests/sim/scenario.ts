/**
 * fast-check generators of simulated sessions, and the bounds the properties hold them to.
 */
import fc from "fast-check";
import type { Link, Scenario } from "./session.ts";
import type { WholeScenario } from "./whole_session.ts";
import { ACK_INTERVAL } from "../../core/transport/sender.ts";
import { MAX_RTO } from "../../core/network/rtt.ts";

/** The worst one-way delay a generated link can have, ms (delay + jitter). */
export const MAX_ONE_WAY = 450;

/**
 * How long after the network heals both sides must hold each other's newest state: the next
 * heartbeat (sent at most ACK_INTERVAL after the last send, and it carries any pending data),
 * then a few exchanges, each at most a worst round trip plus a worst retransmission timeout
 * (reordered copies can arrive up to 3× the delay late, which only shortens the wait).
 */
export const CONVERGENCE_BOUND = ACK_INTERVAL + 6 * (2 * MAX_ONE_WAY + MAX_RTO);

export const link: fc.Arbitrary<Link> = fc.record({
  delay: fc.integer({ min: 0, max: 350 }),
  jitter: fc.integer({ min: 0, max: 100 }),
  loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

const keys = fc.string({ minLength: 1, maxLength: 4, unit: "grapheme-ascii" });

/** A session with an impaired network, blackouts and NAT rebinding, then a healed network. */
export function scenario(
  opts: { maxBlackout?: number; events?: number; span?: number } = {},
): fc.Arbitrary<Scenario> {
  const span = opts.span ?? 20_000;
  const maxBlackout = opts.maxBlackout ?? 60_000;
  const events = opts.events ?? 15;
  return fc.record({
    seed: fc.integer(),
    c2s: link,
    s2c: link,
    blackouts: fc.array(
      fc.record({
        start: fc.integer({ min: 0, max: span }),
        length: fc.integer({ min: 500, max: maxBlackout }),
      }).map(({ start, length }) => ({ start, end: start + length })),
      { maxLength: 2 },
    ),
    rebinds: fc.array(fc.integer({ min: 0, max: span }), { maxLength: 3 }),
    typing: fc.array(fc.record({ at: fc.integer({ min: 0, max: span }), keys }), {
      maxLength: events,
    }),
    output: fc.array(
      fc.record({ at: fc.integer({ min: 0, max: span }), text: fc.string({ maxLength: 30 }) }),
      { maxLength: Math.ceil(events / 2) },
    ),
  }).map((s) => {
    const healAt = Math.max(span, ...s.blackouts.map((b) => b.end));
    return { ...s, healAt, end: healAt + CONVERGENCE_BOUND + 1000 };
  });
}

/** The most datagrams sent in any window of `width` ms. */
export function peakRate(times: number[], width: number): number {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= width) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

/**
 * The network is perfect for this long at the start, so the session is connected before
 * trouble begins (a client that hears nothing for 15 s gives up, as mosh's does), ms.
 */
export const CONNECTED_BY = 1000;

/** Printable keys and Enter; never the escape key. */
const typedKeys = fc.stringMatching(/^[ -~\r]{1,4}$/);

/** A session that connects, then has trouble, then heals. */
export function wholeScenario(
  opts: { span?: number; maxBlackout?: number; events?: number; lossy?: boolean } = {},
): fc.Arbitrary<WholeScenario> {
  const span = opts.span ?? 15_000;
  const events = opts.events ?? 12;
  const perfect = { delay: 20, jitter: 0, loss: 0, duplicate: 0, reorder: 0 };
  return fc.record({
    seed: fc.integer(),
    c2s: opts.lossy === false ? fc.constant(perfect) : link,
    s2c: opts.lossy === false ? fc.constant(perfect) : link,
    width: fc.integer({ min: 20, max: 100 }),
    height: fc.integer({ min: 5, max: 30 }),
    blackouts: fc.array(
      fc.record({
        start: fc.integer({ min: CONNECTED_BY, max: span }),
        length: fc.integer({ min: 500, max: opts.maxBlackout ?? 30_000 }),
      }).map(({ start, length }) => ({ start, end: start + length })),
      { maxLength: 2 },
    ),
    rebinds: fc.array(fc.integer({ min: CONNECTED_BY, max: span }), { maxLength: 2 }),
    typing: fc.array(fc.record({ at: fc.integer({ min: 0, max: span }), keys: typedKeys }), {
      maxLength: events,
    }),
    resizes: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: span }),
        width: fc.integer({ min: 20, max: 100 }),
        height: fc.integer({ min: 5, max: 30 }),
      }),
      { maxLength: 2 },
    ),
    output: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: span }),
        text: fc.stringMatching(/^[ -~]{0,30}(\r\n)?$/),
      }),
      { maxLength: Math.ceil(events / 2) },
    ),
    predict: fc.constantFrom("adaptive", "always", "never") as fc.Arbitrary<
      "adaptive" | "always" | "never"
    >,
  }).map((s) => {
    const healAt = Math.max(span, ...s.blackouts.map((b) => b.end));
    return { ...s, cleanUntil: CONNECTED_BY, healAt, end: healAt + CONVERGENCE_BOUND + 1000 };
  });
}

/**
 * A whole session whose application prints bursts of numbered lines (some longer than a frame
 * carries), and sometimes works on the alternate screen, which must leave no history.
 */
export function historyScenario(
  opts: { lossy?: boolean; maxLines?: number; historyLimit?: fc.Arbitrary<number> } = {},
): fc.Arbitrary<WholeScenario> {
  const burst = fc.record({
    at: fc.integer({ min: CONNECTED_BY, max: 14_000 }),
    lines: fc.integer({ min: 1, max: opts.maxLines ?? 150 }),
    width: fc.integer({ min: 1, max: 100 }),
    alternate: fc.boolean(),
    // Written in one go, or as a flood of pieces over a while (several frames).
    pieces: fc.integer({ min: 1, max: 12 }),
    gap: fc.integer({ min: 1, max: 60 }),
  });
  return fc.tuple(
    wholeScenario({ lossy: opts.lossy }),
    fc.array(burst, { maxLength: 3 }),
    // A frame's bound, small here so that bursts overflow it often (1,000 in the programs).
    fc.integer({ min: 10, max: 300 }),
    opts.historyLimit ?? fc.constant(1_000_000),
  ).map(
    ([s, bursts, perFrame, historyLimit]) => ({
      ...s,
      historyLimit,
      historyRowsPerFrame: perFrame,
      output: [
        ...s.output,
        ...bursts.flatMap((b, k) => {
          const lines = Array.from(
            { length: b.lines },
            (_, i) => `${k}:${i}:` + "x".repeat((i * 7) % b.width) + "\r\n",
          );
          const per = Math.ceil(lines.length / b.pieces);
          const pieces = Array.from(
            { length: Math.ceil(lines.length / per) },
            (_, p) => ({
              at: b.at + p * b.gap,
              text: lines.slice(p * per, (p + 1) * per).join(""),
            }),
          );
          // On the alternate screen (vi, less), then back: nothing of it is history.
          if (b.alternate) {
            pieces[0].text = "\x1b[?1049h" + pieces[0].text;
            pieces[pieces.length - 1].text += "\x1b[?1049l";
          }
          return pieces;
        }),
      ],
    }),
  );
}

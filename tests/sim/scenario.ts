/**
 * fast-check generators of simulated sessions, and the bounds the properties hold them to.
 */
import fc from "fast-check";
import type { Link, Scenario } from "./session.ts";
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

/**
 * SSP on a simulated network: thousands of seeded sessions with delay, jitter, loss,
 * duplication, reordering, blackouts of up to a minute, NAT rebinding and the client's port
 * hops. A failing case prints its seed and scenario; set DENOMOSH_SIM_SEED to replay a run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { runs } from "./_runs.ts";
import { assertEquals } from "../_assert.ts";
import { runSession, type Scenario } from "./session.ts";
import { CONVERGENCE_BOUND, peakRate, scenario } from "./scenario.ts";
import { ACK_INTERVAL } from "../../core/transport/sender.ts";
import { SEND_INTERVAL_MIN } from "../../core/network/rtt.ts";

/** At most one frame per SEND_INTERVAL_MIN, plus acks and heartbeats, in any second. */
const MAX_PER_SECOND = 1000 / SEND_INTERVAL_MIN + 10;

Deno.test("after the network heals, both sides converge and every keystroke arrives once, in order (6,000 sessions)", () => {
  fc.assert(
    fc.property(scenario(), (s) => {
      const r = runSession(s);
      assert.equal(r.orderViolation, false, "server saw keys out of order or twice");
      assert.equal(r.received, r.typed, "keystrokes lost or duplicated");
      assert.equal(r.clientText, r.serverText, "client screen differs from server's");
      assert.ok(r.convergedAt !== undefined, "never converged");
      assert.ok(
        r.convergedAt - s.healAt <= CONVERGENCE_BOUND,
        `converged ${r.convergedAt - s.healAt} ms after healing (bound ${CONVERGENCE_BOUND})`,
      );
    }),
    runs(6000),
  );
});

Deno.test("loss does not cause a datagram storm: each side stays within the frame pacing (2,000 sessions)", () => {
  fc.assert(
    fc.property(scenario({ events: 40, span: 10_000 }), (s) => {
      const r = runSession(s);
      for (const dir of ["c2s", "s2c"] as const) {
        const peak = peakRate(r.sends[dir], 1000);
        assert.ok(peak <= MAX_PER_SECOND, `${dir}: ${peak} datagrams in one second`);
      }
    }),
    runs(2000),
  );
});

Deno.test("an idle session sends one heartbeat every 3 s each way (1,000 sessions)", () => {
  fc.assert(
    fc.property(scenario({ maxBlackout: 20_000, events: 5 }), (s) => {
      const idle = 60_000;
      const r = runSession({ ...s, end: s.end + idle });
      const from = s.end; // all work is done (the previous property) and acked by now
      for (const dir of ["c2s", "s2c"] as const) {
        const times = r.sends[dir].filter((t) => t >= from);
        assert.ok(
          times.length >= idle / ACK_INTERVAL - 1 && times.length <= idle / ACK_INTERVAL + 1,
          `${dir}: ${times.length} datagrams in ${idle / 1000} idle seconds`,
        );
        for (let i = 1; i < times.length; i++) {
          assertEquals(times[i] - times[i - 1], ACK_INTERVAL, `${dir} heartbeat gap`);
        }
      }
    }),
    runs(1000),
  );
});

Deno.test("roaming: the server follows NAT rebinding and the client's port hops (1,000 sessions)", () => {
  fc.assert(
    fc.property(
      scenario({ maxBlackout: 40_000 }),
      fc.integer({ min: 11_000, max: 45_000 }),
      (s, outage) => {
        // A long outage with a rebinding in the middle: the client must hop ports, and the
        // server must still reach it afterwards.
        const start = s.healAt;
        const roaming: Scenario = {
          ...s,
          blackouts: [...s.blackouts, { start, end: start + outage }],
          rebinds: [...s.rebinds, start + outage / 2],
          typing: [...s.typing, { at: start + 100, keys: "typed during the outage" }],
          output: [...s.output, { at: start + 200, text: "drawn during the outage" }],
          healAt: start + outage,
          end: start + outage + CONVERGENCE_BOUND + 1000,
        };
        const r = runSession(roaming);
        assert.ok(r.clientPorts >= 2, `client used ${r.clientPorts} port(s) through ${outage} ms`);
        assert.equal(r.received, r.typed);
        assert.equal(r.clientText, "drawn during the outage");
        assert.ok(
          r.convergedAt !== undefined && r.convergedAt - roaming.healAt <= CONVERGENCE_BOUND,
        );
      },
    ),
    runs(1000),
  );
});

Deno.test("a fixed seed replays the same session exactly", () => {
  const s: Scenario = {
    seed: 20261124,
    c2s: { delay: 120, jitter: 40, loss: 0.3, duplicate: 0.1, reorder: 0.2 },
    s2c: { delay: 80, jitter: 60, loss: 0.2, duplicate: 0.05, reorder: 0.2 },
    blackouts: [{ start: 3000, end: 33_000 }],
    rebinds: [10_000],
    typing: Array.from({ length: 30 }, (_, i) => ({ at: 200 * i, keys: `k${i};` })),
    output: [{ at: 500, text: "one" }, { at: 20_000, text: "two" }],
    healAt: 33_000,
    end: 33_000 + CONVERGENCE_BOUND,
  };
  const a = runSession(s), b = runSession(s);
  assertEquals(a, b);
  assertEquals(a.received, a.typed);
  assertEquals(a.clientText, "two");
  assert.ok(a.convergedAt !== undefined);
});

/**
 * The shutdown handshake on simulated networks: the initiator sends state 2^64-1 until it is
 * acknowledged (or gives up after 16 tries or 10 s); the peer leaves once it has sent that ack.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { runs } from "./_runs.ts";
import { runSession } from "./session.ts";
import { CONVERGENCE_BOUND, scenario } from "./scenario.ts";
import { ACTIVE_RETRY_TIMEOUT } from "../../core/transport/sender.ts";

Deno.test("on a healed network either side's shutdown ends both sides cleanly (500 sessions)", () => {
  fc.assert(
    fc.property(scenario({ maxBlackout: 20_000 }), fc.constantFrom("client", "server"), (s, by) => {
      const at = s.end;
      const r = runSession({ ...s, shutdown: { at, by }, end: at + 2 * ACTIVE_RETRY_TIMEOUT });
      const peer = by === "client" ? "server" : "client";
      assert.equal(r.exits[by]?.how, "clean", `${by} exit: ${JSON.stringify(r.exits)}`);
      assert.equal(r.exits[peer]?.how, "acked", `${peer} exit: ${JSON.stringify(r.exits)}`);
      assert.ok(r.exits[by]!.at - at < 2000, "the handshake takes a few round trips");
    }),
    runs(500),
  );
});

Deno.test("under loss or silence the initiator still leaves within 10 s (500 sessions)", () => {
  fc.assert(
    fc.property(scenario(), fc.constantFrom("client", "server"), (s, by) => {
      // Shut down in the middle of the impaired period, before the network heals.
      const at = Math.floor(s.healAt / 2);
      const r = runSession({ ...s, shutdown: { at, by }, end: s.healAt + CONVERGENCE_BOUND });
      const exit = r.exits[by];
      assert.ok(exit, `${by} never left`);
      assert.ok(exit.how !== "acked", exit.how);
      assert.ok(exit.at - at <= ACTIVE_RETRY_TIMEOUT, `${by} left ${exit.at - at} ms later`);
    }),
    runs(500),
  );
});

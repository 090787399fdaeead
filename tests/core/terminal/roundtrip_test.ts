/**
 * The screen round trip as a property (docs/protocol.md §7): after the server emulator reads
 * random output, a client that held the previous frame and applies `newFrame(previous,
 * current)` holds exactly the current frame, and so does a fresh client given
 * `newFrame(null, current)`. A failing case prints its seed; set DENOMOSH_TERM_SEED to replay,
 * DENOMOSH_TERM_RUNS to run more cases (2,000 by default; 20,000 pass). The same holds with the
 * alternate screen on (the hidden main screen included, and after leaving it the main screen
 * is exactly what it was), and when drawn scrollback-safe, which must never give the client's
 * emulator a line of history.
 */
import fc from "fast-check";
import { session } from "./_streams.ts";
import { checkRoundTrip, EmulatorPool } from "./_roundtrip.ts";

const seedEnv = Deno.env.get("DENOMOSH_TERM_SEED");
const params = (numRuns: number) => ({ numRuns, ...(seedEnv ? { seed: Number(seedEnv) } : {}) });
const pool = new EmulatorPool();

Deno.test("a client that held the previous frame reaches the current one exactly (property)", () => {
  fc.assert(
    fc.property(session(), (s) => checkRoundTrip(s, pool, { fresh: "last" })),
    params(Number(Deno.env.get("DENOMOSH_TERM_RUNS") ?? 2000)),
  );
});

Deno.test("the same with the alternate screen, and drawn scrollback-safe (property)", () => {
  const runs = Number(Deno.env.get("DENOMOSH_TERM_RUNS") ?? 2000);
  fc.assert(
    fc.property(
      session(40, true),
      fc.boolean(),
      (s, safe) =>
        checkRoundTrip(s, pool, {
          fresh: "last",
          altScreen: true,
          display: { scrollbackSafe: safe },
        }),
    ),
    params(runs),
  );
});

Deno.test("scrollback-safe drawing of mosh's screens pushes nothing (property)", () => {
  fc.assert(
    fc.property(
      session(40, true),
      (s) => checkRoundTrip(s, pool, { fresh: "every", display: { scrollbackSafe: true } }),
    ),
    params(500),
  );
});

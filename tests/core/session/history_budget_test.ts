/**
 * The history's pacing during floods (core/session/history_budget.ts), driven as the server
 * session drives it: `publish` at each frame, a wake-up when it says, over random output.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { HistoryBudget, QUIET_MS } from "../../../core/session/history_budget.ts";

/** Output as (ms since the last, new lines) steps; the session's frames follow each. */
const outputs = fc.array(
  fc.record({ after: fc.integer({ min: 0, max: 120 }), lines: fc.integer({ min: 0, max: 3000 }) }),
  { minLength: 1, maxLength: 200 },
);
const budgets = fc.record({
  capacity: fc.integer({ min: 1, max: 5000 }),
  rate: fc.integer({ min: 1, max: 20_000 }),
});

/** Runs the steps; returns what was published when, and the end. */
function drive(
  capacity: number,
  rate: number,
  steps: { after: number; lines: number }[],
  settle = true,
) {
  const start = 1_000_000;
  const b = new HistoryBudget(capacity, rate, start);
  let now = start, published = 0, end = 0, moves = 0, carried = 0;
  const step = () => {
    const next = b.publish(now, published, end);
    assert.ok(next === published || next === end, "the end moves to the emulator's or stays");
    if (next !== published) {
      moves++;
      carried += Math.min(next - published, capacity);
    }
    published = next;
  };
  for (const s of steps) {
    // Wake-ups the budget asked for before this output.
    for (let w = b.wakeAt(published, end); w <= now + s.after; w = b.wakeAt(published, end)) {
      now = Math.max(now, w);
      const before = published;
      step();
      assert.notEqual(published, before, `a wake-up at ${now} that moved nothing (a busy loop)`);
    }
    now += s.after;
    end += s.lines;
    step();
  }
  const lastOutput = now;
  if (settle) {
    for (let i = 0, w = b.wakeAt(published, end); w < Infinity; w = b.wakeAt(published, end)) {
      assert.ok(++i < 10, "settles in a few wake-ups");
      now = Math.max(now, w);
      step();
    }
  }
  return { published, end, moves, carried, span: lastOutput - start, settled: now - lastOutput };
}

Deno.test("history budget: once the output stops, all of it is published, soon (2,000 runs)", () => {
  fc.assert(
    fc.property(budgets, outputs, ({ capacity, rate }, steps) => {
      const r = drive(capacity, rate, steps);
      assert.equal(r.published, r.end);
      // At the latest when the bucket is full again; after a pause, when it is out of debt.
      assert.ok(
        r.settled <= QUIET_MS + Math.ceil((2 * capacity * 1000) / rate) + 1,
        `${r.settled}`,
      );
    }),
    { numRuns: 2000 },
  );
});

Deno.test("history budget: a flood sends at most a frame's worth per capacity/rate seconds, plus two (2,000 runs)", () => {
  fc.assert(
    fc.property(budgets, outputs, ({ capacity, rate }, steps) => {
      const r = drive(capacity, rate, steps, false);
      const bound = 2 * capacity + (r.span * rate) / 1000;
      assert.ok(r.carried <= bound + 1e-6, `${r.carried} rows in ${r.span} ms > ${bound}`);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("history budget: output that fits the bucket goes at once, whole", () => {
  const b = new HistoryBudget(5000, 5000, 0);
  assert.equal(b.publish(10, 0, 3000), 3000, "seq 1 3000 after a pause");
  assert.equal(b.publish(30, 3000, 4000), 4000, "a thousand more while there is room");
  assert.equal(b.publish(40, 4000, 9000), 4000, "a flood beyond the bucket waits");
  assert.equal(b.wakeAt(4000, 9000), 40 + QUIET_MS, "until the output pauses");
  assert.equal(b.publish(60, 4000, 12000), 4000, "it did not: more came");
  assert.equal(b.publish(60 + QUIET_MS, 4000, 12000), 12000, "a pause: the newest go");
  assert.equal(b.publish(200, 12000, 20000), 12000, "in debt, a new flood waits");
});

Deno.test("history budget: a flood that never pauses gets a frame's worth whenever the bucket is full", () => {
  const b = new HistoryBudget(1000, 1000, 0);
  let published = 0, moves = 0;
  for (let t = 0; t <= 10_000; t += 20) {
    const next = b.publish(t, published, (t + 20) * 100);
    if (next !== published) moves++;
    published = next;
  }
  // At 0 (full), then once a second as it fills again: 11 in 10 s.
  assert.equal(moves, 11);
});

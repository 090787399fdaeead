/**
 * The copy's progress bar: never wider than the terminal, filled in proportion, with the rate
 * and the time left once there is a rate; redrawn in place, at most every interval.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { clock, ProgressBar, progressLine } from "../../cli/progress_bar.ts";

const progress = fc.record({
  total: fc.integer({ min: 1, max: 2e9 }),
  fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  elapsedMs: fc.integer({ min: 0, max: 36e5 }),
}).map((p) => ({ total: p.total, done: Math.floor(p.total * p.fraction), elapsedMs: p.elapsedMs }));

Deno.test("the line never reaches the terminal's last column", () => {
  fc.assert(
    fc.property(progress, fc.integer({ min: 0, max: 300 }), fc.string(), (p, columns, label) => {
      const line = progressLine(label, p, columns);
      assert.ok(line.length <= Math.max(0, columns - 1), `${columns}: ${line}`);
      assert.ok(!line.includes("\n"));
    }),
  );
});

Deno.test("the bar fills in proportion, and more done never shows less", () => {
  fc.assert(
    fc.property(progress, fc.double({ min: 0, max: 1, noNaN: true }), (p, more) => {
      const later = { ...p, done: p.done + Math.floor((p.total - p.done) * more) };
      const fill = (line: string) => (/\[(#*)-*\]/.exec(line)?.[1] ?? "").length;
      const [a, b] = [progressLine("x", p, 100), progressLine("x", later, 100)];
      assert.ok(fill(a) <= fill(b), `${a}\n${b}`);
      const inner = /\[([#-]*)\]/.exec(a)![1].length;
      assert.equal(fill(a), Math.floor((inner * p.done) / p.total));
    }),
  );
});

Deno.test("bytes, rate and time left, as a person reads them", () => {
  const line = progressLine(
    "mosh-server to host",
    { done: 30e6, total: 90e6, elapsedMs: 10_000 },
    80,
  );
  assert.equal(line.length, 79);
  assert.match(line, /^mosh-server to host \[#+-+\] 30 MB\/90 MB 3\.0 MB\/s 0:20 left$/);
  const start = progressLine("x", { done: 1000, total: 90e6, elapsedMs: 100 }, 80);
  assert.match(start, /0\.0 MB\/90 MB -- MB\/s --:-- left$/, "no rate in the first instant");
  const end = progressLine("x", { done: 90e6, total: 90e6, elapsedMs: 61_000 }, 80);
  assert.match(end, /\[#+\] 90 MB\/90 MB 1\.5 MB\/s in 1:01$/);
  assert.match(
    progressLine("long label", { done: 1, total: 2, elapsedMs: 0 }, 45),
    /^\[####-----\] 0\.0 MB\/0\.0 MB/,
  );
  assert.equal(
    progressLine("long label", { done: 1, total: 2, elapsedMs: 0 }, 30),
    "0.0 MB/0.0 MB",
  );
  assert.equal(clock(0), "0:00");
  assert.equal(clock(59.2), "1:00");
  assert.equal(clock(3600 + 61), "1:01:01");
});

Deno.test("the bar redraws in place at most every interval, and ends its line", () => {
  const written: string[] = [];
  const bar = new ProgressBar({
    label: "copy",
    total: 1000,
    columns: () => 60,
    write: (t) => written.push(t),
    startMs: 0,
    intervalMs: 100,
  });
  for (let t = 0; t <= 1000; t += 10) bar.update(t, t);
  assert.equal(written.length, 11, "every 100 ms of 1000, and the first");
  assert.ok(written.every((w) => w.startsWith("\r") && w.endsWith("\x1b[K")));
  bar.finish(1000);
  assert.equal(written.at(-1), "\n");
  assert.match(written.at(-2)!, /\[#+\] 0\.0 MB\/0\.0 MB .* in 0:01/);
});

import assert from "node:assert/strict";
import { IdleCollector, mallocTrim, QUIET_MS } from "../../io/idle_gc.ts";
import { V8_FLAGS } from "../../cli/self.ts";

Deno.test("one collection after a burst, once it has been quiet; none for trickles or while busy", () => {
  let collections = 0;
  const c = new IdleCollector(1000, () => collections++);
  c.activity(0, 600);
  assert.equal(c.maybeCollect(QUIET_MS * 3), false, "600 of 1000 is no burst");
  c.activity(100, 600);
  assert.equal(c.maybeCollect(100 + QUIET_MS - 1), false, "not quiet yet");
  c.activity(200, 10);
  assert.equal(c.maybeCollect(100 + QUIET_MS), false, "the last work was at 200");
  assert.equal(c.maybeCollect(200 + QUIET_MS), true);
  assert.equal(c.maybeCollect(200 + QUIET_MS * 2), false, "once per burst");
  assert.equal(collections, 1);
  c.activity(50_000, 999);
  assert.equal(c.maybeCollect(60_000), false);
  c.activity(60_000, 1);
  assert.equal(c.maybeCollect(60_000 + QUIET_MS), true, "the next burst, counted afresh");
  assert.equal(collections, 2);
});

Deno.test("without an exposed gc() it does nothing", () => {
  const c = new IdleCollector(1, undefined);
  c.activity(0, 10);
  assert.equal(c.maybeCollect(QUIET_MS), false);
});

Deno.test("our programs run with gc() exposed", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", V8_FLAGS, "console.log(typeof globalThis.gc)"],
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "function");
});

Deno.test("the collection also trims glibc's heap: malloc_trim is found and runs", () => {
  const trim = mallocTrim();
  assert.ok(trim, "malloc_trim from libc.so.6");
  trim();
});

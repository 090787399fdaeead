/**
 * io/signal_thread.ts: finding Deno's signal thread and seeing it run, in a program of its own
 * (tests/io/_signal_thread.ts), as the programs that use it run.
 */

import assert from "node:assert/strict";

Deno.test("the runtime's signal thread is found once a listener exists, and runs on a signal", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL("./_signal_thread.ts", import.meta.url).pathname],
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const seen = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(seen, {
    before: false, // no listener, no thread
    found: true,
    quiet: false, // nothing happened since it was found
    signalled: true, // the signal woke it
    again: false, // and it has not run since
  });
});

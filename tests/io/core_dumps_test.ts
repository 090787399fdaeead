/**
 * io/core_dumps.ts, in child processes started with a known RLIMIT_CORE (it changes the limit
 * of the process it runs in).
 */
import assert from "node:assert/strict";

const MODULE = new URL("../../io/core_dumps.ts", import.meta.url).href;
const PTY = new URL("../../io/pty.ts", import.meta.url).href;

/** Runs `script` in a Deno child whose RLIMIT_CORE soft limit starts at `soft` bytes. */
async function runWithCoreLimit(soft: number, script: string): Promise<string> {
  const out = await new Deno.Command("prlimit", {
    args: [`--core=${soft}:`, "--", Deno.execPath(), "eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `child failed: ${new TextDecoder().decode(out.stderr)}`);
  return text.trim();
}

const READ_LIMIT = `
  const soft = (pid = "self") => Deno.readTextFileSync("/proc/" + pid + "/limits").split("\\n")
    .find((l) => l.startsWith("Max core file size")).split(/\\s+/)[4];`;

Deno.test("disableCoreDumps sets the soft limit to 0 and returns the previous one", async () => {
  const out = await runWithCoreLimit(
    8192,
    `import { disableCoreDumps } from ${JSON.stringify(MODULE)};${READ_LIMIT}
     const before = soft();
     const was = disableCoreDumps();
     console.log(before, String(was), soft(), String(disableCoreDumps()));`,
  );
  assert.equal(out, "8192 8192 0 0");
});

Deno.test("a spawned child gets the user's limit back, and ours returns to 0", async () => {
  const out = await runWithCoreLimit(
    8192,
    `import { disableCoreDumps, withChildCoreLimit } from ${JSON.stringify(MODULE)};
     import { Pty } from ${JSON.stringify(PTY)};${READ_LIMIT}
     disableCoreDumps();
     const pty = withChildCoreLimit(() => Pty.spawn({
       argv: ["/bin/sh", "-c", "ulimit -c; sleep 5"], env: {}, cols: 80, rows: 24 }));
     const child = soft(pty.pid);
     let text = "";
     while (!text.includes("\\n")) text += new TextDecoder().decode(await pty.read());
     const own = soft();
     // A failing spawn still puts ours back to 0.
     try { withChildCoreLimit(() => { throw new Error("no"); }); } catch { /* expected */ }
     console.log(child, text.trim(), own, soft());
     pty.kill("SIGKILL"); pty.close(); await pty.wait();`,
  );
  // dash (sh) counts ulimit -c in 512-byte blocks: 8192 bytes is 16.
  assert.equal(out, "8192 16 0 0");
});

Deno.test("the daemon's declared user limit is what its children get", async () => {
  const out = await runWithCoreLimit(
    0,
    `import { disableCoreDumps, setChildCoreLimit, withChildCoreLimit } from ${
      JSON.stringify(MODULE)
    };
     import { Pty } from ${JSON.stringify(PTY)};${READ_LIMIT}
     disableCoreDumps(); // inherited 0 from the first process
     setChildCoreLimit(4096n);
     const pty = withChildCoreLimit(() => Pty.spawn({
       argv: ["sleep", "5"], env: {}, cols: 80, rows: 24 }));
     console.log(soft(pty.pid), soft());
     pty.kill("SIGKILL"); pty.close(); await pty.wait();`,
  );
  assert.equal(out, "4096 0");
});

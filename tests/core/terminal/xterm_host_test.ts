/**
 * core/terminal/xterm_host.ts: loading and running the emulator never builds Deno's Node
 * `process` (about 3.5 MB of each program's memory), and Deno's own lazy `process` is back in
 * place afterwards, still working. Each case runs in a fresh Deno, since a process can load
 * xterm.js only once.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../../", import.meta.url);

/** Whether the child touched `process` before the end, and whether it got Deno's back. */
interface Seen {
  built: boolean;
  restored: boolean;
  screen: string;
  pid: boolean;
}

/** Runs `body` after a trap on `globalThis.process` that records any touch of it. */
async function inFreshDeno(body: string): Promise<Seen> {
  const dir = await Deno.makeTempDir({ prefix: "xterm-host-" });
  try {
    const script = `${dir}/child.ts`;
    await Deno.writeTextFile(
      script,
      `const original = Object.getOwnPropertyDescriptor(globalThis, "process")!;
let built = false;
function get(this: unknown) {
  built = true;
  return original.get!.call(this);
}
Object.defineProperty(globalThis, "process", {
  get,
  set: original.set,
  configurable: true,
  enumerable: true,
});
const ROOT = ${JSON.stringify(ROOT.href)};
${body}
const seen = { built, restored: Object.getOwnPropertyDescriptor(globalThis, "process")?.get === get };
// deno-lint-ignore no-explicit-any
const pid = (globalThis as any).process.pid === Deno.pid;
console.log(JSON.stringify({ ...seen, screen, pid }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", "--config", new URL("deno.json", ROOT).pathname, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, stderr);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the emulator loads and runs without building Deno's Node process", async () => {
  const seen = await inFreshDeno(`
const { Emulator } = await import(new URL("core/terminal/emulator.ts", ROOT).href);
const e = new Emulator(12, 3, { historyLimit: 5, altScreen: true });
e.write(new TextEncoder().encode("one\\r\\ntwo\\r\\nthree\\r\\nfour\\x1b[?1049hALT"));
const screen = e.snapshot().toText();
`);
  assert.equal(seen.built, false, "something touched globalThis.process");
  assert.equal(seen.restored, true, "Deno's own process getter is back");
  assert.equal(seen.pid, true, "process still works when asked for");
  assert.match(seen.screen, /ALT/);
});

Deno.test("the trap sees a touch of process (the check above can fail)", async () => {
  const seen = await inFreshDeno(`
const screen = String(typeof (globalThis as { process?: unknown }).process);
`);
  assert.equal(seen.built, true);
  assert.equal(seen.restored, true);
});

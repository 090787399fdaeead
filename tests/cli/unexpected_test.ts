/**
 * The entry points' handlers for errors that escape everything (cli/unexpected.ts), in tiny
 * child scripts that install them as the programs do and then throw: the log gets the error,
 * and the process lives on or exits as its program's policy says.
 */
import assert from "node:assert/strict";

const MODULE = new URL("../../cli/unexpected.ts", import.meta.url).href;

/** Runs `body` after importing the installer, with the log under a fresh state directory. */
async function runScript(body: string) {
  const state = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", `import * as u from ${JSON.stringify(MODULE)};\n${body}`],
      env: { XDG_STATE_HOME: state, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    let log = "";
    try {
      log = await Deno.readTextFile(`${state}/denomosh/denomosh.log`);
    } catch {
      // no log
    }
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
      log,
      logPath: `${state}/denomosh/denomosh.log`,
    };
  } finally {
    await Deno.remove(state, { recursive: true });
  }
}

/** Throws from a timer callback and rejects a promise nobody awaits, then reports. */
const THROW_TWICE = `
  setTimeout(() => { throw new RangeError("from a callback"); }, 1);
  setTimeout(() => { Promise.reject(new Error("a rejection nobody awaited")); }, 5);
  setTimeout(() => console.log("still running", JSON.stringify(calls)), 50);`;

Deno.test("the daemon keeps its session running and hands each error to the server's fault", async () => {
  const r = await runScript(`
    const calls = [];
    const server = { fault: (e) => calls.push(e.message) };
    u.installUnexpectedErrorHandlers("mosh-server", u.daemonPolicy(() => server));
    ${THROW_TWICE}`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.trim(),
    'still running ["from a callback","a rejection nobody awaited"]',
  );
  assert.match(r.log, /mosh-server\[\d+\]: RangeError: from a callback\n {8}at /);
  assert.match(r.log, /mosh-server\[\d+\]: Error: a rejection nobody awaited\n/);
});

Deno.test("a daemon whose server cannot take the fault logs both and exits", async () => {
  const r = await runScript(`
    const calls = [];
    const server = { fault: () => { throw new Error("the session is broken too"); } };
    u.installUnexpectedErrorHandlers("mosh-server", u.daemonPolicy(() => server));
    ${THROW_TWICE}`);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout.trim(), "", "it did not keep running");
  assert.match(r.log, /RangeError: from a callback/);
  assert.match(r.log, /Error: the session is broken too/);
});

Deno.test("before the daemon has a server, and in mosh: logged, then exit 1 as Deno does", async () => {
  for (const policy of ["u.daemonPolicy(() => undefined)", 'u.terminalPolicy("mosh")']) {
    const r = await runScript(`
      const calls = [];
      u.installUnexpectedErrorHandlers("mosh", ${policy});
      ${THROW_TWICE}`);
    assert.equal(r.code, 1, policy);
    assert.equal(r.stdout, "", `${policy}: it did not keep running`);
    assert.match(r.stderr, /RangeError: from a callback/, policy);
    assert.match(r.log, /mosh\[\d+\]: RangeError: from a callback/, policy);
    if (policy.includes("terminal")) {
      assert.ok(r.stderr.includes(`mosh: the details of this error are in ${r.logPath}`));
    }
  }
});

Deno.test("mosh-client aborts its client (the terminal is restored) and learns the log path", async () => {
  const r = await runScript(`
    const calls = [];
    let logged;
    const client = { abort: (e) => calls.push("abort: " + e.message) };
    u.installUnexpectedErrorHandlers(
      "mosh-client",
      u.clientPolicy(() => client, (path) => (logged = path)),
    );
    ${THROW_TWICE}
    setTimeout(() => console.log(logged.endsWith("/denomosh/denomosh.log")), 60);`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.trim(),
    'still running ["abort: from a callback","abort: a rejection nobody awaited"]\ntrue',
  );
  assert.match(r.log, /mosh-client\[\d+\]: RangeError: from a callback/);
});

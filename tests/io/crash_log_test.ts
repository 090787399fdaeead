import assert from "node:assert/strict";
import { crashLogPath, describeError, logUnexpected } from "../../io/crash_log.ts";
import { withDir } from "../_temp_dir.ts";

Deno.test("the log lives in XDG_STATE_HOME/denomosh, else ~/.local/state/denomosh", () => {
  assert.equal(
    crashLogPath({ XDG_STATE_HOME: "/s", HOME: "/h" }),
    "/s/denomosh/denomosh.log",
  );
  assert.equal(crashLogPath({ HOME: "/h" }), "/h/.local/state/denomosh/denomosh.log");
  // The XDG spec ignores relative paths.
  assert.equal(
    crashLogPath({ XDG_STATE_HOME: "rel", HOME: "/h" }),
    "/h/.local/state/denomosh/denomosh.log",
  );
  assert.equal(crashLogPath({}), null);
});

Deno.test("an entry has the time, program, pid and the stack; dir 0700, file 0600", () => {
  const old = Deno.umask(0);
  try {
    withDir((dir) => {
      const path = `${dir}/state/denomosh/denomosh.log`;
      const now = () => new Date("2026-11-27T03:00:00Z");
      const error = new TypeError("boom", { cause: new Error("underneath") });
      assert.equal(logUnexpected("mosh-server", error, { path, now }), path);
      assert.equal(logUnexpected("mosh-client", "a string", { path, now }), path);
      const text = Deno.readTextFileSync(path);
      const lines = text.split("\n");
      assert.equal(lines[0], `2026-11-27T03:00:00.000Z mosh-server[${Deno.pid}]: TypeError: boom`);
      assert.match(lines[1], /^ {8}at .*crash_log_test\.ts/, "the stack, indented");
      assert.match(text, /\n {4}Caused by: Error: underneath\n/);
      assert.match(
        text,
        new RegExp(
          `\\n2026-11-27T03:00:00.000Z mosh-client\\[${Deno.pid}\\]: ` +
            "Thrown value \\(not an Error\\): a string\\n$",
        ),
      );
      assert.equal(Deno.statSync(`${dir}/state/denomosh`).mode! & 0o777, 0o700);
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
    });
  } finally {
    Deno.umask(old);
  }
});

Deno.test("the log is rotated before it passes its size: at most two files", () => {
  withDir((dir) => {
    const path = `${dir}/denomosh.log`;
    const error = new Error("x".repeat(300));
    for (let i = 0; i < 20; i++) logUnexpected("mosh", error, { path, maxBytes: 2000 });
    const sizes = [path, `${path}.1`].map((p) => Deno.statSync(p).size);
    for (const size of sizes) assert.ok(size > 0 && size <= 2000, `size ${size}`);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "denomosh.log",
      "denomosh.log.1",
    ]);
  });
});

Deno.test("logging never throws: an unwritable place is null", () => {
  withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "");
    assert.equal(
      logUnexpected("mosh", new Error("e"), { path: `${dir}/file/x/denomosh.log` }),
      null,
    );
    assert.equal(logUnexpected("mosh", new Error("e"), { path: null }), null);
  });
  const weird = {
    toString() {
      throw new Error("no");
    },
  };
  assert.match(describeError(weird), /^Thrown value/);
});

import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { parseClientArgs } from "../../cli/client_options.ts";

const KEY = "AAECAwQFBgcICQoLDA0ODw";

Deno.test("mosh-client takes IP PORT, ignores -# ARGS, and reads MOSH_KEY", () => {
  const r = parseClientArgs(["-#", "mosh host |", "127.0.0.1", "60001"], { MOSH_KEY: KEY });
  assert.ok("options" in r);
  assertEquals([r.options.ip, r.options.port, r.options.key.toString()], ["127.0.0.1", 60001, KEY]);
  assertEquals([r.options.predict, r.options.predictOverwrite], ["adaptive", false]);
  const p = parseClientArgs(["::1", "7"], {
    MOSH_KEY: KEY,
    MOSH_PREDICTION_DISPLAY: "never",
    MOSH_PREDICTION_OVERWRITE: "yes",
  });
  assert.ok("options" in p);
  assertEquals([p.options.predict, p.options.predictOverwrite], ["never", true]);
  assertEquals(parseClientArgs(["-c"], {}), { colors: true });
});

Deno.test("mosh-client refuses what mosh refuses, and a bad key clearly", () => {
  const missing = parseClientArgs(["127.0.0.1", "60001"], {});
  assert.ok("exit" in missing && missing.exit === 1);
  assertEquals(missing.stderr, "MOSH_KEY environment variable not found.\n");
  const bad = parseClientArgs(["127.0.0.1", "60001"], { MOSH_KEY: "nope" });
  assert.ok("exit" in bad && bad.exit === 1);
  assert.match(
    bad.stderr,
    /MOSH_KEY is not a valid session key: Key must be 22 letters long, got 4/,
  );
  const port = parseClientArgs(["127.0.0.1", "6x"], { MOSH_KEY: KEY });
  assert.ok("exit" in port && /Bad UDP port \(6x\)/.test(port.stderr));
  const count = parseClientArgs(["127.0.0.1"], { MOSH_KEY: KEY });
  assert.ok("exit" in count && count.exit === 1 && /Usage:/.test(count.stderr));
  const mode = parseClientArgs(["127.0.0.1", "1"], { MOSH_KEY: KEY, MOSH_PREDICTION_DISPLAY: "x" });
  assert.ok("exit" in mode && mode.stderr === "Unknown prediction mode x.\n");
});

/**
 * Whether mosh-server's arguments may ask for -v, before they are parsed: never "no" when the
 * parser finds -v, so that a verbose daemon always gets the terminal's stderr.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { mayAskForVerbose } from "../../cli/daemon_launch.ts";
import { parseServerArgs } from "../../cli/server_options.ts";

/** Words mosh-server's arguments are made of, -v and its look-alikes among them. */
const WORDS = [
  "new",
  "-v",
  "-vv",
  "-sv",
  "-vs",
  "-iv",
  "-i",
  "-p",
  "-c",
  "-l",
  "-s",
  "-@",
  "--",
  "-",
  "127.0.0.1",
  "60001",
  "60001:60010",
  "256",
  "LANG=C.UTF-8",
  "-lLC_ALL=v",
  "-p60001",
  "v",
  "--scrollback=100",
  "-x",
  "/bin/sh",
  "-c",
  "vi",
];

Deno.test("mayAskForVerbose says yes whenever the parser finds -v (property)", () => {
  let verbose = 0;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }), fc.boolean(), (rest, n) => {
      const args = n ? ["new", ...rest] : rest;
      const parsed = parseServerArgs(args);
      if (!("options" in parsed) || parsed.options.verbose === 0) return;
      verbose++;
      assert.ok(mayAskForVerbose(args), `missed -v in ${JSON.stringify(args)}`);
    }),
    { numRuns: 3000 },
  );
  assert.ok(verbose > 100, `only ${verbose} cases with -v`);
});

Deno.test("mayAskForVerbose: no for the options a client sends, and nothing after --", () => {
  assert.equal(mayAskForVerbose(["new", "-s", "-c", "256", "-l", "LANG=en_US.UTF-8"]), false);
  assert.equal(
    mayAskForVerbose(["new", "-i", "127.0.0.1", "-p", "60001", "--", "vi", "-v"]),
    false,
  );
  assert.equal(mayAskForVerbose([]), false);
  assert.equal(mayAskForVerbose(["new", "-v"]), true);
  assert.equal(mayAskForVerbose(["new", "-sv", "--", "sh"]), true);
});

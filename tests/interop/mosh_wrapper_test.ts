/**
 * Our `mosh` wrapper's pure parts against Debian's mosh 1.4.0 wrapper itself (/usr/bin/mosh):
 * the fixture's rows recorded again (so the table in tests/cli cannot drift from what mosh
 * does), `--ssh`'s word splitting against Perl's Text::ParseWords over random strings, and
 * random sequences of bootstrap lines through both.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "../_assert.ts";
import { moshMissing } from "../_debian_mosh.ts";
import { shellWords } from "../../cli/mosh_options.ts";
import { recordBootstrapCase, recordSshCase } from "./_record_mosh.ts";
import { replay, WRAPPER } from "../cli/_wrapper.ts";

const ignore = moshMissing;

Deno.test({
  name: "Debian's mosh still runs the ssh command line of every row of the table",
  ignore,
  async fn() {
    for (const row of WRAPPER.ssh) {
      const { argv: _a, starterEnv: _e, ...input } = row;
      assertEquals(await recordSshCase(input), row, row.name);
    }
  },
});

Deno.test({
  name: "Debian's mosh still reads every row of the bootstrap table as recorded",
  ignore,
  async fn() {
    for (const row of WRAPPER.bootstrap) {
      const { stdout: _o, stderr: _e, client: _c, ...input } = row;
      assertEquals(await recordBootstrapCase(input), row, row.name);
    }
  },
});

/** Perl's `shellwords` for each string, as mosh splits `--ssh` (one perl for all). */
async function perlShellwords(inputs: string[]): Promise<string[][]> {
  const script = "use Text::ParseWords; use JSON::PP; my $j = JSON::PP->new->utf8->canonical;" +
    " local $/; my $in = $j->decode(<STDIN>); print $j->encode([map { [shellwords($_)] } @$in]);";
  const child = new Deno.Command("perl", {
    args: ["-e", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(inputs)));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name: "property: --ssh is split into the words Perl's shellwords gives mosh",
  ignore,
  async fn() {
    const unit = fc.constantFrom("a", "b", "-", " ", " ", "\t", "\n", "\v", "'", '"', "\\", "é");
    const inputs = fc.sample(fc.string({ unit, maxLength: 14 }), { numRuns: 4000, seed: 1 });
    inputs.push("", "  ", `ssh -o "a b"`, `'a\\'b'`, `"a\\b"`, "a\\", `"`, `a''b`);
    const perl = await perlShellwords(inputs);
    let failures = 0, splits = 0;
    inputs.forEach((s, i) => {
      let ours: string[] | null;
      try {
        ours = shellWords(s);
      } catch {
        ours = null;
      }
      // Perl gives nothing both for a blank line and for one it cannot split; we throw for the
      // second.
      const expected = perl[i].length === 0 && /[^ \t\n\v\f\r]/.test(s) ? null : perl[i];
      if (JSON.stringify(ours) !== JSON.stringify(expected)) {
        failures++;
        console.error(JSON.stringify(s), "ours", ours, "perl", perl[i]);
      }
      if (expected && expected.length > 1) splits++;
    });
    assert.equal(failures, 0);
    assert.ok(splits > 500, `only ${splits} inputs split into several words`);
  },
});

Deno.test({
  name: "property: random bootstrap lines end the same way in Debian's mosh and ours",
  ignore,
  async fn() {
    const key = "4NeCCgvZFe2RnPgrcU1PQw";
    const line = fc.oneof(
      fc.constantFrom(
        "MOSH IP 192.0.2.1",
        "MOSH IP 2001:db8::2 ",
        "MOSH IP a b",
        `MOSH CONNECT 60001 ${key}`,
        `MOSH CONNECT 60001 ${key}x`,
        `MOSH CONNECT x ${key}`,
        "MOSH SSH_CONNECTION 198.51.100.1 5555 192.0.2.3 22",
        "MOSH SSH_CONNECTION 1 2 3",
        "Bad UDP port",
        "",
        "hello",
      ),
      fc.string({ maxLength: 12 }).filter((s) => !/[\n\r]/.test(s)).map((s) => `MOSH IP ${s}`),
      fc.string({ unit: fc.constantFrom("a", "1", "/", " ", "\t", "="), maxLength: 26 })
        .map((s) => `MOSH CONNECT ${s}`),
    );
    const cases = fc.sample(
      fc.record({
        args: fc.constantFrom("h", "-p 1:2 h", "--experimental-remote-ip=local 192.0.2.9")
          .map((a) => a.split(" ")),
        lines: fc.array(line, { maxLength: 5 }),
      }),
      { numRuns: 30, seed: 7 },
    );
    for (const c of cases) {
      const mosh = await recordBootstrapCase({ name: "random", ...c });
      assertEquals(replay(c.args, c.lines), {
        stdout: mosh.stdout,
        stderr: mosh.stderr,
        client: mosh.client,
      }, JSON.stringify(c));
    }
  },
});

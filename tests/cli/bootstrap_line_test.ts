/**
 * What `mosh` makes of the lines ssh prints, row by row against what Debian's mosh 1.4.0 did
 * with the same lines (tests/fixtures/mosh-1.4.0-wrapper.json, recorded by
 * tools/record_mosh_wrapper.ts and re-checked by tests/interop/mosh_wrapper_test.ts): the lines
 * it showed, its warnings and errors, and the client it started.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "../_assert.ts";
import { BootstrapReader, parseBootstrapLine } from "../../cli/bootstrap_line.ts";
import { replay, WRAPPER } from "./_wrapper.ts";

for (const row of WRAPPER.bootstrap) {
  Deno.test(`bootstrap as mosh reads it: ${row.name}`, () => {
    assertEquals(replay(row.args, row.lines), {
      stdout: row.stdout,
      stderr: row.stderr,
      client: row.client,
    });
  });
}

Deno.test("each kind of line, and the reasons a bootstrap fails", () => {
  const key = "4NeCCgvZFe2RnPgrcU1PQw";
  assertEquals(parseBootstrapLine("MOSH IP 192.0.2.1"), { kind: "ip", ip: "192.0.2.1" });
  assertEquals(parseBootstrapLine(`MOSH CONNECT 60001 ${key}`), {
    kind: "connect",
    port: "60001",
    key,
  });
  assertEquals(parseBootstrapLine("MOSH SSH_CONNECTION 10.0.0.1 5 10.0.0.2 22"), {
    kind: "ssh-connection",
    ip: "10.0.0.2",
  });
  assertEquals(parseBootstrapLine("MOSH IP"), { kind: "text" });
  const reason = (lines: string[], portRequest?: string) => {
    const r = new BootstrapReader({ argv0: "mosh", userhost: "h", portRequest });
    lines.forEach((l) => r.take(l));
    const end = r.finish();
    return "reason" in end ? end.reason : "ok";
  };
  assertEquals(reason(["MOSH IP 1 2"]), "bad-line");
  assertEquals(reason([]), "no-ip");
  assertEquals(reason(["MOSH IP 192.0.2.1"]), "no-connect");
  assertEquals(reason(["MOSH IP 192.0.2.1", "Bad UDP port"], "1:2"), "port-range");
  assertEquals(reason(["MOSH IP 192.0.2.1", `MOSH CONNECT 1 ${key}`]), "ok");
});

Deno.test("MOSH CHOOSE (ours, from mosh-server attach) names the sessions to choose from", () => {
  assertEquals(parseBootstrapLine("MOSH CHOOSE 12 345"), { kind: "choose", pids: [12, 345] });
  assertEquals(parseBootstrapLine("MOSH CHOOSE 12 x").kind, "bad");
  const r = new BootstrapReader({ argv0: "mosh", userhost: "h" });
  assertEquals(r.take("MOSH IP 192.0.2.1"), null);
  assertEquals(r.take("MOSH CHOOSE 7 8"), null, "not shown");
  assertEquals(
    r.take("mosh-server: 2 detached sessions here"),
    "mosh-server: 2 detached sessions here",
  );
  assertEquals(r.choices, [7, 8]);
  assertEquals("reason" in r.finish(), true, "still no session started");
});

const KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
const key = fc.string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 22, maxLength: 22 });
const word = fc.string({ unit: fc.constantFrom(..."0123456789abcdef.:[]%-"), minLength: 1 });
const space = fc.string({ unit: fc.constantFrom(" ", "\t", "\r", "\v", "\f"), maxLength: 3 });

Deno.test("property: the lines mosh-server and our proxy print are read back exactly", () => {
  fc.assert(
    fc.property(fc.nat(65535), key, word, space, (port, k, ip, trail) => {
      assertEquals(parseBootstrapLine(`MOSH CONNECT ${port} ${k}${trail}`), {
        kind: "connect",
        port: String(port),
        key: k,
      });
      assertEquals(parseBootstrapLine(`MOSH IP ${ip}${trail}`), { kind: "ip", ip });
    }),
    { numRuns: 2000 },
  );
});

Deno.test("property: any line is classified without throwing, and only ours are taken", () => {
  const line = fc.oneof(
    fc.string(),
    fc.tuple(fc.constantFrom("MOSH IP ", "MOSH CONNECT ", "MOSH SSH_CONNECTION "), fc.string())
      .map(([a, b]) => a + b),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
      const reader = new BootstrapReader({ argv0: "mosh", userhost: "h" });
      for (const l of lines) {
        const shown = reader.take(l);
        const ours = /^MOSH (IP|CONNECT|SSH_CONNECTION) /.test(l);
        if (shown !== null) assert.ok(!ours && shown === l, l);
        if (parseBootstrapLine(l).kind === "text") assert.ok(!ours, l);
      }
      reader.finish();
    }),
    { numRuns: 3000 },
  );
});

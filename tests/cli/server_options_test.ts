import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import {
  parsePortRange,
  parseServerArgs,
  parseTimeoutEnv,
  serverUsage,
  sshLocalIp,
  termFor,
} from "../../cli/server_options.ts";

Deno.test("port ranges parse with mosh's messages", () => {
  assertEquals(parsePortRange("60001"), [60001, 60001]);
  assertEquals(parsePortRange("60001:60010"), [60001, 60010]);
  assertEquals(parsePortRange("0"), [0, 0]);
  assertEquals(parsePortRange("x"), "Invalid (low) port number (x)");
  assertEquals(parsePortRange("70000"), "(Low) port number 70000 outside valid range [0..65535]");
  assertEquals(parsePortRange("5:x"), "Invalid high port number (x)");
  assertEquals(parsePortRange("5:70000"), "High port number 70000 outside valid range [0..65535]");
  assertEquals(parsePortRange("9:5"), "Low port 9 greater than high port 5");
  assertEquals(parsePortRange("0:5"), "Low port 0 incompatible with port ranges");
});

Deno.test("mosh-server new parses every option, with the command after --", () => {
  const r = parseServerArgs(
    ["new", "-s", "-c", "256", "-p", "60100:60200", "-l", "LANG=C.UTF-8", "-v", "--", "ls", "-la"],
    "mosh-server",
    { SSH_CONNECTION: "10.0.0.2 5000 ::ffff:10.0.0.1 22" },
  );
  assert.ok("options" in r);
  assertEquals(r.options, {
    ip: "10.0.0.1",
    ports: [60100, 60200],
    colors: 256,
    verbose: 1,
    locale: ["LANG=C.UTF-8"],
    command: ["ls", "-la"],
  });
  const clustered = parseServerArgs(["new", "-vvi127.0.0.1", "-c256"]);
  assert.ok("options" in clustered);
  assertEquals([clustered.options.verbose, clustered.options.ip, clustered.options.colors], [
    2,
    "127.0.0.1",
    256,
  ]);
  const defaults = parseServerArgs(["new"]);
  assert.ok("options" in defaults);
  assertEquals(defaults.options.ports, [60001, 60999]);
  assertEquals(defaults.options.command, undefined);
});

Deno.test("help, version and bad values exit with mosh's words", () => {
  const help = parseServerArgs(["new", "-p", "1", "--help"]);
  assert.ok("exit" in help && help.exit === 0);
  assert.match(help.stdout, /^Usage: mosh-server new \[-s\] \[-v\]/);
  const version = parseServerArgs(["--version"]);
  assert.ok("exit" in version && version.exit === 0 && /mosh 1\.4\.0/.test(version.stdout));
  const port = parseServerArgs(["new", "-p", "abc"]);
  assert.ok("exit" in port && port.exit === 1);
  assert.match(
    port.stderr,
    /Invalid \(low\) port number \(abc\)\nmosh-server: Bad UDP port range \(abc\)\nUsage:/,
  );
  const colors = parseServerArgs(["new", "-c", "lots"]);
  assert.ok("exit" in colors && /Bad number of colors \(lots\)/.test(colors.stderr));
  const locale = parseServerArgs(["new", "-l", "LANG"]);
  assert.ok("exit" in locale && /Bad locale setting/.test(locale.stderr));
  const unknown = parseServerArgs(["new", "-x"]);
  assert.ok("options" in unknown, "unknown options only warn, as in mosh");
  assert.match(unknown.warnings.join("\n"), /invalid option -- 'x'/);
});

Deno.test("-s without SSH_CONNECTION warns and binds any interface", () => {
  assertEquals(
    sshLocalIp(undefined).warning,
    "Warning: SSH_CONNECTION not found; binding to any interface.",
  );
  assertEquals(
    sshLocalIp("1 2").warning,
    "Warning: Could not parse SSH_CONNECTION; binding to any interface.",
  );
  assertEquals(sshLocalIp("1.1.1.1 22 2001:db8::1 22").ip, "2001:db8::1");
});

Deno.test("TERM and the timeout variables follow mosh", () => {
  assertEquals([termFor(256), termFor(8), termFor(0)], ["xterm-256color", "xterm", "xterm"]);
  assertEquals(parseTimeoutEnv("X", "30"), { seconds: 30 });
  assertEquals(parseTimeoutEnv("X", "3x"), {
    seconds: 0,
    warning: "X not a valid integer, ignoring",
  });
  assertEquals(parseTimeoutEnv("X", "-4"), { seconds: 0, warning: "X is negative, ignoring" });
  assertEquals(parseTimeoutEnv("X", undefined), { seconds: 0 });
});

Deno.test("operands other than new: mosh 1.4.0's legacy IP [PORT] form, as a table", () => {
  const usage = serverUsage("mosh-server");
  const table: [string[], { ip?: string; ports?: [number, number] } | string][] = [
    [[], {}],
    [["list"], { ip: "list" }], // refused as not numeric when binding (server/bind.ts)
    [["attach"], { ip: "attach" }],
    [["-x"], { ip: "-x" }],
    [["10.0.0.1", "60010:60020"], { ip: "10.0.0.1", ports: [60010, 60020] }],
    [["a", "b", "c"], usage],
    [
      ["foo", "bar"],
      `Invalid (low) port number (bar)\nmosh-server: Bad UDP port range (bar)\n${usage}`,
    ],
  ];
  for (const [args, expected] of table) {
    const r = parseServerArgs(args);
    if (typeof expected === "string") {
      assert.ok("exit" in r, args.join(" "));
      assertEquals([r.exit, r.stderr], [1, expected], args.join(" "));
    } else {
      assert.ok("options" in r, args.join(" "));
      assertEquals(r.options.ip, expected.ip, args.join(" "));
      assertEquals(r.options.ports, expected.ports ?? [60001, 60999], args.join(" "));
    }
  }
});

Deno.test("getopt's messages name \"new\", as mosh's getopt over argv + 1 does", () => {
  const usage = serverUsage("mosh-server").trimEnd();
  const cases: [string[], string[]][] = [
    [["new", "-x"], ["new: invalid option -- 'x'", usage]],
    [["new", "-p"], ["new: option requires an argument -- 'p'", usage]],
    [["new", "-vz", "-i"], [
      "new: invalid option -- 'z'",
      usage,
      "new: option requires an argument -- 'i'",
      usage,
    ]],
    [["new", "extra", "-x"], []], // parsing stops at the first operand
  ];
  for (const [args, warnings] of cases) {
    const r = parseServerArgs(args);
    assert.ok("options" in r, args.join(" "));
    assertEquals(r.warnings, warnings, args.join(" "));
  }
});

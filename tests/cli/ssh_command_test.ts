/**
 * The ssh command line, row by row against what Debian's mosh 1.4.0 ran for the same arguments
 * and environment (tests/fixtures/mosh-1.4.0-wrapper.json, recorded by
 * tools/record_mosh_wrapper.ts and re-checked by tests/interop/mosh_wrapper_test.ts).
 */
import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { type MoshOptions, parseMoshArgs } from "../../cli/mosh_options.ts";
import {
  remoteCommand,
  serverArgv,
  serverCommandLine,
  sshArgv,
  starterEnv,
} from "../../cli/ssh_command.ts";
import { DEBIAN_MOSH, WRAPPER } from "./_wrapper.ts";

function parse(args: string[]): MoshOptions {
  const o = parseMoshArgs(args);
  if ("error" in o) throw new Error(o.error);
  return o;
}

for (const row of WRAPPER.ssh) {
  Deno.test(`ssh command line as mosh's: ${row.name}`, () => {
    const options = parse(row.args);
    const start = {
      options,
      userhost: row.userhost ?? options.operands[0],
      colors: row.colors ?? "256",
      env: row.env,
      self: [DEBIAN_MOSH],
    };
    if (row.local) {
      assertEquals(serverArgv(start), row.argv);
    } else {
      const [ssh, ...argv] = sshArgv(start);
      assertEquals(ssh, "ssh");
      assertEquals(argv, row.argv);
    }
    const env = starterEnv(row.env, options, 4242);
    for (const name of ["SHELL", "SSH_CONNECTION", "MOSH_PREDICTION_DISPLAY"] as const) {
      assertEquals(env[name] ?? null, row.starterEnv[name], name);
    }
    assertEquals(row.starterEnv.MOSH_CLIENT_PID, "set");
    assertEquals(env.MOSH_CLIENT_PID, "4242");
  });
}

Deno.test("the table covers every option that changes the ssh command line", () => {
  const used = new Set(WRAPPER.ssh.flatMap((r) => r.args.map((a) => a.replace(/=.*/, ""))));
  for (
    const flag of [
      "--ssh",
      "--no-ssh-pty",
      "-4",
      "-6",
      "--family",
      "--experimental-remote-ip",
      "-p",
      "--port",
      "--bind-server",
      "--server",
      "--",
    ]
  ) assert.ok(used.has(flag), flag);
  assert.ok(WRAPPER.ssh.some((r) => r.local), "--local");
});

Deno.test("the remote command is the server line, after the SSH_CONNECTION probe", () => {
  const start = (args: string[]) => ({
    options: parse(args),
    userhost: "h",
    colors: "8",
    env: {},
  });
  assertEquals(remoteCommand(start(["h", "top"])), "mosh-server 'new' '-c' '8' '-s' '--' 'top'");
  assertEquals(
    remoteCommand(start(["--experimental-remote-ip=remote", "h"])),
    `sh -c '[ -n "$SSH_CONNECTION" ] && printf "\\nMOSH SSH_CONNECTION %s\\n" ` +
      `"$SSH_CONNECTION"' ; mosh-server 'new' '-c' '8' '-s'`,
  );
  assertEquals(
    serverCommandLine("~/bin/mosh-server", ["new", "it's"]),
    `~/bin/mosh-server 'new' 'it'\\''s'`,
  );
});

Deno.test("--local with no host binds to 127.0.0.1 (mosh needs a host; we default it)", () => {
  const options = parse(["--local"]);
  assertEquals(serverArgv({ options, userhost: "127.0.0.1", colors: "256", env: {} }), [
    "new",
    "-c",
    "256",
    "-i",
    "127.0.0.1",
  ]);
});

Deno.test("--attach runs mosh-server attach with the same options, and no command", () => {
  const env = { LANG: "C.UTF-8" };
  const argv = (args: string[]) =>
    serverArgv({ options: parse(args), userhost: "host", colors: "256", env });
  assertEquals(argv(["--attach", "-p", "60010", "host"]), [
    "attach",
    "-c",
    "256",
    "-s",
    "-p",
    "60010",
    "-l",
    "LANG=C.UTF-8",
  ]);
  assertEquals(argv(["--attach=4242", "host"]).slice(0, 2), ["attach", "4242"]);
  assertEquals(argv(["host"])[0], "new", "without --attach, a new session");
  // A bare --attach never takes the host for a pid.
  assertEquals(parse(["--attach", "host"]).operands, ["host"]);
});

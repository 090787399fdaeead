import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import {
  checkPortRequest,
  type MoshOptions,
  parseMoshArgs,
  shellQuote,
  shellWords,
} from "../../cli/mosh_options.ts";

function ok(args: string[]): MoshOptions {
  const r = parseMoshArgs(args);
  assert.ok(!("error" in r), JSON.stringify(r));
  return r;
}

Deno.test("--ssh is split as a shell would split it", () => {
  assertEquals(ok(["--ssh=ssh -p 2222", "h"]).ssh, ["ssh", "-p", "2222"]);
  assertEquals(shellWords(`ssh -o "ProxyCommand=nc %h %p" -i 'my key' a\\ b`), [
    "ssh",
    "-o",
    "ProxyCommand=nc %h %p",
    "-i",
    "my key",
    "a b",
  ]);
  assert.throws(() => shellWords("ssh 'oops"), /unmatched/);
  // Perl's Text::ParseWords, as mosh uses it, not POSIX sh: see tests/interop/mosh_wrapper_test.ts.
  assertEquals(shellWords(`ssh -F "c:\\cfg" -o 'a\\'b'`), ["ssh", "-F", "c:cfg", "-o", "a\\'b"]);
  assertEquals(parseMoshArgs(["--ssh= ", "h"]), { error: "Option ssh: names no command" });
});

Deno.test("options may follow the host, take values both ways, and abbreviate", () => {
  const o = ok([
    "user@host",
    "--predict",
    "never",
    "-p",
    "60001:60010",
    "--serv=~/bin/mosh-server",
  ]);
  assertEquals([o.operands, o.predict, o.port, o.server], [
    ["user@host"],
    "never",
    "60001:60010",
    "~/bin/mosh-server",
  ]);
  assertEquals(ok(["-a", "h"]).predict, "always");
  assertEquals(ok(["-n", "h"]).predict, "never");
  assertEquals(ok(["-6", "h"]).family, "inet6");
  assertEquals(ok(["--no-ssh-pty", "--noinit", "h"]).sshPty, false);
  assertEquals(ok(["--no-init", "h"]).init, false);
  assertEquals(ok(["--local", "127.0.0.1"]).local, true);
  assertEquals(ok(["--", "host", "ls", "-la"]).operands, ["host", "ls", "-la"]);
});

Deno.test("a remote command with dash options needs --, as with mosh", () => {
  assertEquals(parseMoshArgs(["host", "ls", "-la"]), { error: "Unknown option: la" });
  assertEquals(parseMoshArgs(["--pred", "x"]), {
    error: "Option pred is ambiguous (predict, predict-overwrite)",
  });
  assertEquals(parseMoshArgs(["--client"]), { error: "Option client requires an argument" });
});

Deno.test("port requests are checked with mosh's messages", () => {
  assertEquals(checkPortRequest("mosh", "60001"), null);
  assertEquals(checkPortRequest("mosh", "60001:60010"), null);
  assertEquals(checkPortRequest("mosh", "x"), "mosh: Server-side port or range (x) is not valid.");
  assertEquals(
    checkPortRequest("mosh", "70000"),
    "mosh: Server-side (low) port (70000) must be within valid range [0..65535].",
  );
  assertEquals(
    checkPortRequest("mosh", "0:5"),
    "mosh: Server-side port ranges may not be used with starting port 0 (0:5).",
  );
  assertEquals(
    checkPortRequest("mosh", "9:5"),
    "mosh: Server-side port range (9:5): low port greater than high port.",
  );
});

Deno.test("arguments are quoted for the remote shell as mosh quotes them", () => {
  assertEquals(
    shellQuote(["new", "-l", "LANG=C.UTF-8", "it's"]),
    `'new' '-l' 'LANG=C.UTF-8' 'it'\\''s'`,
  );
});

Deno.test("--install-server and --no-install-server; neither leaves the choice to a question", () => {
  assertEquals(ok(["h"]).installServer, undefined);
  assertEquals(ok(["--install-server", "h"]).installServer, true);
  assertEquals(ok(["h", "--no-install-server"]).installServer, false);
  assertEquals(ok(["--noinstall-server", "h"]).installServer, false);
  assertEquals(ok(["--install", "h"]).installServer, true, "a unique prefix, as Getopt::Long");
  // As with Getopt::Long, --no-i could now be --no-init or --no-install-server.
  assertEquals(parseMoshArgs(["--no-i", "h"]), { error: "Unknown option: no-i" });
  assertEquals(ok(["--no-ini", "h"]).init, false);
});

import { assertEquals } from "../_assert.ts";
import { ROLE_FLAG, roleOf, selfCommand } from "../../cli/self.ts";

Deno.test("the invoked name or the role flag selects the program", () => {
  assertEquals(roleOf("mosh-server", ["new"]), { role: "mosh-server", args: ["new"] });
  assertEquals(roleOf("mosh-client", ["1.2.3.4", "5"]).role, "mosh-client");
  assertEquals(roleOf("mosh", ["host"]).role, "mosh");
  assertEquals(roleOf("anything", ["host"]).role, "mosh");
  assertEquals(roleOf("mosh", [ROLE_FLAG + "mosh-server", "new"]), {
    role: "mosh-server",
    args: ["new"],
  });
});

Deno.test("from source, another role runs under deno run with our config", () => {
  const c = selfCommand("mosh-server", ["new", "-p", "0"]);
  assertEquals(c.cmd, Deno.execPath());
  assertEquals(c.args.slice(0, 4), ["run", "-A", "--quiet", "--config"]);
  assertEquals(c.args.at(-4)!.endsWith("/cli/mosh_server.ts"), true);
  assertEquals(c.args.slice(-3), ["new", "-p", "0"]);
});

import { assertEquals } from "../_assert.ts";
import { BUNDLE_RUN_FLAGS, ROLE_FLAG, roleOf, selfCommand, V8_FLAGS } from "../../cli/self.ts";
import { compileArgs } from "../../tools/compile.ts";

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
  assertEquals(c.args.slice(0, 5), ["run", "-A", "--quiet", V8_FLAGS, "--config"]);
  assertEquals(c.args.at(-4)!.endsWith("/cli/mosh_server.ts"), true);
  assertEquals(c.args.slice(-3), ["new", "-p", "0"]);
});

Deno.test("the tasks and the compiled executable run with the same V8 flags as spawned roles", async () => {
  const root = new URL("../../", import.meta.url);
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks;
  for (const t of ["mosh", "mosh-server", "mosh-client"]) {
    assertEquals(tasks[t].split(" ").includes(V8_FLAGS), true, `deno task ${t}: ${tasks[t]}`);
  }
  assertEquals(compileArgs("/p").includes(V8_FLAGS), true, "deno compile bakes them in");
  assertEquals(
    BUNDLE_RUN_FLAGS.includes(V8_FLAGS),
    true,
    "the portable form's launcher passes them",
  );
});

/**
 * The one executable that `deno task compile` builds: it is `mosh`, `mosh-client` or
 * `mosh-server` according to the name it is run by (argv[0] from /proc/self/cmdline, since
 * `Deno.execPath()` resolves the links that carry the name), so a single file installs all
 * three and can be copied to a server as `~/local/bin/mosh-server`.
 *
 * @module
 */

import { invokedName, roleOf } from "./self.ts";

if (import.meta.main) {
  const { role, args } = roleOf(invokedName(), Deno.args);
  // Only the role's own modules are loaded: start-up is what a user waits for.
  const main = role === "mosh-server"
    ? (await import("./mosh_server.ts")).moshServerMain
    : role === "mosh-client"
    ? (await import("./mosh_client.ts")).moshClientMain
    : (await import("./mosh.ts")).moshMain;
  Deno.exit(await main(args));
}

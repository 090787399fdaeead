/**
 * The one executable that `deno task compile` builds: it is `mosh`, `mosh-client` or
 * `mosh-server` according to the name it is run by (argv[0] from /proc/self/cmdline, since
 * `Deno.execPath()` resolves the links that carry the name), so a single file installs all
 * three and can be copied to a server as `~/local/bin/mosh-server`.
 *
 * @module
 */

import { invokedName, roleOf } from "./self.ts";
import { moshMain } from "./mosh.ts";
import { moshClientMain } from "./mosh_client.ts";
import { moshServerMain } from "./mosh_server.ts";

if (import.meta.main) {
  const { role, args } = roleOf(invokedName(), Deno.args);
  const main = role === "mosh-server"
    ? moshServerMain
    : role === "mosh-client"
    ? moshClientMain
    : moshMain;
  Deno.exit(await main(args));
}

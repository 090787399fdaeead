/**
 * The rows of tests/fixtures/mosh-1.4.0-wrapper.json (see tools/record_mosh_wrapper.ts), and
 * our side of the bootstrap rows.
 */
import type { BootstrapCase, SshCase } from "../interop/_record_mosh.ts";
import { parseMoshArgs } from "../../cli/mosh_options.ts";
import { BootstrapReader } from "../../cli/bootstrap_line.ts";

/** mosh's `$0` in the recordings. */
export const DEBIAN_MOSH = "/usr/bin/mosh";

/** What Debian's mosh did for each row. */
export const WRAPPER: { ssh: SshCase[]; bootstrap: BootstrapCase[] } = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/mosh-1.4.0-wrapper.json", import.meta.url)),
);

/**
 * Our {@link BootstrapReader} over `lines`, in the terms of a recording: what mosh would print
 * on stdout and stderr, and the client it would start.
 */
export function replay(
  args: string[],
  lines: string[],
): Pick<BootstrapCase, "stdout" | "stderr" | "client"> {
  const o = parseMoshArgs(args);
  if ("error" in o) throw new Error(o.error);
  const userhost = o.operands[0];
  // --experimental-remote-ip=local: the rows use a numeric host, which resolves to itself.
  const ip = o.remoteIp === "local" ? userhost.replace(/^.*@/, "") : undefined;
  const reader = new BootstrapReader({ argv0: DEBIAN_MOSH, userhost, ip, portRequest: o.port });
  let stdout = "";
  for (const line of lines) {
    const shown = reader.take(line);
    if (shown !== null) stdout += shown + "\n";
  }
  const end = reader.finish();
  const stderr = (end.warning ? end.warning + "\n" : "") + ("error" in end ? end.error + "\n" : "");
  const client = "error" in end ? null : { ip: end.ip, port: end.port, key: end.key };
  return { stdout, stderr, client };
}

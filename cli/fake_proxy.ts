/**
 * `mosh --fake-proxy -- HOST PORT`, the ProxyCommand that `mosh` gives ssh (see
 * cli/ssh_command.ts): it connects to the ssh server, tells `mosh` the address it reached with a
 * `MOSH IP` line on stderr, then relays like netcat. mosh 1.4.0's wrapper does the same, and
 * resolves names for `--family` the same way (see {@link resolve}).
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { writeAll } from "./output.ts";

/** The `--family` values. */
export const FAMILIES = ["inet", "inet6", "auto", "all", "prefer-inet", "prefer-inet6"];

/** Addresses of `host` in the order mosh tries them for `family`. */
export async function resolve(
  host: string,
  family: string,
): Promise<{ address: string; family: number }[]> {
  const only = family === "inet" ? 4 : family === "inet6" ? 6 : 0;
  let list = await lookup(host, { all: true, family: only, verbatim: true });
  if (family === "prefer-inet") {
    list = [
      ...list.filter((a) => a.family === 4),
      ...list.filter((a) => a.family === 6),
    ];
  }
  if (family === "prefer-inet6") {
    list = [
      ...list.filter((a) => a.family === 6),
      ...list.filter((a) => a.family === 4),
    ];
  }
  if (family === "auto" && new Set(list.map((a) => a.family)).size > 1) list = list.slice(0, 1);
  return list;
}

/** Connects to `host`:`port`, says `MOSH IP`, relays stdin and stdout; the exit status. */
export async function fakeProxy(
  argv0: string,
  family: string,
  host: string,
  port: string,
): Promise<number> {
  let last = "", lastAddr = host;
  let conn: Deno.TcpConn | undefined;
  try {
    for (const a of await resolve(host, family)) {
      lastAddr = a.address;
      try {
        conn = await Deno.connect({ hostname: a.address, port: Number(port) });
        break;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
    }
  } catch (e) {
    last = e instanceof Error ? e.message : String(e);
  }
  if (!conn) {
    writeAll(
      Deno.stderr,
      `${argv0}: Could not connect to ${host}, last tried ${lastAddr}: ${last}\n`,
    );
    return 1;
  }
  writeAll(Deno.stderr, `MOSH IP ${(conn.remoteAddr as Deno.NetAddr).hostname}\n`);
  const up = Deno.stdin.readable.pipeTo(conn.writable, { preventClose: true })
    .then(() => conn.closeWrite()).catch(() => {});
  const down = conn.readable.pipeTo(Deno.stdout.writable, { preventClose: true }).catch(() => {});
  await Promise.race([down, up.then(() => down)]);
  try {
    conn.close();
  } catch {
    // already closed
  }
  return 0;
}

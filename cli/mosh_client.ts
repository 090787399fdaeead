/**
 * `mosh-client`: `MOSH_KEY=KEY mosh-client [-# 'ARGS'] [-v] IP PORT`, or `mosh-client -c`.
 *
 * Reads the key and removes it from the environment, refuses a non-UTF-8 locale, takes the
 * terminal, runs the session, and prints mosh's closing messages after the terminal is back.
 *
 * @module
 */

import { parseClientArgs } from "./client_options.ts";
import { tryWrite, writeAll } from "./output.ts";
import { type ClientTty, MoshClient } from "../client/client.ts";
import { loadTermCaps } from "../client/terminfo.ts";
import { isUtf8Locale, localeCharset, localeVariable } from "../io/daemon.ts";
import { disableCoreDumps } from "../io/core_dumps.ts";

/**
 * The real terminal on stdin and stdout. When the terminal goes away (its window closed, the
 * ssh session that held it ended), writes fail with EIO: from then on they are dropped, so the
 * client can still run the shutdown handshake and tell the server, and reads end, which starts
 * it.
 */
export function stdioTty(): ClientTty {
  const buffer = new Uint8Array(16384);
  let lost = false;
  return {
    size() {
      try {
        return Deno.consoleSize();
      } catch {
        return { columns: 80, rows: 24 };
      }
    },
    setRaw(raw: boolean) {
      if (lost) return;
      try {
        if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(raw);
      } catch {
        lost = true;
      }
    },
    write(text: string) {
      if (lost) return;
      try {
        writeAll(Deno.stdout, text);
      } catch {
        lost = true;
      }
    },
    async read() {
      try {
        const n = await Deno.stdin.read(buffer);
        return n === null ? null : buffer.slice(0, n);
      } catch {
        lost = true;
        return null;
      }
    },
  };
}

/** Runs mosh-client with `args` and returns its exit status. */
export async function moshClientMain(args: string[]): Promise<number> {
  try {
    disableCoreDumps(); // as mosh: no core dump may hold the key
  } catch (e) {
    writeAll(Deno.stderr, `mosh-client: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
  const env = Deno.env.toObject();
  const parsed = parseClientArgs(args, env);
  if ("colors" in parsed) {
    const caps = await loadTermCaps(env.TERM);
    writeAll(Deno.stdout, `${caps.colors}\n`);
    return 0;
  }
  if ("exit" in parsed) {
    writeAll(Deno.stdout, parsed.stdout);
    writeAll(Deno.stderr, parsed.stderr);
    return parsed.exit;
  }
  Deno.env.delete("MOSH_KEY");
  if (!isUtf8Locale(env)) {
    const v = localeVariable(env);
    writeAll(
      Deno.stderr,
      "mosh-client needs a UTF-8 native locale to run.\n\n" +
        `Unfortunately, the client's environment (${v ? `${v.name}=${v.value}` : "LC_CTYPE=C"}) ` +
        `specifies\nthe character set "${localeCharset(env) ?? "ANSI_X3.4-1968"}".\n\n`,
    );
    await new Deno.Command("locale", { stdout: "inherit", stderr: "inherit" }).output().catch(() =>
      null
    );
    return 1;
  }
  const { options } = parsed;
  const caps = await loadTermCaps(env.TERM);
  let client: MoshClient | undefined;
  const fail = (e: unknown) => client?.abort(e);
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    fail(e.reason);
  });
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    fail(e.error);
  });
  try {
    client = new MoshClient({
      ip: options.ip,
      port: options.port,
      key: options.key,
      caps,
      env,
      tty: stdioTty(),
      predict: options.predict,
      predictOverwrite: options.predictOverwrite,
    });
  } catch (e) {
    writeAll(Deno.stderr, `Error: ${e instanceof Error ? e.message : e}\n`);
    writeAll(Deno.stdout, "[mosh is exiting.]\n");
    return 1;
  }
  const exit = await client.exited;
  if (exit.message) tryWrite(Deno.stderr, exit.message);
  tryWrite(Deno.stdout, "[mosh is exiting.]\n");
  return exit.clean ? 0 : 1;
}

if (import.meta.main) Deno.exit(await moshClientMain(Deno.args));

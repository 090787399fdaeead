/**
 * `mosh-client`: `MOSH_KEY=KEY mosh-client [-# 'ARGS'] [-v] IP PORT`, or `mosh-client -c`.
 *
 * Takes the key out of the environment before anything else (and wipes it from the copy that
 * /proc/PID/environ shows), keeps only the settings it reads, refuses a non-UTF-8 locale, takes
 * the terminal, runs the session, and prints mosh's closing messages after the terminal is
 * back. The key's bytes are wiped once the session's cipher is keyed, its schedule when the
 * session ends (core/crypto/key.ts says what JavaScript cannot wipe).
 *
 * @module
 */

import { parseClientArgs, type ParsedClientArgs } from "./client_options.ts";
import { LOCALE_VARS } from "./mosh_options.ts";
import { tryWrite, writeAll } from "./output.ts";
import { type ClientSettings, type ClientTty, MoshClient } from "../client/client.ts";
import { Feature } from "../core/statesync/extensions.ts";
import { loadTermCaps } from "../client/terminfo.ts";
import { isUtf8Locale, localeCharset, localeVariable } from "../io/daemon.ts";
import { POLLIN, wipeEnvironmentValue } from "../io/libc.ts";
import { MainWait, waitFds } from "../io/main_wait.ts";
import { ffiUdpNetwork } from "../io/udp_socket.ts";
import { disableCoreDumps } from "../io/core_dumps.ts";
import { clientPolicy, installUnexpectedErrorHandlers, logNote } from "./unexpected.ts";

/** Standard input's fd. */
const STDIN_FD = 0;

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
        // Waited for with poll, then read at once: a client waiting in its own poll
        // (io/main_wait.ts) sees the key the moment it comes, without an event-loop turn.
        await waitFds([{ fd: STDIN_FD, events: POLLIN }]);
        const n = Deno.stdin.readSync(buffer);
        return n === null ? null : buffer.slice(0, n);
      } catch {
        lost = true;
        return null;
      }
    },
  };
}

/** The environment variables mosh-client reads; it keeps no others. */
export const CLIENT_ENV_VARS: readonly string[] = [
  "TERM",
  ...LOCALE_VARS,
  "MOSH_ESCAPE_KEY",
  "MOSH_NO_TERM_INIT",
  "MOSH_TITLE_NOPREFIX",
  "MOSH_PREDICTION_DISPLAY",
  "MOSH_PREDICTION_OVERWRITE",
  "MOSH_NO_SCROLLBACK",
];

/**
 * Removes MOSH_KEY from the process environment (wiping the bytes of its starting copy) and
 * parses the arguments with it; a function of its own, so that no string of the key stays
 * referenced from the long-lived frame of {@link moshClientMain}.
 * @returns the parse, and the settings the client reads
 */
export function takeClientEnvironment(args: string[]): {
  parsed: ParsedClientArgs;
  env: Record<string, string>;
} {
  const key = Deno.env.get("MOSH_KEY");
  if (key !== undefined) {
    wipeEnvironmentValue("MOSH_KEY");
    Deno.env.delete("MOSH_KEY");
  }
  const env: Record<string, string> = {};
  for (const name of CLIENT_ENV_VARS) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { parsed: parseClientArgs(args, { ...env, MOSH_KEY: key }), env };
}

/** Runs mosh-client with `args` and returns its exit status. */
export async function moshClientMain(args: string[]): Promise<number> {
  const { parsed, env } = takeClientEnvironment(args);
  try {
    disableCoreDumps(); // as mosh: no core dump may hold the key
  } catch (e) {
    writeAll(Deno.stderr, `mosh-client: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }
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
  // What the session needs of the environment (the rest, MOSH_KEY's, is not kept).
  const settings: ClientSettings = {
    escapeKey: env.MOSH_ESCAPE_KEY,
    termInit: env.MOSH_NO_TERM_INIT === undefined,
    titlePrefix: env.MOSH_TITLE_NOPREFIX === undefined ? "[mosh] " : "",
    predict: options.predict,
    predictOverwrite: options.predictOverwrite,
    // MOSH_NO_SCROLLBACK (mosh --no-scrollback): no native scrollback, mosh's screen.
    ...(env.MOSH_NO_SCROLLBACK !== undefined && { features: Feature.notice }),
  };
  let client: MoshClient | undefined;
  let logged: string | null | undefined;
  // Once its session runs, the client waits in a poll of its own on the main thread
  // (io/main_wait.ts): an idle session then costs a fraction of what the event loop's wakes do.
  const wait = new MainWait();
  // An error that escapes everything ends the session with the terminal restored, and is
  // logged (cli/unexpected.ts).
  installUnexpectedErrorHandlers(
    "mosh-client",
    clientPolicy(() => client, (path) => (logged = path)),
  );
  try {
    wait.start();
    client = new MoshClient({
      ip: options.ip,
      port: options.port,
      key: options.key,
      caps,
      settings,
      tty: stdioTty(),
      clock: wait.clock,
      network: ffiUdpNetwork,
    });
  } catch (e) {
    wait.stop();
    writeAll(Deno.stderr, `Error: ${e instanceof Error ? e.message : e}\n`);
    writeAll(Deno.stdout, "[mosh is exiting.]\n");
    return 1;
  } finally {
    options.key.wipe(); // the transport's cipher holds its own schedule now
  }
  const exit = await client.exited;
  wait.stop();
  client.session.transport.destroy();
  if (exit.message) tryWrite(Deno.stderr, exit.message);
  if (logged !== undefined) tryWrite(Deno.stderr, logNote("mosh-client", logged));
  tryWrite(Deno.stdout, "[mosh is exiting.]\n");
  return exit.clean ? 0 : 1;
}

if (import.meta.main) Deno.exit(await moshClientMain(Deno.args));

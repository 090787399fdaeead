/**
 * `mosh [options] [--] [user@]host [command...]`: starts `mosh-server` on the remote host over
 * ssh, learns its address, port and key, and runs the client; mosh 1.4.0's wrapper, with its
 * options, its ssh command line and its messages, plus clear errors for what users meet most
 * (ssh failing, no mosh-server on the remote, no UTF-8 locale).
 *
 * `--local` runs our own mosh-server on this machine without ssh (default host 127.0.0.1), the
 * whole protocol on loopback. `--fake-proxy` is the internal ProxyCommand mode, as in mosh.
 *
 * When the host has no `mosh-server`, cli/install_server.ts looks for ours in ~/.local/bin
 * there, or installs it, and the session starts with that one (docs/install.md).
 *
 * @module
 */

import { checkPortRequest, type MoshOptions, parseMoshArgs, shellQuote } from "./mosh_options.ts";
import {
  type Env,
  serverArgv,
  serverCommandLine,
  sshArgv,
  type SshStart,
  starterEnv,
} from "./ssh_command.ts";
import { BootstrapReader } from "./bootstrap_line.ts";
import { fakeProxy, FAMILIES, resolve } from "./fake_proxy.ts";
import { findOrInstallServer } from "./install_server.ts";
import { type SelfCommand, selfCommand } from "./self.ts";
import { VERSION } from "./version.ts";
import { writeAll } from "./output.ts";
import { installUnexpectedErrorHandlers, terminalPolicy } from "./unexpected.ts";
import { isUtf8Locale, localeCharset, localeVariable } from "../io/daemon.ts";
import { exec } from "../io/libc.ts";

const out = (text: string) => writeAll(Deno.stdout, text);
const err = (text: string) => writeAll(Deno.stderr, text);

/** The usage text, in mosh's words. */
export function moshUsage(argv0 = "mosh"): string {
  return `Usage: ${argv0} [options] [--] [user@]host [command...]
        --client=PATH        mosh client on local machine
                                (default: our mosh-client)
        --server=COMMAND     mosh server on remote machine
                                (default: "mosh-server")
        --predict=adaptive      local echo for slower links [default]
-a      --predict=always        use local echo even on fast links
-n      --predict=never         never use local echo
        --predict=experimental  aggressively echo even when incorrect

-o      --predict-overwrite     prediction overwrites instead of inserting

-4      --family=inet        use IPv4 only
-6      --family=inet6       use IPv6 only
        --family=auto        autodetect network type for single-family hosts only
        --family=all         try all network types
        --family=prefer-inet use all network types, but try IPv4 first [default]
        --family=prefer-inet6 use all network types, but try IPv6 first
-p PORT[:PORT2]
        --port=PORT[:PORT2]  server-side UDP port or range
                                (No effect on server-side SSH port)
        --bind-server={ssh|any|IP}  ask the server to reply from an IP address
                                       (default: "ssh")

        --ssh=COMMAND        ssh command to run when setting up session
                                (example: "ssh -p 2222")
                                (default: "ssh")

        --no-ssh-pty         do not allocate a pseudo tty on ssh connection

        --no-init            do not send terminal initialization string

        --local              run mosh-server locally without using ssh
                                (default host: 127.0.0.1)

        --attach[=PID]       take over a running session of yours on the
                                host (its detached one, or PID) with a
                                fresh key, instead of starting a new one
        --no-scrollback      no native scrollback: the client's alternate
                                screen and no history, exactly as mosh

        --install-server     when the host has no mosh-server, install
                                ours into ~/.local/bin there without asking
        --no-install-server  never offer to (default: ask on a terminal)

        --experimental-remote-ip=(local|remote|proxy)  select the method for
                             discovering the remote IP address to use for mosh
                             (default: "proxy")

        --help               this message
        --version            version and copyright information

Mosh home page: https://mosh.org
`;
}

/** Reads lines from a stream as they come. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
    }
  }
  if (buf) yield buf.replace(/\r$/, "");
}

/** The prediction modes of `--predict` and `MOSH_PREDICTION_DISPLAY`. */
const MODES = ["adaptive", "always", "never", "experimental"];

/**
 * The checks mosh makes before it starts anything, in its order, up to `--fake-proxy`.
 * @returns the prediction mode and the family, or the message to exit 1 with
 */
function settle(
  argv0: string,
  o: MoshOptions,
  env: Env,
): { predict: string; family: string } | { error: string } {
  const usage = moshUsage(argv0);
  let predict = o.predict;
  if (predict === undefined && env.MOSH_PREDICTION_DISPLAY !== undefined) {
    predict = env.MOSH_PREDICTION_DISPLAY;
    if (!MODES.includes(predict)) {
      return {
        error:
          `${argv0}: Unknown mode "${predict}" (MOSH_PREDICTION_DISPLAY in environment).\n\n${usage}`,
      };
    }
  }
  predict ??= "adaptive";
  if (!MODES.includes(predict)) {
    return { error: `${argv0}: Unknown mode "${predict}".\n\n${usage}` };
  }
  if (!["local", "remote", "proxy"].includes(o.remoteIp)) {
    return { error: `Unknown parameter ${o.remoteIp}\n` };
  }
  const family = o.family.toLowerCase();
  if (!FAMILIES.includes(family)) return { error: `${argv0}: Invalid family ${family}\n` };
  return { predict, family };
}

/**
 * The checks after `--fake-proxy`: the port request, a UTF-8 locale, a host.
 * @returns the message to exit 1 with, or null
 */
function refuse(argv0: string, o: MoshOptions, env: Env): string | null {
  if (o.port !== undefined) {
    const bad = checkPortRequest(argv0, o.port);
    if (bad) return bad + "\n";
  }
  if (!isUtf8Locale(env)) {
    const v = localeVariable(env);
    return `${argv0}: your locale is not UTF-8 (${
      v ? `${v.name}=${v.value}` : "no LANG or LC_* set"
    }, ` +
      `character set "${localeCharset(env) ?? "ANSI_X3.4-1968"}"); mosh needs one.\n` +
      "Set one, for example: export LANG=C.UTF-8\n";
  }
  if (o.operands.length < 1 && !o.local) return moshUsage(argv0);
  return null;
}

/** The colour count `client -c` prints ("0" when it prints no number); throws if it cannot run. */
async function countColors(client: { cmd: string; args: string[] }): Promise<string> {
  const c = await new Deno.Command(client.cmd, {
    args: [...client.args, "-c"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const n = new TextDecoder().decode(c.stdout).trim();
  return /^[0-9]+$/.test(n) ? n : "0";
}

/** Starts the server: over ssh, or with our own mosh-server here for `--local`. */
function startServer(
  start: SshStart,
  env: Record<string, string>,
): Deno.ChildProcess {
  const o = start.options;
  const io = { stdin: "null", stdout: "piped", stderr: "piped", env, clearEnv: true } as const;
  if (o.local) {
    const ours = selfCommand("mosh-server", []);
    const server = o.server === "mosh-server" ? shellQuote([ours.cmd, ...ours.args]) : o.server;
    return new Deno.Command("/bin/sh", {
      args: ["-c", serverCommandLine(server, serverArgv(start))],
      cwd: env.HOME || "/",
      ...io,
    }).spawn();
  }
  const [ssh, ...args] = sshArgv(start);
  return new Deno.Command(ssh, { args, ...io }).spawn();
}

/**
 * Reads the starter's stdout and stderr (mosh merges ssh's stderr into its stdout) to their
 * end, showing the lines the reader passes through.
 */
async function readBootstrap(
  starter: Deno.ChildProcess,
  reader: BootstrapReader,
  seen: string[],
): Promise<void> {
  const consume = async (stream: ReadableStream<Uint8Array>) => {
    for await (const line of lines(stream)) {
      const shown = reader.take(line);
      if (shown === null) continue;
      seen.push(shown);
      out(shown + "\n");
    }
  };
  await Promise.all([consume(starter.stdout), consume(starter.stderr)]);
}

/** Runs `mosh` with `args` and returns its exit status. */
export async function moshMain(args: string[], argv0 = "mosh"): Promise<number> {
  installUnexpectedErrorHandlers("mosh", terminalPolicy("mosh")); // cli/unexpected.ts
  const usage = moshUsage(argv0);
  const o = parseMoshArgs(args);
  if ("error" in o) {
    err(`${o.error}\n${usage}`);
    return 1;
  }
  if (o.help) {
    out(usage);
    return 0;
  }
  if (o.version) {
    out(
      `mosh (denomosh ${VERSION}) [compatible with mosh 1.4.0]\n` +
        "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>.\n" +
        "This is free software: you are free to change and redistribute it.\n" +
        "There is NO WARRANTY, to the extent permitted by law.\n",
    );
    return 0;
  }
  const env = Deno.env.toObject();
  const settled = settle(argv0, o, env);
  if ("error" in settled) {
    err(settled.error);
    return 1;
  }
  const { predict, family } = settled;
  if (o.fakeProxy) return await fakeProxy(argv0, family, o.operands[0], o.operands[1]);
  if (o.attach !== undefined && !/^([1-9][0-9]{0,9})?$/.test(o.attach)) {
    err(`${argv0}: --attach takes a session's pid (see mosh-server list), not "${o.attach}"\n`);
    return 1;
  }
  if (o.attach !== undefined && o.operands.length > 1) {
    err(`${argv0}: --attach takes a session over; it runs no command\n`);
    return 1;
  }
  const refused = refuse(argv0, o, env);
  if (refused !== null) {
    err(refused);
    return 1;
  }

  // The client: ours unless --client names another; it tells us the colour count.
  const clientCmd: SelfCommand = o.client === "mosh-client"
    ? selfCommand("mosh-client", [])
    : { cmd: o.client, args: [], env: {} };
  let colors: string;
  try {
    colors = await countColors(clientCmd);
  } catch (e) {
    err(`Can't count colors: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }

  let userhost = o.operands[0] ?? "127.0.0.1";
  let ip: string | undefined;
  if (o.local) {
    ip = userhost;
  } else if (o.remoteIp === "local") {
    const m = /^((?:.*@)?)(.*)$/.exec(userhost)!;
    const first = (await resolve(m[2], family).catch(() => []))[0];
    if (!first) {
      err(`could not find address for ${m[2]}\n`);
      return 1;
    }
    ip = first.address;
    userhost = `${m[1]}${ip}`;
  }

  const self = selfCommand("mosh", []);
  let start: SshStart = { options: o, userhost, colors, env, self: [self.cmd, ...self.args] };
  let end = await bootstrap(argv0, start, ip, env);
  if ("missing" in end) {
    // No mosh-server on the host's PATH: ours in ~/.local/bin, found or installed.
    const found = await findOrInstallServer({ argv0, options: o, userhost, missing: end.missing });
    if ("status" in found) return found.status;
    start = { ...start, options: { ...o, server: found.server } };
    end = await bootstrap(argv0, start, ip, env);
  }
  if ("choices" in end) {
    // `--attach` with several detached sessions: ask, or say how to choose.
    const pid = Deno.stdin.isTerminal() ? await askForSession(end.choices) : undefined;
    if (pid === undefined) {
      err(`${argv0}: ${end.choices.length} detached sessions; choose one with --attach=PID\n`);
      return 1;
    }
    const options = { ...start.options, attach: String(pid) };
    end = await bootstrap(argv0, { ...start, options }, ip, env);
  }
  if ("missing" in end) {
    err(end.missing); // gone between two starts: nothing more to try
    return 1;
  }
  if ("status" in end) return end.status;
  if ("choices" in end) return 1; // a second list: the sessions changed under us
  return await runClient(clientCmd, args, end, predict, o, env);
}

/**
 * Starts the server (over ssh, or here with `--local`) and reads its bootstrap lines.
 * @returns the server's address, port and key; the sessions to choose from (`--attach` with
 *   several); `missing` with the message for a host without `mosh-server`, when ours may be
 *   looked for there (not `--local`, not `--no-install-server`, no `--server`), unprinted; or
 *   the status to exit with, its message printed
 */
async function bootstrap(
  argv0: string,
  start: SshStart,
  ip: string | undefined,
  env: Env,
): Promise<
  | { ip: string; port: string; key: string }
  | { choices: readonly number[] }
  | { missing: string }
  | { status: number }
> {
  const o = start.options;
  let starter: Deno.ChildProcess;
  try {
    starter = startServer(start, starterEnv(env, o, Deno.pid));
  } catch (e) {
    const what = o.local ? "/bin/sh" : o.ssh[0];
    err(`${argv0}: cannot run ${what}: ${e instanceof Error ? e.message : e}\n`);
    return { status: 1 };
  }
  const reader = new BootstrapReader({
    argv0,
    userhost: start.userhost,
    ip,
    local: o.local,
    portRequest: o.port,
  });
  const seen: string[] = [];
  await readBootstrap(starter, reader, seen);
  const status = await starter.status;
  const end = reader.finish();
  if (end.warning) err(end.warning + "\n");
  if (!("error" in end)) return end;
  if (reader.choices.length) return { choices: reader.choices };
  // `mosh-server attach` said why it could not (no session, no such pid) in the lines above.
  if (o.attach !== undefined && status.code === 1 && seen.length) return { status: 1 };
  // Where ssh or the server's start failed, our message says which and what to do.
  const ours = end.reason === "no-connect" || (end.reason === "no-ip" && !reader.connected);
  const message = ours ? explainFailure(argv0, o, status.code, seen) : end.error + "\n";
  const mayInstall = !o.local && o.installServer !== false && o.server === "mosh-server";
  if (ours && mayInstall && serverMissing(o, status.code, seen)) return { missing: message };
  err(message);
  return { status: 1 };
}

/** Asks which session to attach to; undefined if the answer is not one of them. */
async function askForSession(choices: readonly number[]): Promise<number | undefined> {
  out(`Attach to which session? [${choices.join(", ")}] `);
  const buf = new Uint8Array(64);
  const n = await Deno.stdin.read(buf);
  if (n === null) return undefined;
  const pid = Number(new TextDecoder().decode(buf.subarray(0, n)).trim());
  return choices.includes(pid) ? pid : undefined;
}

/**
 * Runs the client against the server. As mosh's script does, the client takes this process's
 * place (its pid, terminal, signals and exit status): waiting for it instead kept a second
 * runtime alive for the session's length (52 MB resident, 18 MB of it private, beside a
 * `mosh --local` session's client). Where exec fails, the client runs
 * as a child, waited for. @returns its exit status (from the child only)
 */
async function runClient(
  client: SelfCommand,
  args: string[],
  server: { ip: string; port: string; key: string },
  predict: string,
  o: MoshOptions,
  env: Env,
): Promise<number> {
  const clientEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) clientEnv[name] = value;
  clientEnv.MOSH_KEY = server.key;
  clientEnv.MOSH_PREDICTION_DISPLAY = predict;
  if (o.predictOverwrite) clientEnv.MOSH_PREDICTION_OVERWRITE = "yes";
  if (!o.init) clientEnv.MOSH_NO_TERM_INIT = "1";
  if (!o.scrollback) clientEnv.MOSH_NO_SCROLLBACK = "1";
  Object.assign(clientEnv, client.env);
  const clientArgs = [...client.args, `-# ${args.join(" ")} |`, server.ip, server.port];
  try {
    exec(client.cmd, [client.cmd, ...clientArgs], clientEnv);
  } catch {
    // Not replaced: the child below says why if it cannot start either.
  }
  const child = new Deno.Command(client.cmd, {
    args: clientArgs,
    env: clientEnv,
    clearEnv: true,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // The client owns the terminal now; signals meant for it must not end us first.
  const ignore = () => {};
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP", "SIGWINCH"] as const) {
    try {
      Deno.addSignalListener(s, ignore);
    } catch {
      // not catchable here
    }
  }
  return (await child.status).code;
}

/** Whether the server's start failed because there is no such command (exit status 127). */
function serverMissing(o: { local: boolean }, code: number, seen: string[]): boolean {
  if (!o.local && code === 255) return false; // ssh's own failure
  return code === 127 ||
    /command not found|not found|No such file or directory/i.test(seen.join("\n"));
}

/** The one message for a session that did not start, with the way out. */
function explainFailure(
  argv0: string,
  o: { server: string; local: boolean },
  code: number,
  seen: string[],
): string {
  if (!o.local && code === 255) {
    return `${argv0}: ssh failed (exit status 255); its message is above. ` +
      'Check the host name, the ssh port (--ssh="ssh -p PORT") and your credentials.\n';
  }
  if (serverMissing(o, code, seen)) {
    return `${argv0}: ${o.server} was not found on the ${o.local ? "local" : "remote"} host. ` +
      "If it is installed in your home directory, say where: --server=~/local/bin/mosh-server\n";
  }
  return `${argv0}: Did not find mosh server startup message. (Have you installed mosh on your server?)\n`;
}

if (import.meta.main) Deno.exit(await moshMain(Deno.args));

/**
 * The command lines `mosh` runs to start a session, as mosh 1.4.0's Perl wrapper builds them:
 * the `mosh-server new ...` arguments, the remote command line that runs it, and the ssh
 * command line around it. Pure functions of the parsed options, so each flag's effect is a row
 * in a table test (tests/cli/ssh_command_test.ts, whose rows were recorded from Debian's
 * `mosh`; tests/interop/ssh_command_test.ts records them again).
 *
 * New options that change what runs on the remote host (installing the server, asking it for
 * something) go in {@link serverArgv} or {@link remoteCommand}; the runner in cli/mosh.ts only
 * spawns what these return.
 *
 * @module
 */

import { LOCALE_VARS, type MoshOptions, shellQuote } from "./mosh_options.ts";

/** Environment variables, as `Deno.env.toObject()` gives them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What the server's command line is made of. */
export interface ServerStart {
  /** The parsed `mosh` command line; its operands after the host are the remote command. */
  options: MoshOptions;
  /** `[user@]host` as ssh gets it (`--experimental-remote-ip=local` puts the address there). */
  userhost: string;
  /** The client's colour count, as `mosh-client -c` printed it. */
  colors: string;
  /** Our environment: the locale variables set in it go to the server with `-l`. */
  env: Env;
}

/** What the ssh command line is made of, beyond the server's. */
export interface SshStart extends ServerStart {
  /** The words that run this `mosh` (mosh's `$0`): ssh's ProxyCommand runs it as a proxy. */
  self: readonly string[];
}

/**
 * The arguments of `mosh-server`: `new -c COLORS`, where to bind (`-s` over ssh, `-i HOST` for
 * `--local`, `-i IP` for `--bind-server=IP`, nothing for `any`), the port request, one
 * `-l NAME=VALUE` per locale variable set here (empty ones too), and `-- command...`.
 *
 * @example
 * ```ts
 * import { parseMoshArgs } from "./mosh_options.ts";
 * import { serverArgv } from "./ssh_command.ts";
 *
 * const options = parseMoshArgs(["-p", "60001", "host", "top"]);
 * if ("error" in options) throw new Error(options.error);
 * const argv = serverArgv({ options, userhost: "host", colors: "256", env: { LANG: "C.UTF-8" } });
 * if (argv.join(" ") !== "new -c 256 -s -p 60001 -l LANG=C.UTF-8 -- top") throw new Error();
 * ```
 */
export function serverArgv(start: ServerStart): string[] {
  const o = start.options;
  // `--attach[=PID]` takes a session over (`mosh-server attach`) with the same options.
  const verb = o.attach === undefined ? ["new"] : ["attach", ...(o.attach ? [o.attach] : [])];
  const argv = [...verb, "-c", start.colors];
  if (o.bindServer === undefined || /^ssh$/i.test(o.bindServer)) {
    argv.push(...(o.local ? ["-i", start.userhost] : ["-s"]));
  } else if (!/^any$/i.test(o.bindServer)) {
    argv.push("-i", o.bindServer);
  }
  if (o.port !== undefined) argv.push("-p", o.port);
  for (const name of LOCALE_VARS) {
    const value = start.env[name];
    if (value !== undefined) argv.push("-l", `${name}=${value}`);
  }
  const command = o.operands.slice(1);
  if (command.length && o.attach === undefined) argv.push("--", ...command);
  return argv;
}

/**
 * The shell command line that starts the server: `server` as given (a shell fragment, so
 * `--server="~/bin/mosh-server"` expands the tilde), then the quoted arguments.
 */
export function serverCommandLine(server: string, argv: readonly string[]): string {
  return `${server} ${shellQuote([...argv])}`;
}

/**
 * The command ssh runs on the remote host. With `--experimental-remote-ip=remote` it first
 * prints `MOSH SSH_CONNECTION ...` through `sh`, since the user's shell may not be POSIX.
 */
export function remoteCommand(start: ServerStart): string {
  const o = start.options;
  const prefix = o.remoteIp === "remote"
    ? "sh -c " +
      shellQuote([
        '[ -n "$SSH_CONNECTION" ] && printf "\\nMOSH SSH_CONNECTION %s\\n" "$SSH_CONNECTION"',
      ]) + " ; "
    : "";
  return prefix + serverCommandLine(o.server, serverArgv(start));
}

/**
 * The whole ssh command line: the `--ssh` words, `-n`, `-tt` unless `--no-ssh-pty`, `-4`/`-6`
 * for `--experimental-remote-ip=remote` with one family, and for the default `proxy` method
 * `-S none -o ProxyCommand=<self> --family=F --fake-proxy -- %h %p` (so mosh learns the
 * address ssh really connected to); then `[user@]host`, `--` and the remote command.
 *
 * @example
 * ```ts
 * import { parseMoshArgs } from "./mosh_options.ts";
 * import { sshArgv } from "./ssh_command.ts";
 *
 * const options = parseMoshArgs(["--ssh=ssh -p 2222", "me@host"]);
 * if ("error" in options) throw new Error(options.error);
 * const argv = sshArgv({ options, userhost: "me@host", colors: "8", env: {}, self: ["mosh"] });
 * const expected = [
 *   "ssh", "-p", "2222", "-n", "-tt", "-S", "none",
 *   "-o", "ProxyCommand='mosh' '--family=prefer-inet' --fake-proxy -- %h %p",
 *   "me@host", "--", "mosh-server 'new' '-c' '8' '-s'",
 * ];
 * if (JSON.stringify(argv) !== JSON.stringify(expected)) throw new Error(argv.join(" "));
 * ```
 */
export function sshArgv(start: SshStart): string[] {
  const o = start.options;
  const family = o.family.toLowerCase();
  const opts = ["-n"];
  if (o.sshPty) opts.push("-tt");
  if (o.remoteIp === "remote") {
    if (family === "inet") opts.push("-4");
    else if (family === "inet6") opts.push("-6");
  }
  if (o.remoteIp === "proxy") {
    const proxy = shellQuote([...start.self, `--family=${family}`]);
    opts.push("-S", "none", "-o", `ProxyCommand=${proxy} --fake-proxy -- %h %p`);
  }
  return [...o.ssh, ...opts, start.userhost, "--", remoteCommand(start)];
}

/**
 * The environment of the process that starts the server (ssh, or the local shell): ours with
 * `MOSH_CLIENT_PID`, without `MOSH_PREDICTION_DISPLAY` (the client gets it explicitly), with
 * `SHELL=/bin/sh` for the ProxyCommand (odd shells and broken rc files break the proxy), and
 * without `SSH_CONNECTION` for `--local` (the server would take it for its client).
 */
export function starterEnv(env: Env, options: MoshOptions, pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  out.MOSH_CLIENT_PID = String(pid);
  delete out.MOSH_PREDICTION_DISPLAY;
  if (options.local) delete out.SSH_CONNECTION;
  else if (options.remoteIp === "proxy") out.SHELL = "/bin/sh";
  return out;
}

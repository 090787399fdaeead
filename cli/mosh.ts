/**
 * `mosh [options] [--] [user@]host [command...]`: starts `mosh-server` on the remote host over
 * ssh, learns its address, port and key, and runs the client; mosh 1.4.0's wrapper, with its
 * options, its ssh command line and its messages, plus clear errors for what users meet most
 * (ssh failing, no mosh-server on the remote, no UTF-8 locale).
 *
 * `--local` runs our own mosh-server on this machine without ssh (default host 127.0.0.1), the
 * whole protocol on loopback. `--fake-proxy` is the internal ProxyCommand mode, as in mosh.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { checkPortRequest, LOCALE_VARS, parseMoshArgs, shellQuote } from "./mosh_options.ts";
import { selfCommand } from "./self.ts";
import { VERSION } from "./version.ts";
import { writeAll } from "./output.ts";
import { installUnexpectedErrorHandlers, terminalPolicy } from "./unexpected.ts";
import { isUtf8Locale, localeCharset, localeVariable } from "../io/daemon.ts";

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

        --experimental-remote-ip=(local|remote|proxy)  select the method for
                             discovering the remote IP address to use for mosh
                             (default: "proxy")

        --help               this message
        --version            version and copyright information

Mosh home page: https://mosh.org
`;
}

const FAMILIES = ["inet", "inet6", "auto", "all", "prefer-inet", "prefer-inet6"];

/** Addresses of `host` in the order mosh tries them for `family`. */
async function resolve(
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

/** `--fake-proxy -- HOST PORT`: connect, say `MOSH IP`, then relay like netcat. */
async function fakeProxy(
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
    err(`${argv0}: Could not connect to ${host}, last tried ${lastAddr}: ${last}\n`);
    return 1;
  }
  err(`MOSH IP ${(conn.remoteAddr as Deno.NetAddr).hostname}\n`);
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

/** Runs `mosh` with `args` and returns its exit status. */
export async function moshMain(args: string[], argv0 = "mosh"): Promise<number> {
  installUnexpectedErrorHandlers("mosh", terminalPolicy("mosh")); // cli/unexpected.ts
  const usage = moshUsage(argv0);
  const parsed = parseMoshArgs(args);
  if ("error" in parsed) {
    err(`${parsed.error}\n${usage}`);
    return 1;
  }
  const o = parsed;
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
  let predict = o.predict;
  const modes = ["adaptive", "always", "never", "experimental"];
  if (predict === undefined && env.MOSH_PREDICTION_DISPLAY !== undefined) {
    predict = env.MOSH_PREDICTION_DISPLAY;
    if (!modes.includes(predict)) {
      err(
        `${argv0}: Unknown mode "${predict}" (MOSH_PREDICTION_DISPLAY in environment).\n\n${usage}`,
      );
      return 1;
    }
  }
  predict ??= "adaptive";
  if (!modes.includes(predict)) {
    err(`${argv0}: Unknown mode "${predict}".\n\n${usage}`);
    return 1;
  }
  if (!["local", "remote", "proxy"].includes(o.remoteIp)) {
    err(`Unknown parameter ${o.remoteIp}\n`);
    return 1;
  }
  const family = o.family.toLowerCase();
  if (!FAMILIES.includes(family)) {
    err(`${argv0}: Invalid family ${family}\n`);
    return 1;
  }
  if (o.fakeProxy) {
    const [host, port] = o.operands;
    return await fakeProxy(argv0, family, host, port);
  }
  if (o.port !== undefined) {
    const bad = checkPortRequest(argv0, o.port);
    if (bad) {
      err(bad + "\n");
      return 1;
    }
  }
  if (!isUtf8Locale(env)) {
    const v = localeVariable(env);
    err(
      `${argv0}: your locale is not UTF-8 (${
        v ? `${v.name}=${v.value}` : "no LANG or LC_* set"
      }, ` +
        `character set "${localeCharset(env) ?? "ANSI_X3.4-1968"}"); mosh needs one.\n` +
        "Set one, for example: export LANG=C.UTF-8\n",
    );
    return 1;
  }
  if (o.operands.length < 1 && !o.local) {
    err(usage);
    return 1;
  }
  let userhost = o.operands[0] ?? "127.0.0.1";
  const command = o.operands.slice(1);

  // The client: ours unless --client names another; it tells us the colour count.
  const clientCmd = o.client === "mosh-client"
    ? selfCommand("mosh-client", [])
    : { cmd: o.client, args: [] };
  let colors = "0";
  try {
    const c = await new Deno.Command(clientCmd.cmd, {
      args: [...clientCmd.args, "-c"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const n = new TextDecoder().decode(c.stdout).trim();
    if (/^[0-9]+$/.test(n)) colors = n;
  } catch (e) {
    err(`Can't count colors: ${e instanceof Error ? e.message : e}\n`);
    return 1;
  }

  const serverArgs = ["new", "-c", colors];
  if (o.bindServer === undefined || /^ssh$/i.test(o.bindServer)) {
    serverArgs.push(...(o.local ? ["-i", userhost] : ["-s"]));
  } else if (!/^any$/i.test(o.bindServer)) {
    serverArgs.push("-i", o.bindServer);
  }
  if (o.port !== undefined) serverArgs.push("-p", o.port);
  for (const name of LOCALE_VARS) {
    if (env[name] !== undefined) serverArgs.push("-l", `${name}=${env[name]}`);
  }
  if (command.length) serverArgs.push("--", ...command);

  let ip: string | undefined;
  if (o.remoteIp === "local" && !o.local) {
    const m = /^((?:.*@)?)(.*)$/.exec(userhost)!;
    const first = (await resolve(m[2], family).catch(() => []))[0];
    if (!first) {
      err(`could not find address for ${m[2]}\n`);
      return 1;
    }
    ip = first.address;
    userhost = `${m[1]}${ip}`;
  }

  // The server side: ssh, or our own mosh-server here for --local.
  const childEnv: Record<string, string> = { ...env, MOSH_CLIENT_PID: String(Deno.pid) };
  delete childEnv.MOSH_PREDICTION_DISPLAY;
  let starter: Deno.ChildProcess;
  const serverLine = (server: string) => `${server} ${shellQuote(serverArgs)}`;
  if (o.local) {
    delete childEnv.SSH_CONNECTION;
    ip = userhost;
    const ours = selfCommand("mosh-server", []);
    const server = o.server === "mosh-server" ? shellQuote([ours.cmd, ...ours.args]) : o.server;
    starter = new Deno.Command("/bin/sh", {
      args: ["-c", serverLine(server)],
      cwd: env.HOME || "/",
      env: childEnv,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } else {
    const sshOpts = ["-n"];
    if (o.sshPty) sshOpts.push("-tt");
    let prefix = "";
    if (o.remoteIp === "remote") {
      prefix = "sh -c " +
        shellQuote([
          '[ -n "$SSH_CONNECTION" ] && printf "\\nMOSH SSH_CONNECTION %s\\n" "$SSH_CONNECTION"',
        ]) +
        " ; ";
      if (family === "inet") sshOpts.push("-4");
      if (family === "inet6") sshOpts.push("-6");
    }
    if (o.remoteIp === "proxy") {
      childEnv.SHELL = "/bin/sh";
      const self = selfCommand("mosh", [`--family=${family}`]);
      sshOpts.push(
        "-S",
        "none",
        "-o",
        `ProxyCommand=${shellQuote([self.cmd, ...self.args])} --fake-proxy -- %h %p`,
      );
    }
    const [ssh, ...sshArgs] = o.ssh;
    try {
      starter = new Deno.Command(ssh, {
        args: [...sshArgs, ...sshOpts, userhost, "--", prefix + serverLine(o.server)],
        env: childEnv,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      err(`${argv0}: cannot run ${ssh}: ${e instanceof Error ? e.message : e}\n`);
      return 1;
    }
  }

  // Read both streams (mosh merges ssh's stderr into its stdout) until MOSH CONNECT.
  let port: string | undefined, key: string | undefined, sshIp: string | undefined;
  let badRange = false, fatal: string | undefined;
  const seen: string[] = [];
  const consume = async (stream: ReadableStream<Uint8Array>) => {
    for await (const line of lines(stream)) {
      if (port && key) continue; // lines after MOSH CONNECT are discarded
      if (line.startsWith("MOSH IP ")) {
        const m = /^MOSH IP (\S+)\s*$/.exec(line);
        if (ip !== undefined && !o.local) {
          fatal ??= `${argv0} error: detected attempt to redefine MOSH IP.`;
        } else if (!m) fatal ??= `Bad MOSH IP string: ${line}`;
        else ip = m[1];
      } else if (line.startsWith("MOSH SSH_CONNECTION ")) {
        const words = line.split(/\s+/);
        if (words.length === 6) sshIp = words[4];
        else fatal ??= `Bad MOSH SSH_CONNECTION string: ${line}`;
      } else if (line.startsWith("MOSH CONNECT ")) {
        const m = /^MOSH CONNECT (\d+?) ([A-Za-z0-9/+]{22})\s*$/.exec(line);
        if (m) [port, key] = [m[1], m[2]];
        else fatal ??= `Bad MOSH CONNECT string: ${line}`;
      } else {
        if (o.port?.includes(":") && /Bad UDP port/.test(line)) badRange = true;
        seen.push(line);
        out(line + "\n");
      }
    }
  };
  await Promise.all([consume(starter.stdout), consume(starter.stderr)]);
  const status = await starter.status;
  if (fatal) {
    err(fatal + "\n");
    return 1;
  }
  if (ip === undefined) {
    if (sshIp !== undefined) {
      err(
        `${argv0}: Using remote IP address ${sshIp} from $SSH_CONNECTION for hostname ${userhost}\n`,
      );
      ip = sshIp;
    } else if (!(port && key)) {
      // ssh itself failed before the proxy said anything: its own words were shown above.
      err(explainFailure(argv0, o, status.code, seen));
      return 1;
    } else {
      err(`${argv0}: Did not find remote IP address (is SSH ProxyCommand disabled?).\n`);
      return 1;
    }
  }
  if (!port || !key) {
    if (badRange) {
      err(`${argv0}: Server does not support UDP port range option.\n`);
      return 1;
    }
    err(explainFailure(argv0, o, status.code, seen));
    return 1;
  }

  const clientEnv: Record<string, string> = {
    ...env,
    MOSH_KEY: key,
    MOSH_PREDICTION_DISPLAY: predict,
  };
  if (o.predictOverwrite) clientEnv.MOSH_PREDICTION_OVERWRITE = "yes";
  if (!o.init) clientEnv.MOSH_NO_TERM_INIT = "1";
  const client = new Deno.Command(clientCmd.cmd, {
    args: [...clientCmd.args, `-# ${args.join(" ")} |`, ip, port],
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
  return (await client.status).code;
}

/** The one message for a session that did not start, with the way out. */
function explainFailure(
  argv0: string,
  o: { server: string; local: boolean },
  code: number,
  seen: string[],
): string {
  const said = seen.join("\n");
  if (!o.local && code === 255) {
    return `${argv0}: ssh failed (exit status 255); its message is above. ` +
      'Check the host name, the ssh port (--ssh="ssh -p PORT") and your credentials.\n';
  }
  if (code === 127 || /command not found|not found|No such file or directory/i.test(said)) {
    return `${argv0}: ${o.server} was not found on the ${o.local ? "local" : "remote"} host. ` +
      "If it is installed in your home directory, say where: --server=~/local/bin/mosh-server\n";
  }
  return `${argv0}: Did not find mosh server startup message. (Have you installed mosh on your server?)\n`;
}

if (import.meta.main) Deno.exit(await moshMain(Deno.args));

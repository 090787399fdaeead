/**
 * Runs Debian's `mosh` (the Perl wrapper of mosh 1.4.0) with stand-ins for ssh, mosh-server and
 * mosh-client that record how they were run, so the tests of cli/ssh_command.ts and
 * cli/bootstrap_line.ts can hold our pure functions to what mosh really does.
 *
 * - `ssh` (first on PATH): records its arguments and environment, prints the lines it is given
 *   and exits with the status it is given;
 * - `server` (for `--local`, passed as `--server`): records the same way;
 * - `client` (passed as `--client`): prints the colour count for `-c`, else records its
 *   arguments and `MOSH_KEY`.
 */

/** Where Debian's Perl wrapper is installed. */
export const MOSH_SCRIPT = "/usr/bin/mosh";

/** The environment variables a stand-in records (absent ones as null). */
export const RECORDED_ENV = [
  "SHELL",
  "SSH_CONNECTION",
  "MOSH_PREDICTION_DISPLAY",
  "MOSH_CLIENT_PID",
  "MOSH_KEY",
] as const;

/** How a stand-in was run: its arguments (without its own name) and some of its environment. */
export interface Recorded {
  argv: string[];
  env: Record<string, string | null>;
}

/** What one run of mosh did. */
export interface MoshRun {
  code: number;
  stdout: string;
  stderr: string;
  ssh?: Recorded;
  server?: Recorded;
  client?: Recorded;
}

/** What a run is given. */
export interface MoshRunOptions {
  /** mosh's arguments (`--client` is added; `--server` too when `local`). */
  args: string[];
  /** The environment besides PATH and HOME. */
  env?: Record<string, string>;
  /** What the stand-in client prints for `-c`. */
  colors?: string;
  /** Lines the stand-in ssh prints to its stdout, each with a newline. */
  lines?: string[];
  /** The stand-in ssh's exit status. */
  sshStatus?: number;
  /** The arguments hold `--local`: pass the stand-in server. */
  local?: boolean;
}

/** A stand-in's script: its argument count, arguments and environment, each NUL-ended. */
const recorder = (name: string) =>
  `#!/bin/sh\n{ printf '%s\\0' "$#"; for a in "$@"; do printf '%s\\0' "$a"; done; env -0; } ` +
  `> "$REC_DIR/${name}.rec"\n`;

/** Runs Debian's mosh once in a fresh directory of stand-ins. */
export async function runDebianMosh(o: MoshRunOptions): Promise<MoshRun> {
  const dir = await Deno.makeTempDir({ prefix: "denomosh-rec-" });
  try {
    const write = (name: string, body: string) =>
      Deno.writeTextFile(`${dir}/${name}`, body, { mode: 0o755 });
    await write(
      "ssh",
      recorder("ssh") +
        `cat "$REC_DIR/lines"\nexit ${o.sshStatus ?? 1}\n`,
    );
    await write("server", recorder("server") + "exit 1\n");
    await write(
      "client",
      `#!/bin/sh\nif [ "$1" = -c ]; then echo '${o.colors ?? "256"}'; exit 0; fi\n` +
        recorder("client") + "exit 0\n",
    );
    await Deno.writeTextFile(`${dir}/lines`, (o.lines ?? []).map((l) => l + "\n").join(""));
    const args = [
      `--client=${dir}/client`,
      ...(o.local ? [`--server=${dir}/server`] : []),
    ];
    const r = await new Deno.Command(MOSH_SCRIPT, {
      args: [...args, ...o.args],
      env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, REC_DIR: dir, ...o.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      code: r.code,
      stdout: decode(r.stdout),
      stderr: decode(r.stderr),
      ssh: await read(`${dir}/ssh.rec`),
      server: await read(`${dir}/server.rec`),
      client: await read(`${dir}/client.rec`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function read(path: string): Promise<Recorded | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
  const fields = text.split("\0").slice(0, -1);
  const n = Number(fields[0]);
  const env: Record<string, string | null> = {};
  for (const name of RECORDED_ENV) env[name] = null;
  for (const f of fields.slice(1 + n)) {
    const eq = f.indexOf("=");
    const name = f.slice(0, eq);
    if ((RECORDED_ENV as readonly string[]).includes(name)) env[name] = f.slice(eq + 1);
  }
  return { argv: fields.slice(1, 1 + n), env };
}

/** The inputs of one row of the ssh table. */
export interface SshInput {
  name: string;
  /** mosh's arguments; `--ssh`'s first word, if given, is `ssh`. */
  args: string[];
  /** The environment besides PATH and HOME. */
  env: Record<string, string>;
  /** What `mosh-client -c` prints; 256 when absent. */
  colors?: string;
  /** `[user@]host` as ssh gets it where mosh resolves it (`--experimental-remote-ip=local`). */
  userhost?: string;
  /** The arguments hold `--local`: `argv` is then what the server was given. */
  local?: boolean;
}

/** A row of the ssh table: its inputs and what mosh ran. */
export interface SshCase extends SshInput {
  /** The starter's (ssh's, or the local server's) arguments after its own name. */
  argv: string[];
  /** These variables as the starter got them (MOSH_CLIENT_PID: "set" when it was). */
  starterEnv: Record<
    "SHELL" | "SSH_CONNECTION" | "MOSH_PREDICTION_DISPLAY" | "MOSH_CLIENT_PID",
    string | null
  >;
}

/** Runs mosh for one row of the ssh table. */
export async function recordSshCase(input: SshInput): Promise<SshCase> {
  const r = await runDebianMosh({ ...input });
  const rec = input.local ? r.server : r.ssh;
  if (!rec) throw new Error(`${input.name}: mosh started nothing: ${r.stderr}`);
  const e = rec.env;
  return {
    ...input,
    argv: rec.argv,
    starterEnv: {
      SHELL: e.SHELL,
      SSH_CONNECTION: e.SSH_CONNECTION,
      MOSH_PREDICTION_DISPLAY: e.MOSH_PREDICTION_DISPLAY,
      MOSH_CLIENT_PID: e.MOSH_CLIENT_PID === null ? null : "set",
    },
  };
}

/** The inputs of one row of the bootstrap table. */
export interface BootstrapInput {
  name: string;
  /** mosh's arguments (a host, maybe `-p` or `--experimental-remote-ip=local`). */
  args: string[];
  /** What ssh prints. */
  lines: string[];
}

/** A row of the bootstrap table: its inputs and what mosh did with the lines. */
export interface BootstrapCase extends BootstrapInput {
  /** What mosh printed on stdout (the lines it showed) and on stderr (warnings, errors). */
  stdout: string;
  stderr: string;
  /** The client's address, port and key, when mosh started it. */
  client: { ip: string; port: string; key: string } | null;
}

/** Runs mosh for one row of the bootstrap table. */
export async function recordBootstrapCase(input: BootstrapInput): Promise<BootstrapCase> {
  const r = await runDebianMosh({
    args: input.args,
    env: { LANG: "C.UTF-8" },
    lines: input.lines,
    sshStatus: 0,
  });
  const c = r.client;
  return {
    ...input,
    stdout: r.stdout,
    stderr: r.stderr,
    client: c ? { ip: c.argv[1], port: c.argv[2], key: c.env.MOSH_KEY ?? "" } : null,
  };
}

/**
 * When the host has no mosh-server, `mosh` looks for ours in `~/.local/bin` there and, if it is
 * missing or older, installs it (docs/install.md): one ssh session probes the host
 * (cli/remote_scripts.ts), the user is asked (or `--install-server` says yes), and one more
 * ssh session carries the copy (cli/server_payload.ts), gzip'd when the host has gzip, with a
 * progress bar on a terminal, checked by sha256 there before anything is made executable and
 * renamed into place. Both sessions use the user's own `--ssh` command. The decisions are
 * cli/install_plan.ts's; this module runs them.
 *
 * Every failure ends in one line that says why, and a non-zero exit.
 *
 * @module
 */

import type { MoshOptions } from "./mosh_options.ts";
import {
  choosePieces,
  type HostFacts,
  hostUnfit,
  installerError,
  megabytes,
  nextStep,
  parseProbe,
  REMOTE_SERVER,
  unamePlatform,
} from "./install_plan.ts";
import { INSTALL_ERROR, installCommand, INSTALLED, probeCommand } from "./remote_scripts.ts";
import { estimateSize, gatherPayload, type PayloadFile, tarStream } from "./server_payload.ts";
import { ProgressBar } from "./progress_bar.ts";
import { runMode } from "./self.ts";
import { VERSION } from "./version.ts";
import { writeAll } from "./output.ts";

const out = (text: string) => writeAll(Deno.stdout, text);
const err = (text: string) => writeAll(Deno.stderr, text);

/** What finding or installing the server needs from `mosh`. */
export interface InstallContext {
  /** The program's name for messages. */
  argv0: string;
  /** The parsed command line: `--ssh` and `--install-server`/`--no-install-server`. */
  options: MoshOptions;
  /** `[user@]host` as ssh gets it. */
  userhost: string;
  /** today's message for a missing server (cli/mosh.ts), printed when nothing is installed. */
  missing: string;
}

/** The host's name without the user, for messages. */
function hostName(userhost: string): string {
  return userhost.replace(/^.*@/, "");
}

/** The ssh command line that runs `command` on the host with no terminal. */
function sshCommand(o: MoshOptions, userhost: string, command: string): string[] {
  return [...o.ssh, "-T", userhost, "--", command];
}

/** Reads a stream to its end as text. */
async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder().decode(await new Response(stream).arrayBuffer());
}

/** Shows what ssh said on stderr, when a step failed. */
function showSsh(stderr: string): void {
  const said = stderr.trim();
  if (said) err(said + "\n");
}

/** Asks a yes/no question on the terminal; no unless the answer starts with y. */
async function ask(question: string): Promise<boolean> {
  out(question);
  const buf = new Uint8Array(256);
  const n = await Deno.stdin.read(buf);
  if (n === null) {
    out("\n");
    return false;
  }
  return /^\s*y/i.test(new TextDecoder().decode(buf.subarray(0, n)));
}

/** Runs the probe over ssh; the facts, or the status to exit with (its message printed). */
async function probe(ctx: InstallContext): Promise<HostFacts | { status: number }> {
  const [cmd, ...args] = sshCommand(ctx.options, ctx.userhost, probeCommand());
  let r: Deno.CommandOutput;
  try {
    r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    err(`${ctx.argv0}: cannot run ${cmd}: ${e instanceof Error ? e.message : e}\n`);
    return { status: 1 };
  }
  const facts = parseProbe(new TextDecoder().decode(r.stdout));
  if (facts) return facts;
  showSsh(new TextDecoder().decode(r.stderr));
  err(
    `${ctx.argv0}: could not look for mosh-server in ~/.local/bin on ${hostName(ctx.userhost)}` +
      ` (ssh exit status ${r.code})\n`,
  );
  return { status: 1 };
}

/**
 * Finds our server in ~/.local/bin on the host, or installs it there.
 * @returns the `--server` to start the session with, or the status to exit with (its message
 *   printed)
 */
export async function findOrInstallServer(
  ctx: InstallContext,
): Promise<{ server: string } | { status: number }> {
  const host = hostName(ctx.userhost);
  const cannot = (why: string) => {
    err(`${ctx.argv0}: cannot install mosh-server on ${host}: ${why}\n`);
    return { status: 1 };
  };
  const facts = await probe(ctx);
  if ("status" in facts) return facts;
  const next = nextStep(facts, VERSION);
  if (next.do === "use") return { server: REMOTE_SERVER };
  if (next.do === "refuse") return cannot(next.reason);

  // An install, or an upgrade of an older one: said yes to, asked, or declined.
  const o = ctx.options;
  if (o.attach !== undefined && next.from === undefined) {
    err(ctx.missing); // a new server has no session to take over
    return { status: 1 };
  }
  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const willAsk = o.installServer === undefined && interactive;
  if (o.installServer !== true && !willAsk) {
    // Not to be asked: an older server of ours still serves; none is today's error.
    if (next.from !== undefined) return { server: REMOTE_SERVER };
    err(ctx.missing.replace(/\n$/, "") + " Or let mosh install ours: --install-server\n");
    return { status: 1 };
  }

  // What would be copied, and whether the host can take it, before anyone is asked.
  const local = {
    mode: runMode(),
    platform: unamePlatform(Deno.build.os, Deno.build.arch),
    deno: Deno.version.deno,
  };
  const chosen = choosePieces(local, facts);
  const pieces = "pieces" in chosen ? chosen.pieces : [];
  const unfit = "refuse" in chosen ? chosen.refuse : hostUnfit(facts, await estimateSize(pieces));
  if (unfit !== null) {
    if (next.from === undefined) return cannot(unfit);
    err(`${ctx.argv0}: cannot upgrade mosh-server on ${host}: ${unfit}; using ${next.from}\n`);
    return { server: REMOTE_SERVER };
  }
  if (willAsk) {
    const yes = await ask(
      next.from === undefined
        ? `mosh-server was not found on ${host}. ` +
          "Install denomosh's server into ~/.local/bin there? [y/N] "
        : `${host} has denomosh's mosh-server ${next.from} in ~/.local/bin. ` +
          `Upgrade it to ${VERSION}? [y/N] `,
    );
    if (!yes && next.from !== undefined) return { server: REMOTE_SERVER };
    if (!yes) {
      err(`${ctx.argv0}: mosh-server was not found on ${host}, and was not installed.\n`);
      return { status: 1 };
    }
  }
  const work = await Deno.makeTempDir({ prefix: "denomosh-install-" });
  try {
    let files: PayloadFile[];
    try {
      files = await gatherPayload(pieces, work);
    } catch (e) {
      return cannot(e instanceof Error ? e.message : String(e));
    }
    const size = files.reduce((n, f) => n + f.size, 0);
    const unfitNow = hostUnfit(facts, size);
    if (unfitNow) return cannot(unfitNow);
    const copied = await copy(ctx, facts, files);
    if ("error" in copied) return cannot(copied.error);
    err(
      `${ctx.argv0}: installed denomosh's mosh-server ${VERSION} in ~/.local/bin on ${host} ` +
        `(${megabytes(size)}, ${megabytes(copied.sent)} sent, ` +
        `${(copied.ms / 1000).toFixed(1)} s)\n`,
    );
    return { server: REMOTE_SERVER };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** The outcome of a copy: bytes sent and the time it took, or why it failed. */
export type CopyResult = { sent: number; ms: number } | { error: string };

/**
 * Sends `files` to the installer over one ssh session, with a progress bar on a terminal.
 */
async function copy(
  ctx: InstallContext,
  facts: HostFacts,
  files: readonly PayloadFile[],
): Promise<CopyResult> {
  const command = installCommand(facts.gzip, facts.checksum!, files);
  const [cmd, ...args] = sshCommand(ctx.options, ctx.userhost, command);
  const start = Date.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
  } catch (e) {
    return { error: `cannot run ${cmd}: ${e instanceof Error ? e.message : e}` };
  }
  const said = text(child.stdout);
  const sshErr = text(child.stderr);
  const total = files.reduce((n, f) => n + f.size, 0);
  const bar = Deno.stderr.isTerminal()
    ? new ProgressBar({
      label: `mosh-server to ${hostName(ctx.userhost)}`,
      total,
      columns: () => {
        try {
          return Deno.consoleSize().columns;
        } catch {
          return 80;
        }
      },
      write: (t) => err(t),
      startMs: start,
    })
    : undefined;
  let done = 0, sent = 0;
  const tar = tarStream(files, (n) => {
    done += n;
    bar?.update(done, Date.now());
  });
  const gzip = new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
  const stream = facts.gzip ? tar.pipeThrough(gzip) : tar;
  const writer = child.stdin.getWriter();
  let broken: unknown;
  try {
    for await (const chunk of stream) {
      await writer.write(chunk);
      sent += chunk.length;
    }
    await writer.close();
  } catch (e) {
    broken = e;
    await writer.abort().catch(() => {});
  }
  const status = await child.status;
  const [stdout, stderr] = await Promise.all([said, sshErr]);
  if (bar) bar.finish(Date.now());
  if (stdout.split("\n").some((l) => l.replace(/\r$/, "") === INSTALLED) && status.success) {
    return { sent, ms: Date.now() - start };
  }
  if (broken !== undefined && !(broken instanceof Deno.errors.BrokenPipe)) {
    // Our side failed (a file changed as it was read): the host saw a cut stream.
    const why = broken instanceof Error ? broken.message : String(broken);
    return { error: `${why}; nothing was installed` };
  }
  const error = stdout.split("\n").find((l) => l.startsWith(INSTALL_ERROR + " "));
  if (error) {
    const [, kind, ...detail] = error.replace(/\r$/, "").split(" ");
    return { error: installerError(kind, detail.join(" ")) };
  }
  showSsh(stderr);
  const how = status.signal ? `was killed by ${status.signal}` : `exited with ${status.code}`;
  return { error: `ssh ${how} during the copy; nothing was installed` };
}

/**
 * `mosh-server list` and `mosh-server attach`: the sessions of this user on this machine, and
 * taking one over under a fresh key.
 *
 * ```
 * mosh-server list
 * mosh-server attach [PID] [-s] [-i LOCALADDR] [-p PORT[:PORT2]]
 * ```
 *
 * `list` prints one line per session: pid, state, when it started, when a client was last
 * heard and from where, and what it runs. `attach` without a PID takes the one detached
 * session (see `isDetached` in `server/control_protocol.ts`); with several it prints them and
 * "choose one with `mosh-server attach PID`", with none it says so, and both exit 1. With a
 * PID it takes that session whatever its state: a session in use is taken over. On success it
 * prints what `mosh-server new` prints (`cli/connect_message.ts`), so mosh's script and
 * `cli/mosh.ts` read it the same way. `-s`, `-i` and `-p` mean what they mean to `new`, for
 * the new port; `-c`, `-l` and `-v` are accepted and ignored, so the options a client gives
 * `new` can be given here unchanged (the session's terminal and locale are set already).
 *
 * @module
 */

import { parsePortRange, sshLocalIp } from "./server_options.ts";
import { printConnect } from "./connect_message.ts";
import { writeAll } from "./output.ts";
import { printable } from "../core/terminal/printable.ts";
import { versionBanner } from "./version.ts";
import { findSessionDir, SessionDirError, sessionSockets } from "../io/session_dir.ts";
import { SystemError } from "../io/libc.ts";
import { listSessions, requestAttach, type SessionEntry } from "../server/control_client.ts";
import { type AttachRequest, isDetached } from "../server/control_protocol.ts";

/** The usage lines of both commands. */
export function sessionUsage(argv0: string): string {
  return `Usage: ${argv0} list\n` +
    `       ${argv0} attach [PID] [-s] [-i LOCALADDR] [-p PORT[:PORT2]]\n`;
}

/** Text to print and a status to exit with. */
export interface Exit {
  exit: number;
  stdout: string;
  stderr: string;
}

/** What `attach`'s arguments ask for. */
export interface AttachArgs {
  /** The session to take; the one detached session if absent. */
  pid?: number;
  request: AttachRequest;
  /** Lines for stderr (an unparsable SSH_CONNECTION for -s). */
  warnings: string[];
}

/**
 * Parses `attach`'s arguments (after the word "attach"). Options and the PID may come in any
 * order; flags may be clustered and option values attached (`-p60001`), as getopt allows.
 * @param env the environment, for -s (SSH_CONNECTION)
 */
export function parseAttachArgs(
  args: string[],
  env: Record<string, string | undefined> = {},
  argv0 = "mosh-server",
): AttachArgs | Exit {
  const fail = (message: string): Exit => ({
    exit: 1,
    stdout: "",
    stderr: `${argv0}: ${message}\n${sessionUsage(argv0)}`,
  });
  const result: AttachArgs = { request: {}, warnings: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") return { exit: 0, stdout: sessionUsage(argv0), stderr: "" };
    if (a === "--version") return { exit: 0, stdout: versionBanner("mosh-server"), stderr: "" };
    if (a === "--") return fail("attach takes no command");
    if (!a.startsWith("-") || a === "-") {
      if (!/^[1-9]\d{0,9}$/.test(a)) return fail(`Not a session pid: ${a}`);
      if (result.pid !== undefined) return fail(`Only one session pid, got ${result.pid} and ${a}`);
      result.pid = Number(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const flag = a[j];
      if ("ipcl".includes(flag)) {
        let value = a.slice(j + 1);
        if (value === "") {
          if (i + 1 >= args.length) return fail(`option requires an argument -- '${flag}'`);
          value = args[++i];
        }
        if (flag === "i") result.request.ip = value;
        if (flag === "p") {
          const range = parsePortRange(value);
          if (typeof range === "string") return fail(`${range}\nBad UDP port range (${value})`);
          result.request.ports = { low: range[0], high: range[1] };
        }
        break;
      } else if (flag === "s") {
        const s = sshLocalIp(env.SSH_CONNECTION);
        if (s.ip === undefined) delete result.request.ip;
        else result.request.ip = s.ip;
        if (s.warning) result.warnings.push(s.warning);
      } else if (flag !== "v") {
        return fail(`invalid option -- '${flag}'`);
      }
    }
  }
  return result;
}

/** "12 s ago", "5 min ago", "3 h ago", "2 days ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return `${days} day${days === 1 ? "" : "s"} ago`;
}

/** "2026-11-24 14:03" in local time. */
export function localTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The table `list` prints (and `attach` when it cannot choose), one line per session. */
export function formatSessionTable(entries: SessionEntry[], now: number): string {
  const rows = [["PID", "STATE", "STARTED", "LAST CONTACT", "CLIENT", "COMMAND"]];
  for (const { pid, info, problem } of entries) {
    if (info === null) {
      rows.push([String(pid), "unknown", "?", "?", "?", printable(`(${problem ?? "no answer"})`)]);
      continue;
    }
    rows.push([
      String(pid),
      isDetached(info, now) ? "detached" : "attached",
      localTime(info.started),
      info.lastContact === null ? "never" : ago(now - info.lastContact),
      info.lastClient === null ? "-" : printable(info.lastClient),
      printable(info.command),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => c === r.length - 1 ? cell : cell.padEnd(widths[c])).join("  "))
    .join("\n") + "\n";
}

/** Runs `list` or `attach` (`args[0]`) and returns the exit status. */
export async function sessionCommandMain(
  args: string[],
  env: Record<string, string> = Deno.env.toObject(),
  argv0 = "mosh-server",
): Promise<number> {
  const done = (e: Exit) => {
    writeAll(Deno.stdout, e.stdout);
    writeAll(Deno.stderr, e.stderr);
    return e.exit;
  };
  const [command, ...rest] = args;
  let parsed: AttachArgs | null = null;
  if (command === "attach") {
    const p = parseAttachArgs(rest, env, argv0);
    if ("exit" in p) return done(p);
    parsed = p;
    for (const w of parsed.warnings) writeAll(Deno.stderr, w + "\n");
  } else if (rest.length > 0) {
    const help = rest[0] === "--help" || rest[0] === "-h";
    const bad = `${argv0}: list takes no arguments, got ${rest.join(" ")}\n`;
    return done({
      exit: help ? 0 : 1,
      stdout: help ? sessionUsage(argv0) : "",
      stderr: help ? "" : bad + sessionUsage(argv0),
    });
  }

  try {
    const dir = findSessionDir(env);
    if (parsed !== null) return await attach(dir, parsed, argv0);
    const entries = dir === null ? [] : await listSessions(dir);
    if (entries.length === 0) {
      return done({ exit: 0, stdout: "No mosh sessions of yours here.\n", stderr: "" });
    }
    return done({ exit: 0, stdout: formatSessionTable(entries, Date.now()), stderr: "" });
  } catch (e) {
    // A refused directory, or one that cannot be read: said plainly, without a stack.
    const message = e instanceof SessionDirError || e instanceof Deno.errors.PermissionDenied ||
        e instanceof SystemError
      ? e.message
      : String(e instanceof Error ? e.stack : e);
    return done({ exit: 1, stdout: "", stderr: `${argv0}: ${message}\n` });
  }
}

/** `attach`: chooses the session, asks it for a new connection, prints MOSH CONNECT. */
async function attach(dir: string | null, args: AttachArgs, argv0: string): Promise<number> {
  const fail = (text: string) => {
    writeAll(Deno.stderr, text);
    return 1;
  };
  let target: { pid: number; path: string };
  if (args.pid !== undefined) {
    const found = dir === null ? undefined : sessionSockets(dir).find((s) => s.pid === args.pid);
    if (!found) {
      return fail(`${argv0}: no session of yours with pid ${args.pid} here (see ${argv0} list)\n`);
    }
    target = found;
  } else {
    const entries = dir === null ? [] : await listSessions(dir);
    const now = Date.now();
    const detached = entries.filter((e) => e.info !== null && isDetached(e.info, now));
    if (detached.length === 1) target = detached[0];
    else if (detached.length > 1) {
      // For `mosh --attach`, which asks the user (or fails with the table when it cannot).
      writeAll(Deno.stdout, `MOSH CHOOSE ${detached.map((d) => d.pid).join(" ")}\n`);
      return fail(
        `${argv0}: ${detached.length} detached sessions here; ` +
          `choose one with \`${argv0} attach PID\`:\n${formatSessionTable(detached, now)}`,
      );
    } else if (entries.length === 0) {
      return fail(`${argv0}: no mosh session of yours here to attach to\n`);
    } else {
      return fail(
        `${argv0}: no detached session here; take one over with \`${argv0} attach PID\`:\n` +
          formatSessionTable(entries, now),
      );
    }
  }
  // Who attaches, for the notice the old client gets: the ssh client's address, if any.
  const from = Deno.env.get("SSH_CONNECTION")?.split(" ")[0];
  const answer = await requestAttach(target.path, from ? { ...args.request, from } : args.request);
  if ("error" in answer) return fail(answer.error.map((l) => `${argv0}: ${l}\n`).join(""));
  for (const m of answer.messages ?? []) writeAll(Deno.stderr, m + "\n");
  printConnect({ port: answer.port, key: answer.key, pid: target.pid });
  return 0;
}

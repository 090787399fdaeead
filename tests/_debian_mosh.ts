/**
 * Helpers for tests that run Debian's mosh 1.4.0 as a reference peer.
 *
 * When `/usr/bin/mosh-server` is missing these tests are skipped with a printed reason, unless
 * `DENOMOSH_REQUIRE_MOSH=1` (set by .ci/run), which makes a missing mosh a failure.
 */

/** Where Debian installs mosh. */
export const MOSH_SERVER = "/usr/bin/mosh-server";
export const MOSH_CLIENT = "/usr/bin/mosh-client";

function installed(): boolean {
  try {
    return Deno.statSync(MOSH_SERVER).isFile;
  } catch {
    return false;
  }
}

/** Whether a test needing Debian's mosh should be ignored here (and says why once). */
export const moshMissing: boolean = (() => {
  if (installed()) return false;
  if (Deno.env.get("DENOMOSH_REQUIRE_MOSH") === "1") return false; // run, and fail loudly
  console.warn(
    `skipped: interop tests need Debian's mosh 1.4.0 at ${MOSH_SERVER} ` +
      "(apt-get install mosh); .ci/run installs it",
  );
  return true;
})();

/** A started Debian `mosh-server new`. */
export interface DebianServer {
  port: number;
  key: string;
  pid: number;
  /** Kills the detached daemon if it is still running. */
  stop(): void;
}

/** Runs `mosh-server new` on loopback with `args` and the command after `--`. */
export async function startDebianServer(
  args: string[],
  command: string[],
  env: Record<string, string> = {},
): Promise<DebianServer> {
  const out = await new Deno.Command(MOSH_SERVER, {
    args: ["new", "-i", "127.0.0.1", "-p", "0", ...args, "--", ...command],
    env: { LANG: "C.UTF-8", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const m = stdout.match(/MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})/);
  const pid = Number(stderr.match(/detached, pid = (\d+)/)?.[1]);
  if (!m || !pid) throw new Error(`mosh-server did not start:\n${stdout}\n${stderr}`);
  return {
    port: Number(m[1]),
    key: m[2],
    pid,
    stop() {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already exited
      }
    },
  };
}

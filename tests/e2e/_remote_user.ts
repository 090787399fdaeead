/**
 * A second, unprivileged user to ssh into, for the tests of installing our server on a host
 * (tests/e2e/install_server_test.ts): `denomosh-inst`, made with useradd when absent (needs
 * root). Its login shell is a small script in its home that sets the PATH, as a user's profile
 * would, and runs /bin/sh: the PATH is a directory of links to everything in /usr/bin except
 * mosh, mosh-client and mosh-server (Debian's mosh is installed on this machine, and the host
 * of these tests must have none) and without those a test hides (deno, gzip), after `~/shim`,
 * where a test puts its shims (a `uname` that lies). Every test starts from a fresh, empty home.
 */

import { dirname } from "node:path";
import type { Sshd } from "./_sshd.ts";

/** The user's name. */
export const REMOTE_USER = "denomosh-inst";
/** Its home. */
export const REMOTE_HOME = `/home/${REMOTE_USER}`;

/** Why the tests that need the second user cannot run here, or null. */
export function remoteUserUnavailable(): string | null {
  if (Deno.uid() !== 0) return "skipped: the second user is made with useradd, as root";
  for (const tool of ["/usr/sbin/useradd", "/usr/bin/setpriv"]) {
    try {
      Deno.statSync(tool);
    } catch {
      return `skipped: ${tool} is missing`;
    }
  }
  return null;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function run(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")}: ${text(r.stderr)}`);
  return text(r.stdout);
}

/** The user's ids, made if absent. */
async function ensureUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => {
    const r = await new Deno.Command("id", { args: [flag, REMOTE_USER], stderr: "null" })
      .output();
    return r.success ? Number(text(r.stdout).trim()) : null;
  };
  if (await id("-u") === null) {
    const made = await new Deno.Command("useradd", {
      args: [
        "--user-group",
        "--no-create-home",
        "--home-dir",
        REMOTE_HOME,
        "--shell",
        `${REMOTE_HOME}/.login-shell`,
        REMOTE_USER,
      ],
      stderr: "piped",
    }).output();
    if (await id("-u") === null) throw new Error(`useradd: ${text(made.stderr)}`);
  }
  // "*": no password, but not locked ("!"), which sshd would refuse without PAM.
  await run("usermod", [
    "--shell",
    `${REMOTE_HOME}/.login-shell`,
    "--home",
    REMOTE_HOME,
    "--password",
    "*",
    REMOTE_USER,
  ]);
  return { uid: (await id("-u"))!, gid: (await id("-g"))! };
}

/** A directory of links to /usr/bin's programs, without mosh's and those in `hide`. */
async function systemBin(dir: string, hide: readonly string[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const hidden = new Set(["mosh", "mosh-client", "mosh-server", ...hide]);
  for await (const e of Deno.readDir("/usr/bin")) {
    if (!hidden.has(e.name)) await Deno.symlink(`/usr/bin/${e.name}`, `${dir}/${e.name}`);
  }
  await Deno.chmod(dir, 0o755);
}

/** The second user, ready to be logged into through `sshd`. */
export interface RemoteUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /**
   * Empties the home and writes the login shell: PATH is ~/shim, then the system's programs
   * without mosh's and without those in `hide` (like deno or gzip).
   */
  reset(options?: { hide?: readonly string[] }): Promise<void>;
  /** Puts an executable script `name` in ~/shim. */
  shim(name: string, script: string): Promise<void>;
  /** Runs a shell command as the user, through its login shell (its PATH). */
  sh(command: string): Promise<{ code: number; out: string }>;
  /** Removes the directories made for it (not the user). */
  close(): Promise<void>;
}

/** The second user, who can log in to `sshd` with its key. */
export async function remoteUser(sshd: Sshd): Promise<RemoteUser> {
  const { uid, gid } = await ensureUser();
  // sshd reads the authorized keys as the user logging in.
  const keys = dirname(sshd.key);
  await Deno.chmod(keys, 0o755);
  await Deno.chmod(`${keys}/authorized_keys`, 0o644);
  const bins = await Deno.makeTempDir({ prefix: "denomosh-inst-bin-" });
  await Deno.chmod(bins, 0o755);
  const variants = new Map<string, string>();
  const binFor = async (hide: readonly string[]) => {
    const key = [...hide].sort().join(",");
    if (!variants.has(key)) {
      const dir = `${bins}/${variants.size}`;
      await systemBin(dir, hide);
      variants.set(key, dir);
    }
    return variants.get(key)!;
  };
  const chown = (path: string) => Deno.chown(path, uid, gid);
  return {
    name: REMOTE_USER,
    uid,
    gid,
    home: REMOTE_HOME,
    async reset(options = {}) {
      await Deno.remove(REMOTE_HOME, { recursive: true }).catch(() => {});
      await Deno.mkdir(`${REMOTE_HOME}/shim`, { recursive: true });
      const path = `${REMOTE_HOME}/shim:${await binFor(options.hide ?? [])}`;
      await Deno.writeTextFile(
        `${REMOTE_HOME}/.login-shell`,
        `#!/bin/sh\nPATH=${path}\nexport PATH\nexec /bin/sh "$@"\n`,
        { mode: 0o755 },
      );
      await chown(REMOTE_HOME);
      await chown(`${REMOTE_HOME}/shim`);
    },
    async shim(name, script) {
      await Deno.writeTextFile(`${REMOTE_HOME}/shim/${name}`, script, { mode: 0o755 });
    },
    async sh(command) {
      const r = await new Deno.Command("setpriv", {
        args: [
          `--reuid=${uid}`,
          `--regid=${gid}`,
          "--clear-groups",
          `${REMOTE_HOME}/.login-shell`,
          "-c",
          command,
        ],
        env: { HOME: REMOTE_HOME },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: r.code, out: text(r.stdout) + text(r.stderr) };
    },
    async close() {
      await Deno.remove(bins, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A real OpenSSH server for bootstrap tests: Debian's /usr/sbin/sshd on a free loopback port
 * (2222 when free), with a host key and a user key made for the test in a temporary directory
 * and accepted for the current user. `close()` stops it and removes the directory.
 */

/** Where Debian installs sshd. */
export const SSHD = "/usr/sbin/sshd";

/** Why sshd tests cannot run here, or null when they can. */
export function sshdUnavailable(): string | null {
  try {
    Deno.statSync(SSHD);
  } catch {
    return `skipped: ${SSHD} is missing (apt-get install openssh-server; .ci/run installs it)`;
  }
  if (Deno.uid() !== 0) return "skipped: sshd tests start sshd as root (its privilege separation)";
  return null;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** A loopback TCP port that nothing listens on at the moment of asking. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Whether something accepts connections on loopback `port` (probing by binding would race sshd). */
async function accepting(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes the config for `port` and starts sshd; waits until it accepts connections, or exits, or
 * 10 s pass. On failure the child is gone and `stderr` says what it printed.
 */
async function launch(
  dir: string,
  port: number,
): Promise<{ child: Deno.ChildProcess; listening: boolean; stderr: string }> {
  await Deno.writeTextFile(
    `${dir}/sshd_config`,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      "StrictModes no",
      "UsePAM no",
      "PermitRootLogin yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PrintMotd no",
      "LogLevel ERROR",
      // As tests/e2e/_tmux.ts gives its panes: a login shell's `pyenv init` (root's, on the CI
      // machine) must not wait 60 s on a rehash lock that a killed shell left behind.
      "SetEnv PYENV_REHASH_TIMEOUT=0",
    ].join("\n") + "\n",
  );
  const child = new Deno.Command(SSHD, {
    args: ["-D", "-e", "-f", `${dir}/sshd_config`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!exited && Date.now() < deadline) {
    if (await accepting(port)) {
      // Make sure it is ours that answered, not another sshd that had the port first.
      await new Promise((r) => setTimeout(r, 100));
      if (!exited) return { child, listening: true, stderr: "" };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!exited) child.kill("SIGKILL");
  await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  return { child, listening: false, stderr: stderr.trim() || `nothing listened on ${port}` };
}

/** A running sshd. */
export interface Sshd {
  port: number;
  /** The private key that logs in. */
  key: string;
  /** An `--ssh=` value for mosh that reaches this sshd with that key. */
  sshCommand: string;
  close(): Promise<void>;
}

/** Starts sshd on loopback. */
export async function startSshd(): Promise<Sshd> {
  const dir = await Deno.makeTempDir({ prefix: "denomosh-sshd-" });
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/host_key`]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/user_key`]);
  await Deno.copyFile(`${dir}/user_key.pub`, `${dir}/authorized_keys`);
  await Deno.mkdir("/run/sshd", { recursive: true });
  // A port can be taken between our look and sshd's bind: then sshd exits, and we try another.
  let port = portFree(2222) ? 2222 : freePort();
  let sshd = await launch(dir, port);
  for (let attempt = 1; !sshd.listening; attempt++) {
    if (attempt === 3) throw new Error(`sshd did not start listening: ${sshd.stderr}`);
    port = freePort();
    sshd = await launch(dir, port);
  }
  const child = sshd.child;
  const key = `${dir}/user_key`;
  return {
    port,
    key,
    sshCommand:
      `ssh -p ${port} -i ${key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null`,
    async close() {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      await child.stderr.cancel().catch(() => {});
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

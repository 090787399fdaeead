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
  let port = 2222;
  if (!portFree(port)) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    port = (l.addr as Deno.NetAddr).port;
    l.close();
  }
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
    ].join("\n") + "\n",
  );
  const sshd = new Deno.Command(SSHD, {
    args: ["-D", "-e", "-f", `${dir}/sshd_config`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + 5000;
  while (portFree(port)) {
    if (Date.now() > deadline) throw new Error("sshd did not start listening");
    await new Promise((r) => setTimeout(r, 20));
  }
  const key = `${dir}/user_key`;
  return {
    port,
    key,
    sshCommand:
      `ssh -p ${port} -i ${key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null`,
    async close() {
      try {
        sshd.kill("SIGTERM");
      } catch {
        // gone
      }
      await sshd.stderr.cancel().catch(() => {});
      await sshd.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

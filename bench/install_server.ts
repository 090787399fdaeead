/**
 * What installing our server on a host costs (docs/install.md): the bundle's size, the copy's
 * size compressed and not, the copy's time on loopback, and how long the first connection
 * (which installs) and the next ones (which find it) take to reach a shell prompt, against a
 * connection that names the installed server with --server (no missing server, no probe).
 * Through a real sshd into the second user of tests/e2e/_remote_user.ts, with and without a
 * deno on the host's PATH (without: the runtime is copied too).
 *
 *   deno run -A bench/install_server.ts [rounds=3]
 *
 * Needs root (sshd, useradd). Prints medians.
 */
import { buildBundle } from "../cli/bundle.ts";
import { selfCommand } from "../cli/self.ts";
import { startSshd } from "../tests/e2e/_sshd.ts";
import { remoteUser } from "../tests/e2e/_remote_user.ts";
import { shellQuote, Tmux } from "../tests/e2e/_tmux.ts";

const rounds = Number(Deno.args[0] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

async function gzipSize(path: string): Promise<number> {
  const file = await Deno.open(path);
  const s = file.readable.pipeThrough(new CompressionStream("gzip"));
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
}

const work = await Deno.makeTempDir({ prefix: "denomosh-install-bench-" });
const bundle = `${work}/denomosh.js`;
let t = performance.now();
const bundleBytes = await buildBundle(bundle);
const bundleMs = performance.now() - t;
const runtime = Deno.execPath();
const runtimeBytes = (await Deno.stat(runtime)).size;
t = performance.now();
const [bundleGz, runtimeGz] = [await gzipSize(bundle), await gzipSize(runtime)];
const gzipMs = performance.now() - t;
console.log(
  `bundle: ${mb(bundleBytes)} (gzip ${mb(bundleGz)}), built in ${bundleMs.toFixed(0)} ms`,
);
console.log(
  `runtime: ${mb(runtimeBytes)} (gzip ${mb(runtimeGz)}); gzip of both ${gzipMs.toFixed(0)} ms`,
);

const sshd = await startSshd();
const user = await remoteUser(sshd);

/** Runs mosh in a terminal until the remote prompt; the time, and mosh's stderr. */
async function connect(options: string[]): Promise<{ ms: number; said: string }> {
  const self = selfCommand("mosh", [
    `--ssh=${sshd.sshCommand}`,
    ...options,
    `${user.name}@127.0.0.1`,
  ]);
  const log = `${work}/stderr`;
  const line = `${[self.cmd, ...self.args].map(shellQuote).join(" ")} 2>${shellQuote(log)}`;
  const start = performance.now();
  const tmux = await Tmux.start(`sh -c ${shellQuote(line + "; sleep 60")}`);
  try {
    await tmux.waitFor((s) => /^\$ *$/m.test(s), 180_000, "a prompt");
    const ms = performance.now() - start;
    await tmux.keys("C-^");
    await tmux.type(".");
    await new Promise((r) => setTimeout(r, 500));
    return { ms, said: await Deno.readTextFile(log) };
  } finally {
    await tmux.close();
  }
}

try {
  for (const hide of [[], ["deno"]]) {
    const first: number[] = [], second: number[] = [], direct: number[] = [];
    let stats = "";
    for (let i = 0; i < rounds; i++) {
      await user.reset({ hide });
      const a = await connect(["--install-server"]);
      first.push(a.ms);
      stats = /\(([^)]*sent[^)]*)\)/.exec(a.said)?.[1] ?? a.said.trim();
      second.push((await connect([])).ms);
      direct.push((await connect(["--server=~/.local/bin/mosh-server"])).ms);
    }
    console.log(
      `\nhost ${hide.length ? "without" : "with"} deno: copy ${stats}\n` +
        `  to a prompt: first connection ${median(first).toFixed(0)} ms, ` +
        `next ${median(second).toFixed(0)} ms, with --server ${median(direct).toFixed(0)} ms ` +
        `(medians of ${rounds})`,
    );
  }
} finally {
  await user.close();
  await sshd.close();
  await Deno.remove(work, { recursive: true });
}

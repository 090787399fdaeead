/**
 * Soak: a real session kept busy and idle in turns for about ten minutes, with the resident
 * memory of mosh-server and mosh-client sampled as it goes. Memory must be flat: what a busy
 * period takes, the idle one after it must not keep adding to.
 *
 *   deno run -A bench/soak.ts [minutes=10]
 *
 * Not part of the test suite (it takes ten minutes); run it by hand and put its table in the
 * issue's note.
 */
import { Tmux } from "../tests/e2e/_tmux.ts";
import { clientCommand, clientPid, startServer } from "../tests/e2e/_programs.ts";

const minutes = Number(Deno.args[0] ?? 10);
const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], [
  "/bin/bash",
  "--norc",
  "--noprofile",
], {
  PS1: "$ ",
});
const tmux = await Tmux.start(clientCommand("ours", server));
await sleep(2000);
const client = clientPid(server.port);
const samples: { t: number; phase: string; server: number; client: number }[] = [];
const start = performance.now();
let phase = "idle";
const sampler = setInterval(() => {
  samples.push({
    t: (performance.now() - start) / 1000,
    phase,
    server: rssMb(server.pid),
    client: rssMb(client),
  });
}, 10_000);
try {
  for (let round = 0; (performance.now() - start) / 60_000 < minutes; round++) {
    phase = "busy";
    const busyUntil = performance.now() + 30_000;
    while (performance.now() < busyUntil) {
      await tmux.type(
        "seq 1 300000 | tail -c 100000; for i in $(seq 1 50); do echo typed $i; done",
      );
      await tmux.keys("Enter");
      await sleep(1500);
      await tmux.type("echo round " + round);
      await tmux.keys("Enter");
      await sleep(500);
    }
    phase = "idle";
    await sleep(30_000);
  }
} finally {
  clearInterval(sampler);
  await tmux.close();
  server.stop();
}
console.log("| t (s) | phase | server RSS (MB) | client RSS (MB) |");
console.log("| ---: | --- | ---: | ---: |");
for (const s of samples) {
  console.log(
    `| ${s.t.toFixed(0)} | ${s.phase} | ${s.server.toFixed(1)} | ${s.client.toFixed(1)} |`,
  );
}
const half = samples.slice(Math.floor(samples.length / 2));
const first = samples.slice(2, Math.floor(samples.length / 2));
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const who of ["server", "client"] as const) {
  const a = avg(first.map((s) => s[who])), b = avg(half.map((s) => s[who]));
  console.log(
    `${who}: mean RSS first half ${a.toFixed(1)} MB, second half ${b.toFixed(1)} MB (${
      ((b / a - 1) * 100).toFixed(1)
    }%)`,
  );
}

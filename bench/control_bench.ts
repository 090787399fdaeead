/**
 * The control socket's round trip: connect, send an info request, read the answer, close, as
 * `mosh-server list` does once per session; against a control endpoint in this process.
 *
 * `deno bench -A bench/control_bench.ts` (part of `deno task bench`).
 */
import { startControl } from "../server/control.ts";
import { sessionInfo } from "../server/control_client.ts";

const dir = Deno.makeTempDirSync({ prefix: "control-bench-" });
Deno.chmodSync(dir, 0o700);
const control = startControl({
  info: () => ({
    pid: Deno.pid,
    started: 0,
    command: "-bash",
    lastContact: null,
    lastClient: null,
  }),
  attach: () => Promise.resolve({ error: ["not in a benchmark"] }),
}, dir);

Deno.bench("control: connect, info request and answer, close", async () => {
  const info = await sessionInfo(control.path);
  if ("error" in info) throw new Error(info.error.join("\n"));
});

globalThis.addEventListener("unload", () => {
  control.close();
  Deno.removeSync(dir, { recursive: true });
});

/**
 * The runtime's floor for the side-by-side benchmark: what a bare `deno run` costs before any
 * code of ours runs, measured in the same run as the programs so that the ratios to it hold on
 * a machine whose load changes from one run to the next.
 *
 * - Start-up: launch to exit of `deno run` on an empty script, no configuration file, no
 *   permissions, as a user's shell would start it.
 * - Idle resident memory, all of it and the private part (`bench/_measure.ts`): a `deno run` of
 *   a script that only waits on a timer (an empty script exits before there is anything to
 *   read), sampled after the same settling time as the programs.
 *
 * Both run with the environment our programs run with under `deno run` (cli/self.ts
 * `RUN_ENV`: no look for a newer Deno, which costs a waiting process 3 MB), so that the floor
 * is the runtime's and not the CLI's.
 *
 * A second floor, the parts floor ({@link partsIdle}), is what the parts every session needs
 * hold on top: native AES, a UDP socket and the terminal emulator, loaded and waiting.
 *
 * @module
 */

import { RUN_ENV, sourceCommand } from "../cli/self.ts";
import { peakRssMb, privateMb, rssMb } from "./_measure.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A temporary directory with the two scripts, outside the repository (so no deno.json). */
function scripts(): { empty: string; waiting: string } {
  const dir = Deno.makeTempDirSync({ prefix: "denomosh-floor-" });
  const empty = `${dir}/empty.js`, waiting = `${dir}/waiting.js`;
  Deno.writeTextFileSync(empty, "");
  Deno.writeTextFileSync(waiting, "setTimeout(() => {}, 600_000);\n");
  return { empty, waiting };
}

let paths: { empty: string; waiting: string } | undefined;

/** Milliseconds from launch to exit of `deno run` on an empty script. */
export async function floorStartMs(): Promise<number> {
  paths ??= scripts();
  const t = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-config", paths.empty],
    env: RUN_ENV,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t;
  if (!r.success) {
    throw new Error(`deno run of an empty script failed:\n${new TextDecoder().decode(r.stderr)}`);
  }
  return ms;
}

/**
 * Resident memory, all and private, MB, of a bare `deno run` that waits, `settleMs` after its
 * launch.
 */
export function floorIdle(settleMs: number): Promise<Idle> {
  paths ??= scripts();
  return idleOf(["run", "--quiet", "--no-config", paths.waiting], settleMs);
}

/**
 * Resident memory of bench/_parts.ts: the parts every session of ours loads (native AES keyed,
 * a UDP socket, the terminal emulator) and nothing else, run as our programs run from source
 * (cli/self.ts: the same flags, configuration and environment). Set against the bare floor, it
 * is what those parts cost in this runtime; an idle program's figure above it is the
 * session's own. With `seq`, its emulator has read `seq 1 1000000`'s output first, and `peak`
 * is the least that flood takes a server to.
 */
export function partsIdle(settleMs: number, seq = false): Promise<Idle> {
  const script = new URL("./_parts.ts", import.meta.url).pathname;
  return idleOf(sourceCommand(script, seq ? ["seq"] : []).args, settleMs);
}

/** Resident memory of a process that waits: all of it, the part it alone holds, its peak, MB. */
export interface Idle {
  rss: number;
  private: number;
  peak: number;
}

/** Runs `deno` with `args`, reads its memory after `settleMs`, and kills it. */
async function idleOf(args: string[], settleMs: number): Promise<Idle> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: RUN_ENV,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await sleep(settleMs);
    return { rss: rssMb(child.pid), private: privateMb(child.pid), peak: peakRssMb(child.pid) };
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/** Removes the scripts. */
export function removeFloorScripts(): void {
  if (!paths) return;
  Deno.removeSync(paths.empty.slice(0, paths.empty.lastIndexOf("/")), { recursive: true });
  paths = undefined;
}

/**
 * `deno task bench:compare`: Debian's mosh 1.4.0 and ours, the same scenarios through the same
 * impairment proxy, interleaved (mosh, ours, mosh, ours, ...), as a table of medians with the
 * ratio ours / mosh's. Everything runs on loopback; the round trips are the proxy's delays.
 *
 * Resident memory and start-up are also set against the runtime's floor, a bare `deno run`
 * measured in the same run (bench/_floor.ts): the part of our figures that is Deno's, not ours.
 * The parts floor beside it (bench/_parts.ts) is a process that loads only the parts every
 * session needs (native AES, a UDP socket, the emulator) and waits: what they cost here.
 *
 *   deno task bench:compare [--quick] [--no-scrollback]
 *     [--only=echo,bulk,startup,rebind,idle,scrollback,micro,settled]
 *
 * `--quick` takes fewer samples (for a smoke run); the README's table comes from a full run.
 * `settled` runs only when named: it takes half an hour (see {@link settled}).
 * `--no-scrollback` runs ours with native scrollback off at both ends (mosh's behaviour) in
 * every scenario but `scrollback`, which sets the two side by side anyway.
 */
import {
  type Peer as Kind,
  ScreenSession,
  startSessionServer,
} from "../tests/e2e/_screen_session.ts";
import { waitGone } from "../tests/e2e/_programs.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import {
  cpuSecondsOver,
  median,
  peakRssMb,
  privateMb,
  rssMb,
  threadCpuSeconds,
} from "./_measure.ts";
import { floorIdle, floorStartMs, partsIdle, removeFloorScripts } from "./_floor.ts";
import { SCROLLBACK_OFF, scrollbackTable } from "./scrollback_compare.ts";

const quick = Deno.args.includes("--quick");
const noScrollback = Deno.args.includes("--no-scrollback");
/**
 * `--only=NAME[,NAME]` runs only those scenarios: echo, bulk, startup, rebind, idle,
 * scrollback (bench/scrollback_compare.ts), micro, and settled, which no run makes unasked.
 */
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const wanted = (name: string) => !only || only.includes(name);
/** Minutes an idle session runs before {@link settled} reads it. */
const SETTLED_MINUTES = quick ? 5 : 30;
/** How long {@link settled} reads CPU for, ms. */
const SETTLED_SPAN_MS = 120_000;
const KINDS: Kind[] = ["debian", "ours"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Whether the screen's text passes `test`. */
const onScreen = (test: (text: string) => boolean) => (fb: Framebuffer) => test(fb.toText());
const prompt = onScreen((screen) => /^\$ *$/m.test(screen));

/** A session of `kind` through the proxy with `oneWay` ms each way. */
function session(kind: Kind, opts: { oneWay?: number; predict?: string } = {}) {
  return ScreenSession.start({
    peer: kind,
    rtt: 2 * (opts.oneWay ?? 0),
    predict: opts.predict,
    ...(noScrollback && kind === "ours" ? SCROLLBACK_OFF : {}),
  });
}

/** The runtime's floors a row can be set against (bench/_floor.ts). */
type Floor = "rss" | "private" | "start";
const floors: Record<Floor, number[]> = { rss: [], private: [], start: [] };
/**
 * The parts floor's idle resident memory, all and private, and its peak after its emulator
 * read `seq 1 1000000`'s output, MB (bench/_parts.ts).
 */
const parts = { rss: [] as number[], private: [] as number[], seqPeak: [] as number[] };
/** How long a session settles after its prompt before idle figures are taken, ms. */
const SETTLE_MS = 4000;
/** How long after `seq` its resident memory is read again, ms. */
const AFTER_BULK_MS = 10_000;

interface Row {
  what: string;
  unit: string;
  values: Record<Kind, number[]>;
  better: "lower" | "higher";
  /** The floor this row is also set against, if any. */
  floor?: Floor;
}
const rows: Row[] = [];
function record(what: string, unit: string, kind: Kind, value: number, floor?: Floor): void {
  let row = rows.find((r) => r.what === what);
  if (!row) {
    rows.push(row = { what, unit, values: { debian: [], ours: [] }, better: "lower", floor });
  }
  row.values[kind].push(value);
}

/**
 * The floors, once a round: a bare `deno run`'s start-up (three launches) and idle memory, and
 * the idle memory of the parts every session loads.
 */
async function floor(): Promise<void> {
  for (let i = 0; i < 3; i++) floors.start.push(await floorStartMs());
  const idle = await floorIdle(SETTLE_MS);
  floors.rss.push(idle.rss);
  floors.private.push(idle.private);
  const p = await partsIdle(SETTLE_MS);
  parts.rss.push(p.rss);
  parts.private.push(p.private);
  if (wanted("bulk")) parts.seqPeak.push((await partsIdle(SETTLE_MS, true)).peak);
}

/** Keystroke to screen: type distinct letters at the prompt, time each echo. */
async function echo(kind: Kind, rtt: number, predict: string): Promise<void> {
  const s = await session(kind, { oneWay: rtt / 2, predict });
  try {
    await s.waitFor(prompt, 20_000, "the prompt");
    await sleep(Math.max(1000, 4 * rtt)); // let the round-trip estimate settle
    const n = quick ? 8 : 20;
    let line = "";
    for (let i = 0; i < n; i++) {
      line += "abcdefghijklmnopqrstuvwxyz"[i % 26];
      const want = `$ ${line}`;
      const t = s.type(line.at(-1)!);
      const at = await s.waitFor(onScreen((x) => x.includes(want)), 10_000, want);
      record(`echo, RTT ${rtt} ms, prediction ${predict}`, "ms", kind, at - t);
      await sleep(rtt + 100);
    }
  } finally {
    await s.close();
  }
}

/**
 * V8's worker threads (garbage collection and compilation off the main thread, named
 * "V8 DefaultWorker"): the part of a client's CPU that is the engine's, not our code's.
 */
const v8Thread = (name: string) => name.startsWith("V8 ");

/** seq 1 1000000: time to the screen, CPU, memory and traffic. */
async function bulk(kind: Kind): Promise<void> {
  const s = await session(kind);
  try {
    await s.waitFor(prompt, 20_000, "the prompt");
    await sleep(500);
    // The scheduler's nanoseconds, as for idle: a client's run is a few 10 ms ticks.
    const cpu0 = [threadCpuSeconds(s.server!.pid), threadCpuSeconds(s.pty.pid)];
    const v8Cpu0 = threadCpuSeconds(s.pty.pid, v8Thread);
    const traffic0 = structuredClone(s.proxy!.stats);
    const t = s.type("seq 1 1000000\r");
    const at = await s.waitFor(
      onScreen((x) => /^1000000 *\n\$ /m.test(x)),
      60_000,
      "the end of seq",
    );
    await sleep(300);
    record("seq 1 1000000 to the screen", "s", kind, (at - t) / 1000);
    record("  server CPU", "s", kind, threadCpuSeconds(s.server!.pid) - cpu0[0]);
    record("  client CPU", "s", kind, threadCpuSeconds(s.pty.pid) - cpu0[1]);
    record("  of it V8's own threads", "s", kind, threadCpuSeconds(s.pty.pid, v8Thread) - v8Cpu0);
    record("  server peak RSS", "MB", kind, peakRssMb(s.server!.pid), "rss");
    record("  client peak RSS", "MB", kind, peakRssMb(s.pty.pid), "rss");
    const st = s.proxy!.stats;
    record("  datagrams server→client", "", kind, st.s2c.datagrams - traffic0.s2c.datagrams);
    record("  datagrams client→server", "", kind, st.c2s.datagrams - traffic0.c2s.datagrams);
    record("  bytes server→client", "KB", kind, (st.s2c.bytes - traffic0.s2c.bytes) / 1024);
    // What a session keeps once the flood is over (the programs collect after 5 s of quiet).
    await sleep(AFTER_BULK_MS);
    record(`  server RSS ${AFTER_BULK_MS / 1000} s later`, "MB", kind, rssMb(s.server!.pid), "rss");
    record(`  client RSS ${AFTER_BULK_MS / 1000} s later`, "MB", kind, rssMb(s.pty.pid), "rss");
  } finally {
    await s.close();
  }
}

/**
 * Idle: traffic, CPU and resident memory over a quiet stretch, per minute. CPU is read from the
 * scheduler's nanosecond counters: the 10 ms ticks of /proc/<pid>/stat are too coarse for a
 * process that runs some milliseconds a minute.
 */
async function idle(kind: Kind): Promise<void> {
  const s = await session(kind);
  try {
    await s.waitFor(prompt, 20_000, "the prompt");
    await sleep(SETTLE_MS);
    const span = quick ? 15_000 : 30_000;
    const st0 = structuredClone(s.proxy!.stats);
    const [serverCpu, clientCpu] = await cpuSecondsOver([s.server!.pid, s.pty.pid], span);
    const per = 60_000 / span;
    const server = serverCpu * per;
    const client = clientCpu * per;
    const st = s.proxy!.stats;
    record(
      "idle datagrams/min each way",
      "",
      kind,
      ((st.c2s.datagrams - st0.c2s.datagrams + st.s2c.datagrams - st0.s2c.datagrams) / 2) * per,
    );
    record(
      "idle bytes/min each way",
      "KB",
      kind,
      ((st.c2s.bytes - st0.c2s.bytes + st.s2c.bytes - st0.s2c.bytes) / 2 / 1024) * per,
    );
    record("idle CPU (both)", "s/min", kind, server + client);
    record("  idle CPU, server", "ms/min", kind, server * 1000);
    record("  idle CPU, client", "ms/min", kind, client * 1000);
    record("  idle RSS, server", "MB", kind, rssMb(s.server!.pid), "rss");
    record("  idle RSS, client", "MB", kind, rssMb(s.pty.pid), "rss");
    record("  idle private memory, server", "MB", kind, privateMb(s.server!.pid), "private");
    record("  idle private memory, client", "MB", kind, privateMb(s.pty.pid), "private");
  } finally {
    await s.close();
  }
}

/**
 * Idle CPU and memory of a session that has been idle for {@link SETTLED_MINUTES}, mosh's and
 * ours side by side over the same two minutes. The `idle` rows are a session's first minute;
 * V8 optimizes our heartbeat's code as it runs, so ours keeps getting cheaper for about half an
 * hour (mosh's does not change), and a session's life is mostly this state.
 */
async function settled(): Promise<void> {
  const sessions: ScreenSession[] = [];
  try {
    for (const kind of KINDS) sessions.push(await session(kind));
    await Promise.all(sessions.map((s) => s.waitFor(prompt, 20_000, "the prompt")));
    await sleep(SETTLED_MINUTES * 60_000);
    const pids = sessions.flatMap((s) => [s.server!.pid, s.pty.pid]);
    const cpu = await cpuSecondsOver(pids, SETTLED_SPAN_MS);
    const msPerMinute = (60_000 / SETTLED_SPAN_MS) * 1000; // CPU seconds over the span → ms/min
    KINDS.forEach((kind, i) => {
      const s = sessions[i], after = `after ${SETTLED_MINUTES} min`;
      const [server, client] = [cpu[2 * i], cpu[2 * i + 1]].map((c) => c * msPerMinute);
      record(`idle CPU ${after}, server`, "ms/min", kind, server);
      record(`idle CPU ${after}, client`, "ms/min", kind, client);
      record(`idle RSS ${after}, server`, "MB", kind, rssMb(s.server!.pid), "rss");
      record(`idle RSS ${after}, client`, "MB", kind, rssMb(s.pty.pid), "rss");
    });
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/**
 * Server launches a round for the start-up row, besides its session's: one launch a round left
 * the row's median to three samples, which moved it by 20% run to run.
 */
const EXTRA_LAUNCHES = 4;

/** Start-up: server to MOSH CONNECT, client to the first prompt. */
async function startup(kind: Kind): Promise<void> {
  const what = "start-up: server launch to MOSH CONNECT";
  const args = noScrollback && kind === "ours" ? SCROLLBACK_OFF.serverArgs : [];
  for (let i = 0; i < EXTRA_LAUNCHES; i++) {
    // As a session starts it, and gone before the next launch.
    const t0 = performance.now();
    const server = await startSessionServer(kind, args);
    record(what, "ms", kind, performance.now() - t0, "start");
    server.stop();
    await waitGone(server.pid, 5000);
    await sleep(200);
  }
  const s = await session(kind);
  try {
    const shown = await s.waitFor(prompt, 20_000, "the prompt");
    record(what, "ms", kind, s.serverStartMs, "start");
    record("start-up: client launch to first prompt", "ms", kind, shown - s.clientStarted);
  } finally {
    await s.close();
  }
}

/** NAT rebinding while idle: time for later server output to reach the screen. */
async function rebind(kind: Kind): Promise<void> {
  const s = await session(kind);
  try {
    await s.waitFor(prompt, 20_000, "the prompt");
    await sleep(1000);
    const t = s.type("sleep 2; echo re$((1+1))bound\r");
    await sleep(1000);
    s.proxy!.rebind();
    const printed = t + 2000; // when the application printed, give or take a few ms
    const at = await s.waitFor(onScreen((x) => /^re2bound/m.test(x)), 15_000, "the output");
    record("output after a NAT rebinding", "ms", kind, at - printed);
  } finally {
    await s.close();
  }
}

/** Microbenchmarks: our own modules (no counterpart in mosh to run side by side). */
async function micro(): Promise<string[]> {
  const out: string[] = [];
  for (const file of ["ocb_bench.ts", "terminal_bench.ts"]) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(file, import.meta.url).pathname],
      stdout: "piped",
      stderr: "null",
    }).output();
    out.push(new TextDecoder().decode(r.stdout).trim());
  }
  return out;
}

const rounds = quick ? 1 : 3;
for (let round = 0; round < rounds; round++) {
  if (wanted("bulk") || wanted("startup") || wanted("idle")) await floor();
  for (const kind of KINDS) {
    if (wanted("echo")) {
      for (const rtt of [0, 100, 300]) {
        for (const predict of ["never", "adaptive"]) await echo(kind, rtt, predict);
      }
    }
    if (wanted("bulk")) await bulk(kind);
    if (wanted("startup")) await startup(kind);
    if (wanted("rebind")) await rebind(kind);
    if (wanted("idle")) await idle(kind);
  }
}
if (only?.includes("settled")) {
  if (!floors.rss.length) await floor();
  await settled();
}
removeFloorScripts();

const date = new Date().toISOString().slice(0, 10);
const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
console.log(
  `Debian mosh 1.4.0 vs denomosh${noScrollback ? " (native scrollback off)" : ""}, ${date}, ` +
    `${navigator.hardwareConcurrency} cores (${cpu})\n`,
);
const fmt = (x: number) =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
const floorOf: Record<Floor, number> = {
  rss: median(floors.rss),
  private: median(floors.private),
  start: median(floors.start),
};
if (floors.start.length) {
  console.log(
    `Floor, a bare \`deno run\` (${Deno.version.deno}): start-up ${fmt(floorOf.start)} ms ` +
      `(an empty script, launch to exit); idle RSS ${fmt(floorOf.rss)} MB, of it private ` +
      `${fmt(floorOf.private)} MB (a script waiting on a timer)\n`,
  );
}
if (parts.rss.length) {
  const rss = median(parts.rss), own = median(parts.private);
  console.log(
    `Parts floor, the parts every session loads and nothing else (AES keyed over libcrypto, a ` +
      `UDP socket, the emulator; bench/_parts.ts): idle RSS ${fmt(rss)} MB ` +
      `(${(rss / floorOf.rss).toFixed(2)} times the floor), of it private ${fmt(own)} MB ` +
      `(${(own / floorOf.private).toFixed(2)})` +
      (parts.seqPeak.length
        ? `; peak after its emulator read \`seq 1 1000000\`'s output ` +
          `${fmt(median(parts.seqPeak))} MB (${(median(parts.seqPeak) / floorOf.rss).toFixed(2)})`
        : "") +
      "\n",
  );
}
console.log("| scenario | mosh 1.4.0 | ours | ours / mosh | ours / floor |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  const m = median(r.values.debian), o = median(r.values.ours);
  const unit = r.unit ? ` ${r.unit}` : "";
  const toFloor = r.floor && floorOf[r.floor] > 0 ? (o / floorOf[r.floor]).toFixed(2) : "";
  console.log(
    `| ${r.what} | ${fmt(m)}${unit} | ${fmt(o)}${unit} | ${m > 0 ? (o / m).toFixed(2) : "—"} ` +
      `| ${toFloor} |`,
  );
}
if (wanted("scrollback")) {
  console.log("\nNative scrollback: what it costs, against the same program without it:\n");
  for (const line of await scrollbackTable(quick)) console.log(line);
}
if (wanted("micro")) {
  console.log("\nMicrobenchmarks (ours):\n");
  for (const m of await micro()) console.log(m + "\n");
}

/**
 * Stand-in session daemons (`_control_daemon.ts`) run as real processes, for the tests of
 * `mosh-server list`/`attach` and of the asking side: each has its own pid and control socket.
 */

/** What a stand-in daemon says about its session. */
export interface DaemonSpec {
  command: string;
  /** How long ago a client was last heard; null or absent: never. */
  contactAgoMs?: number | null;
  lastClient?: string | null;
  /** Refuse attach with these lines. */
  refuse?: string[];
  /** Messages to give with an attach answer. */
  messages?: string[];
}

/** A running stand-in daemon. */
export interface Daemon {
  pid: number;
  /** The attach requests it answered, with the keys it gave. */
  attached(): { attached: unknown; key: string }[];
  /** The same once it has reported `count` of them (its reports come through a pipe), or 2 s. */
  attachedSoon(count?: number): Promise<{ attached: unknown; key: string }[]>;
  /** Its log so far (stderr). */
  log(): string;
  /** Ends it (closing its stdin) and waits. */
  stop(): Promise<void>;
  /** Kills it with SIGKILL and waits: its socket file stays behind. */
  kill(): Promise<void>;
}

const SCRIPT = new URL("./_control_daemon.ts", import.meta.url).pathname;

/** Starts a stand-in daemon listening in `dir`; resolves once it listens. */
export async function startDaemon(dir: string, spec: DaemonSpec): Promise<Daemon> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", SCRIPT, dir, JSON.stringify(spec)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let log = "";
  let ready: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      for (let nl; (nl = buffer.indexOf("\n")) !== -1;) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === "ready") ready!();
        else lines.push(line);
      }
    }
  })();
  const logging = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log += chunk;
  })();
  const end = async () => {
    await child.status;
    await reading;
    await logging;
  };
  const timeout = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const first = await Promise.race([isReady.then(() => "ready"), child.status.then(() => "ended")]);
  clearTimeout(timeout);
  if (first === "ended") {
    await child.stdin.close().catch(() => {});
    await end();
    throw new Error(`The stand-in daemon did not start:\n${log}`);
  }
  return {
    pid: child.pid,
    attached: () => lines.map((l) => JSON.parse(l)),
    attachedSoon: async (count = 1) => {
      for (let i = 0; i < 100 && lines.length < count; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      return lines.map((l) => JSON.parse(l));
    },
    log: () => log,
    stop: async () => {
      await child.stdin.close().catch(() => {});
      await end();
    },
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* ended already */ }
      await child.stdin.close().catch(() => {});
      await end();
    },
  };
}

/** A session directory as `openSessionDir` makes it, under a fresh XDG_RUNTIME_DIR. */
export function sessionBase(): { runtime: string; dir: string } {
  const runtime = Deno.makeTempDirSync({ prefix: "sessions-" });
  const dir = `${runtime}/denomosh`;
  Deno.mkdirSync(dir);
  Deno.chmodSync(dir, 0o700);
  return { runtime, dir };
}

/**
 * `mosh-server list` and `mosh-server attach`: the argument rules, the table, the MOSH
 * CONNECT output shared with `new`, and the real program (`cli/mosh_server.ts` in a
 * subprocess) against real stand-in daemons: which session attach chooses, what it prints,
 * what it refuses.
 */
import assert from "node:assert/strict";
import { ago, formatSessionTable, localTime, parseAttachArgs } from "../../cli/session_command.ts";
import { printConnect } from "../../cli/connect_message.ts";
import { selfCommand } from "../../cli/self.ts";
import { VERSION } from "../../cli/version.ts";
import type { SessionEntry } from "../../server/control_client.ts";
import { type Daemon, sessionBase, startDaemon } from "../server/_daemons.ts";

Deno.test("attach's arguments: a pid and -s/-i/-p anywhere; -c/-l/-v taken and ignored", () => {
  assert.deepEqual(parseAttachArgs(["123", "-p", "60001:60010", "-i", "10.0.0.1"]), {
    pid: 123,
    request: { ip: "10.0.0.1", ports: { low: 60001, high: 60010 } },
    warnings: [],
  });
  assert.deepEqual(
    parseAttachArgs(["-c", "256", "-sp60002", "-l", "LANG=C.UTF-8", "-v", "77"], {
      SSH_CONNECTION: "10.1.1.1 5000 ::ffff:10.2.2.2 22",
    }),
    { pid: 77, request: { ip: "10.2.2.2", ports: { low: 60002, high: 60002 } }, warnings: [] },
  );
  assert.deepEqual(parseAttachArgs(["-s"], {}), {
    request: {},
    warnings: ["Warning: SSH_CONNECTION not found; binding to any interface."],
  });
  assert.deepEqual(parseAttachArgs([]), { request: {}, warnings: [] });
  assert.equal((parseAttachArgs(["--help"]) as { exit: number }).exit, 0);
});

Deno.test("attach's arguments: every mistake is refused with the usage, exit 1", () => {
  for (
    const [args, message] of [
      [["12", "34"], "Only one session pid, got 12 and 34"],
      [["abc"], "Not a session pid: abc"],
      [["0"], "Not a session pid: 0"],
      [["-1"], "invalid option -- '1'"],
      [["--", "bash"], "attach takes no command"],
      [["-x"], "invalid option -- 'x'"],
      [["-p"], "option requires an argument -- 'p'"],
      [["-p", "70000"], "(Low) port number 70000 outside valid range [0..65535]"],
      [["-p", "5:4"], "Low port 5 greater than high port 4"],
    ]
  ) {
    const r = parseAttachArgs(args as string[]);
    assert.ok("exit" in r, String(args));
    assert.equal(r.exit, 1);
    assert.ok(r.stderr.includes(message as string), `${args}: ${r.stderr}`);
    assert.ok(r.stderr.includes("Usage: mosh-server list\n"));
  }
});

Deno.test("times for people: ago() and localTime()", () => {
  assert.equal(ago(0), "0 s ago");
  assert.equal(ago(59_999), "59 s ago");
  assert.equal(ago(60_000), "1 min ago");
  assert.equal(ago(3_600_000 * 5 + 1), "5 h ago");
  assert.equal(ago(86_400_000), "1 day ago");
  assert.equal(ago(86_400_000 * 3), "3 days ago");
  const t = new Date(2026, 10, 24, 9, 5).getTime();
  assert.equal(localTime(t), "2026-11-24 09:05");
});

Deno.test("the table: aligned columns, state by the 30 s rule, control characters shown as ?", () => {
  const now = new Date(2026, 10, 24, 12, 0).getTime();
  const entries: SessionEntry[] = [
    {
      pid: 7,
      path: "",
      info: {
        pid: 7,
        started: now - 7_200_000,
        command: "-bash",
        lastContact: now - 5000,
        lastClient: "10.0.0.1:5000",
      },
    },
    {
      pid: 12345,
      path: "",
      info: {
        pid: 12345,
        started: now - 60_000,
        command: "vim \x1b]0;evil\x07",
        lastContact: null,
        lastClient: null,
      },
    },
    { pid: 99, path: "", info: null, problem: "The session did not answer" },
  ];
  assert.equal(
    formatSessionTable(entries, now),
    [
      "PID    STATE     STARTED           LAST CONTACT  CLIENT         COMMAND",
      "7      attached  2026-11-24 10:00  5 s ago       10.0.0.1:5000  -bash",
      "12345  detached  2026-11-24 11:59  never         -              vim ?]0;evil?",
      "99     unknown   ?                 ?             ?              (The session did not answer)",
      "",
    ].join("\n"),
  );
});

Deno.test("printConnect prints what mosh-server 1.4.0 prints, with \\r\\n\\n on a terminal", () => {
  for (const terminal of [false, true]) {
    let stdout = "", stderr = "";
    const sink = (add: (s: string) => void) => ({
      writeSync: (b: Uint8Array) => (add(new TextDecoder().decode(b)), b.length),
    });
    printConnect({ port: 60004, key: "abcdefghijklmnopqrstuv", pid: 321 }, {
      stdout: sink((s) => stdout += s),
      stderr: sink((s) => stderr += s),
      stdinIsTerminal: terminal,
    });
    assert.equal(
      stdout,
      (terminal ? "\r\n\n" : "") + "MOSH CONNECT 60004 abcdefghijklmnopqrstuv\n",
    );
    assert.equal(
      stderr,
      `\nmosh-server (denomosh ${VERSION}) [compatible with mosh 1.4.0]\n` +
        "License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>.\n" +
        "This is free software: you are free to change and redistribute it.\n" +
        "There is NO WARRANTY, to the extent permitted by law.\n\n" +
        "[mosh-server detached, pid = 321]\n",
    );
  }
});

/** Runs our mosh-server with `args` and XDG_RUNTIME_DIR=`runtime`. */
async function moshServer(
  runtime: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const self = selfCommand("mosh-server", args);
  const out = await new Deno.Command(self.cmd, {
    args: self.args,
    env: { XDG_RUNTIME_DIR: runtime },
    stdin: "null",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Runs `body` with stand-in daemons for `specs` in a fresh session directory. */
async function withDaemons(
  specs: Parameters<typeof startDaemon>[1][],
  body: (runtime: string, daemons: Daemon[], dir: string) => Promise<void>,
): Promise<void> {
  const { runtime, dir } = sessionBase();
  const daemons = await Promise.all(specs.map((s) => startDaemon(dir, s)));
  try {
    await body(runtime, daemons, dir);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    Deno.removeSync(runtime, { recursive: true });
  }
}

const DETACHED = { command: "-bash", contactAgoMs: 60_000, lastClient: "10.0.0.9:6000" };
const ATTACHED = { command: "vim", contactAgoMs: 500, lastClient: "10.0.0.8:6000" };

Deno.test("list: no directory, no sessions; then the table; a stale socket is dropped", async () => {
  const empty = Deno.makeTempDirSync();
  const none = await moshServer(empty, ["list"]);
  assert.deepEqual(none, { code: 0, stdout: "No mosh sessions of yours here.\n", stderr: "" });
  Deno.removeSync(empty);

  await withDaemons([DETACHED, ATTACHED, { command: "gone" }], async (runtime, d, dir) => {
    await d[2].kill();
    const r = await moshServer(runtime, ["list"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^PID\s+STATE\s+STARTED\s+LAST CONTACT\s+CLIENT\s+COMMAND$/);
    assert.equal(lines.length, 3);
    const row = (pid: number) => lines.find((l) => l.startsWith(`${pid} `)) ?? "";
    assert.match(row(d[0].pid), /detached .* 1 min ago +10\.0\.0\.9:6000 +-bash$/);
    assert.match(row(d[1].pid), /attached .* 0 s ago +10\.0\.0\.8:6000 +vim$/);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      [`${d[0].pid}.sock`, `${d[1].pid}.sock`].sort(),
    );
    assert.equal((await moshServer(runtime, ["list", "extra"])).code, 1);
  });
});

Deno.test("attach without a pid takes the one detached session and prints MOSH CONNECT", async () => {
  await withDaemons([DETACHED, ATTACHED], async (runtime, [away, here]) => {
    const r = await moshServer(runtime, ["attach", "-i", "127.0.0.1", "-p", "61000:61010"]);
    assert.equal(r.code, 0, r.stderr);
    const m = /^MOSH CONNECT 61000 ([A-Za-z0-9+/]{22})\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.deepEqual(await away.attachedSoon(), [{
      attached: { ip: "127.0.0.1", ports: { low: 61000, high: 61010 } },
      key: m[1],
    }]);
    assert.deepEqual(here.attached(), []);
    assert.ok(r.stderr.endsWith(`\n\n[mosh-server detached, pid = ${away.pid}]\n`), r.stderr);

    // With a pid, a session in use is taken over.
    const t = await moshServer(runtime, ["attach", String(here.pid)]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^MOSH CONNECT 61000 [A-Za-z0-9+/]{22}\n$/);
    assert.match(t.stderr, new RegExp(`detached, pid = ${here.pid}\\]\\n$`));
    assert.deepEqual((await here.attachedSoon()).map((a) => a.attached), [{}]);
  });
});

Deno.test("attach refuses to choose among several detached sessions, and when there is none", async () => {
  await withDaemons([DETACHED, { command: "top" }, ATTACHED], async (runtime, d) => {
    const r = await moshServer(runtime, ["attach"]);
    assert.equal(r.code, 1);
    // The line mosh --attach reads to ask the user which one (cli/bootstrap_line.ts).
    assert.equal(r.stdout, `MOSH CHOOSE ${d[0].pid} ${d[1].pid}\n`);
    assert.match(
      r.stderr,
      /^mosh-server: 2 detached sessions here; choose one with `mosh-server attach PID`:\n/,
    );
    for (const daemon of d.slice(0, 2)) {
      assert.match(r.stderr, new RegExp(`\n${daemon.pid} +detached`));
    }
    assert.ok(!r.stderr.includes(`\n${d[2].pid} `), "the attached one is not offered");
    assert.deepEqual(d.flatMap((x) => x.attached()), []);
  });
  await withDaemons([ATTACHED], async (runtime, [here]) => {
    const r = await moshServer(runtime, ["attach"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^mosh-server: no detached session here; take one over with `mosh-server attach PID`:\n/,
    );
    assert.match(r.stderr, new RegExp(`\n${here.pid} +attached`));
    const missing = await moshServer(runtime, ["attach", "4194304"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no session of yours with pid 4194304 here/);
  });
  const empty = Deno.makeTempDirSync();
  const none = await moshServer(empty, ["attach"]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, "mosh-server: no mosh session of yours here to attach to\n");
  Deno.removeSync(empty);
});

Deno.test("attach passes on the session's refusal and its messages", async () => {
  await withDaemons([
    { ...DETACHED, refuse: ["Cannot bind a port in 61000:61000", "choose another with -p"] },
    { ...ATTACHED, messages: ["Warning: bound to any interface"] },
  ], async (runtime, [refusing, warning]) => {
    const r = await moshServer(runtime, ["attach", String(refusing.pid)]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "mosh-server: Cannot bind a port in 61000:61000\n" +
        "mosh-server: choose another with -p\n",
    });
    const w = await moshServer(runtime, ["attach", String(warning.pid)]);
    assert.equal(w.code, 0);
    assert.ok(w.stderr.startsWith("Warning: bound to any interface\n\nmosh-server (denomosh"));
  });
});

Deno.test("list and attach refuse a session directory that others could reach", async () => {
  await withDaemons([DETACHED], async (runtime, [away], dir) => {
    Deno.chmodSync(dir, 0o711);
    for (const args of [["list"], ["attach"], ["attach", String(away.pid)]]) {
      const r = await moshServer(runtime, args);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.stdout, "");
      assert.match(
        r.stderr,
        new RegExp(`^mosh-server: Refusing ${dir}: its mode is 0711, not 0700`),
      );
    }
    assert.deepEqual(away.attached(), []);
    Deno.chmodSync(dir, 0o700);
  });
});

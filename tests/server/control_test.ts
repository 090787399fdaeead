/**
 * The daemon's control endpoint on a real socket, with a test session in this process: info
 * and attach answered, refusals and failures passed on, attaches one at a time, and a loop
 * that survives everything a peer can do: garbage, random bytes, oversized lines, half-open
 * connections, silence, and more connections than it serves at once.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AttachRequest,
  type Control,
  type ControlOptions,
  type SessionControl,
  startControl,
} from "../../server/control.ts";
import { requestAttach, sessionInfo } from "../../server/control_client.ts";
import { ConnectionError, UnixConnection } from "../../io/unix_socket.ts";
import { MAX_LINE_BYTES, type SessionInfo } from "../../server/control_protocol.ts";

const INFO: SessionInfo = {
  pid: Deno.pid,
  started: 1_700_000_000_000,
  command: "-bash",
  lastContact: null,
  lastClient: null,
};
const KEY = "AAAAAAAAAAAAAAAAAAAAAA";

/** A control endpoint in a fresh directory, its log, and a way to end both. */
function control(
  handler: Partial<SessionControl> = {},
  options: ControlOptions = {},
): { control: Control; log: string[]; [Symbol.asyncDispose](): Promise<void> } {
  const dir = Deno.makeTempDirSync({ prefix: "control-test-" });
  Deno.chmodSync(dir, 0o700);
  const log: string[] = [];
  const c = startControl(
    {
      info: () => INFO,
      attach: () => Promise.resolve({ port: 60005, key: KEY }),
      ...handler,
    },
    dir,
    { log: (l) => log.push(l), ...options },
  );
  return {
    control: c,
    log,
    async [Symbol.asyncDispose]() {
      await c.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** Sends `line` (null: nothing) and reads the answer line, or the failure's reason. */
async function raw(path: string, line: string | null, timeoutMs = 5000): Promise<string> {
  using conn = await UnixConnection.connect(path, 1000);
  if (line !== null) await conn.writeLine(line, 1000);
  try {
    return await conn.readLine({ maxBytes: MAX_LINE_BYTES, timeoutMs });
  } catch (e) {
    if (e instanceof ConnectionError) return `<${e.reason}>`;
    throw e;
  }
}

/** A python3 peer that sends `bytes`, then shuts down its writing side and prints the answer. */
async function halfOpen(path: string, bytes: string): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); " +
      "s.sendall(sys.argv[2].encode()); s.shutdown(socket.SHUT_WR); s.settimeout(10); " +
      "sys.stdout.write(s.recv(70000).decode())",
      path,
      bytes,
    ],
    signal: AbortSignal.timeout(15_000),
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("info and attach are answered; the socket is named after the daemon's pid", async () => {
  const requests: AttachRequest[] = [];
  await using c = control({
    attach: (r) => {
      requests.push(r);
      return Promise.resolve({ port: 60005, key: KEY, messages: ["bound elsewhere"] });
    },
  });
  assert.ok(c.control.path.endsWith(`/${Deno.pid}.sock`));
  assert.deepEqual(await sessionInfo(c.control.path), INFO);
  const answer = await requestAttach(c.control.path, {
    ip: "127.0.0.1",
    ports: { low: 60005, high: 60010 },
  });
  assert.deepEqual(answer, { port: 60005, key: KEY, messages: ["bound elsewhere"] });
  assert.deepEqual(requests, [{ ip: "127.0.0.1", ports: { low: 60005, high: 60010 } }]);
  assert.deepEqual(c.log, []);
});

Deno.test("a refusal reaches the client; a handler that throws is contained and logged", async () => {
  let calls = 0;
  await using c = control({
    attach: () => {
      calls++;
      if (calls === 1) return Promise.resolve({ error: ["Cannot bind: in use", "try -p"] });
      if (calls === 2) throw new Error("sync boom");
      return Promise.reject(new Error("async boom"));
    },
    info: () => {
      throw new Error("info boom");
    },
  });
  assert.deepEqual(await requestAttach(c.control.path, {}), {
    error: ["Cannot bind: in use", "try -p"],
  });
  assert.deepEqual(await requestAttach(c.control.path, {}), {
    error: ["The session failed to answer: sync boom"],
  });
  assert.deepEqual(await requestAttach(c.control.path, {}), {
    error: ["The session failed to answer: async boom"],
  });
  assert.deepEqual(await sessionInfo(c.control.path), {
    error: ["The session failed to answer: info boom"],
  });
  assert.equal(c.log.length, 3, "a refusal is an answer, not a failure");
  assert.ok(c.log.every((l) => l.startsWith("control: the session failed to answer")));
});

Deno.test("attaches run one at a time; a hung one times out and the next still runs", async () => {
  let running = 0, most = 0, calls = 0;
  await using c = control({
    attach: async () => {
      calls++;
      if (calls === 1) return await new Promise<never>(() => {}); // never answers
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 30));
      running--;
      return { port: 60005, key: KEY };
    },
  }, { attachTimeoutMs: 200 });
  const answers = await Promise.all([1, 2, 3, 4].map(() => requestAttach(c.control.path, {})));
  // The first request handled hangs; which connection the loop takes first is the kernel's.
  const hung = answers.filter((a) => "error" in a);
  assert.deepEqual(hung, [{ error: ["The session failed to answer: attaching took too long"] }]);
  const rest = answers.filter((a) => !("error" in a));
  assert.deepEqual(rest, [1, 2, 3].map(() => ({ port: 60005, key: KEY })));
  assert.equal(most, 1);
});

Deno.test("garbage gets an error answer and the loop goes on", async () => {
  await using c = control();
  const path = c.control.path;
  for (
    const [request, error] of [
      ["hello", "The request is not JSON"],
      ["[1,2]", "The request is not a JSON object"],
      ['{"op":"info"}', "version"],
      ['{"v":1,"op":"kill"}', 'Unknown request "kill"'],
      ['{"v":1,"op":"attach","ports":{"low":5,"high":4}}', "ports"],
      ['{"v":1,"op":"attach","ip":7}', "ip"],
    ]
  ) {
    const answer = JSON.parse(await raw(path, request));
    assert.equal(answer.ok, false, request);
    assert.match(answer.error[0], new RegExp(error), request);
  }
  assert.deepEqual(await sessionInfo(path), INFO);
});

Deno.test("an oversized line, a half-open peer, a silent peer: all bounded, loop survives", async () => {
  await using c = control({}, { readTimeoutMs: 300 });
  const path = c.control.path;
  // 70 KiB without a newline, then the writing side shut: refused as too long.
  const tooLong = JSON.parse(await halfOpen(path, "x".repeat(70_000)));
  assert.deepEqual(tooLong, { ok: false, error: [`A line longer than ${MAX_LINE_BYTES} bytes`] });
  // Half a request, then the writing side shut: dropped, the connection closed, no answer.
  assert.equal(await halfOpen(path, '{"v":1,"op"'), "");
  // A peer that connects and sends nothing: closed after the read timeout.
  const start = Date.now();
  assert.equal(await raw(path, null), "<end of stream>");
  assert.ok(Date.now() - start >= 250, "after the timeout, not before");
  assert.deepEqual(await sessionInfo(path), INFO);
  assert.equal(c.log.length, 3);
  assert.match(c.log[0], /A line longer than/);
  assert.match(c.log[1], /ended the stream after 11 bytes/);
  assert.match(c.log[2], /No whole line within 300 ms/);
});

Deno.test("beyond maxConnections, new connections are closed at once", async () => {
  await using c = control({}, { maxConnections: 2, readTimeoutMs: 400 });
  const path = c.control.path;
  const silent = [
    await UnixConnection.connect(path, 1000),
    await UnixConnection.connect(path, 1000),
  ];
  await new Promise((r) => setTimeout(r, 50));
  const start = Date.now();
  assert.equal(await raw(path, null), "<end of stream>");
  assert.ok(Date.now() - start < 300, "at once, not after the read timeout");
  assert.match(c.log.join("\n"), /2 connections already; closed a new one/);
  // Once the silent ones time out, it answers again.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await sessionInfo(path), INFO);
  for (const s of silent) s.close();
});

Deno.test("close() removes the socket, ends open connections and the loop", async () => {
  const dir = Deno.makeTempDirSync();
  const c = startControl({
    info: () => INFO,
    attach: () => Promise.resolve({ port: 1, key: KEY }),
  }, dir);
  const waiting = await UnixConnection.connect(c.path, 1000);
  await new Promise((r) => setTimeout(r, 30));
  await c.close();
  await c.close(); // idempotent
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  await assert.rejects(
    waiting.readLine({ maxBytes: 100, timeoutMs: 2000 }),
    (e) => e instanceof ConnectionError && e.reason === "end of stream",
  );
  waiting.close();
  Deno.removeSync(dir);
});

Deno.test("property: random request lines never break the loop", async () => {
  await using c = control();
  const path = c.control.path;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify({ v: 1, op: "attach", ports: v })),
        fc.uint8Array({ maxLength: 300 }).map((b) => new TextDecoder().decode(b)),
      ).map((s) => s.replaceAll("\n", "")),
      async (line) => {
        const answer = JSON.parse(await raw(path, line));
        assert.ok(answer.ok === false || "attach" in answer || "info" in answer);
        if (answer.ok === false) {
          assert.ok(answer.error.every((l: unknown) => typeof l === "string"));
        }
      },
    ),
    { numRuns: 150 },
  );
  assert.deepEqual(await sessionInfo(path), INFO);
  assert.deepEqual(c.log, []);
});

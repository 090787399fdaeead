/**
 * The control exchange's lines: requests and answers round trip, every malformed field is
 * refused with a reason (never a throw), a version mismatch says so, and "detached" is
 * mosh-server's 30 s rule.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkAttach,
  checkInfo,
  CONTROL_VERSION,
  type ControlRequest,
  DETACHED_AFTER_MS,
  encodeAnswer,
  encodeRequest,
  isDetached,
  parseAnswer,
  parseRequest,
  type SessionInfo,
} from "../../server/control_protocol.ts";

const INFO: SessionInfo = {
  pid: 4242,
  started: 1_700_000_000_000,
  command: "vim notes.txt",
  lastContact: 1_700_000_100_000,
  lastClient: "203.0.113.5:50123",
};

const port = fc.integer({ min: 0, max: 65535 });
const request: fc.Arbitrary<ControlRequest> = fc.oneof(
  fc.constant({ op: "info" as const }),
  fc.record({
    op: fc.constant("attach" as const),
    ip: fc.string({ minLength: 1, maxLength: 255 }),
    ports: fc.tuple(port, port).map(([a, b]) => ({ low: Math.min(a, b), high: Math.max(a, b) })),
  }, { requiredKeys: ["op"] }).map((r) => ({ ...r })), // fast-check's records have no prototype
);

Deno.test("property: every request survives encoding and parsing unchanged", () => {
  fc.assert(fc.property(request, (r) => assert.deepEqual(parseRequest(encodeRequest(r)), r)));
});

Deno.test("property: no line makes parseRequest or parseAnswer throw", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.json()), (line) => {
      const r = parseRequest(line);
      assert.ok("error" in r || r.op === "info" || r.op === "attach");
      for (const a of [parseAnswer(line, "info"), parseAnswer(line, "attach")]) {
        if ("error" in a) assert.ok(a.error.length > 0);
      }
    }),
    { numRuns: 300 },
  );
});

/** The error lines of a refusal; fails if it is not one. */
function errorOf(r: object): string[] {
  assert.ok("error" in r && Array.isArray(r.error), JSON.stringify(r));
  return r.error as string[];
}

Deno.test("requests: the version is checked, and each field", () => {
  assert.match(errorOf(parseRequest('{"v":2,"op":"info"}'))[0], /version 1 .* version 2/);
  assert.match(errorOf(parseRequest('{"op":"info"}'))[0], /version undefined/);
  assert.deepEqual(parseRequest(`{"v":${CONTROL_VERSION},"op":"info","extra":1}`), { op: "info" });
  for (
    const bad of [
      { ip: "" },
      { ip: "x".repeat(256) },
      { ports: { low: 1 } },
      { ports: { low: -1, high: 2 } },
      { ports: { low: 1, high: 65536 } },
      { ports: { low: 1.5, high: 2 } },
      { ports: [1, 2] },
    ]
  ) {
    const r = parseRequest(JSON.stringify({ v: 1, op: "attach", ...bad }));
    assert.ok("error" in r, JSON.stringify(bad));
  }
});

Deno.test("answers: info and attach are checked field by field", () => {
  assert.deepEqual(parseAnswer(encodeAnswer({ ok: true, info: INFO }), "info"), INFO);
  const attach = { port: 60001, key: "abcdefghijklmnopqrstuv", messages: ["m"] };
  assert.deepEqual(parseAnswer(encodeAnswer({ ok: true, attach }), "attach"), attach);
  assert.deepEqual(parseAnswer(encodeAnswer({ ok: false, error: ["no"] }), "attach"), {
    error: ["no"],
  });
  assert.deepEqual(parseAnswer('{"ok":false}', "info"), {
    error: ["The session refused, without saying why"],
  });
  // The answer to the other request is not an answer to this one.
  assert.ok("error" in parseAnswer(encodeAnswer({ ok: true, info: INFO }), "attach"));
  for (
    const bad of [
      { pid: 0 },
      { pid: 1.5 },
      { started: -1 },
      { command: 3 },
      { lastContact: "now" },
      { lastClient: 7 },
    ]
  ) assert.equal(checkInfo({ ...INFO, ...bad }), null, JSON.stringify(bad));
  for (
    const bad of [
      { port: 0 },
      { port: 70000 },
      { key: "short" },
      { key: "abcdefghijklmnopqrstu=" },
      { messages: [1] },
    ]
  ) assert.equal(checkAttach({ ...attach, ...bad }), null, JSON.stringify(bad));
});

Deno.test("detached: never heard from, or not for more than 30 s (mosh-server's utmp rule)", () => {
  const t = INFO.lastContact!;
  assert.equal(DETACHED_AFTER_MS, 30_000);
  assert.ok(isDetached({ ...INFO, lastContact: null }, t));
  assert.ok(!isDetached(INFO, t));
  assert.ok(!isDetached(INFO, t + 30_000));
  assert.ok(isDetached(INFO, t + 30_001));
});

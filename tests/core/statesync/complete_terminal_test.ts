/**
 * `CompleteTerminal` (docs/protocol.md §6.3): diffs are echo ack, resize and host bytes in
 * mosh's order; applying them on any earlier base reproduces the server's screen and ack;
 * malformed diffs are refused.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CompleteTerminal,
  HISTORY_BYTES_FIRST_FRAME,
  TerminalContext,
} from "../../../core/statesync/complete_terminal.ts";
import { Feature } from "../../../core/statesync/extensions.ts";
import { decodeHistoryRows, MAX_HISTORY_CELLS } from "../../../core/terminal/history_codec.ts";
import { decodeHostMessage, encodeHostMessage } from "../../../core/statesync/host_message.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { toHex } from "../../_hex.ts";
import { session } from "../terminal/_streams.ts";
import { frameDifference } from "../terminal/_roundtrip.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const seedEnv = Deno.env.get("DENOMOSH_TERM_SEED");
const params = (numRuns: number) => ({ numRuns, ...(seedEnv ? { seed: Number(seedEnv) } : {}) });

/** Server states from an emulator's snapshots. */
function serverStates(width: number, height: number, ...outputs: string[]): CompleteTerminal[] {
  const e = new Emulator(width, height);
  let s = CompleteTerminal.initial(width, height);
  return outputs.map((o) => (e.write(enc(o)), s = s.withFramebuffer(e.snapshot())));
}

Deno.test("equal states diff to nothing; an echo ack alone is mosh's six bytes", () => {
  const a = CompleteTerminal.initial(80, 24);
  assert.equal(a.diffFrom(CompleteTerminal.initial(80, 24)).length, 0);
  assert.ok(a.equals(CompleteTerminal.initial(80, 24)));
  const acked = a.withEchoAck(5n);
  assert.equal(toHex(acked.diffFrom(a)), "0a043a024005");
  assert.equal(a.withEchoAck(0n), a);
  assert.equal(a.subtract(acked), a);
  assert.ok(!acked.equals(a));
});

Deno.test("a diff is echo ack, then resize, then host bytes, and applies exactly", () => {
  const [, shown] = serverStates(20, 4, "hello", "");
  const e = new Emulator(20, 4);
  e.write(enc("hello"));
  e.resize(30, 6);
  e.write(enc("\r\nworld\x1b]0;t\x07"));
  const next = shown.withFramebuffer(e.snapshot()).withEchoAck(7n);
  const diff = next.diffFrom(shown);
  const list = decodeHostMessage(diff)!;
  assert.deepEqual(list.map((i) => Object.keys(i)[0]), ["echoAck", "resize", "hostBytes"]);
  assert.deepEqual(list[1], { resize: { width: 30, height: 6 } });
  const client = CompleteTerminal.initial(20, 4).apply(
    shown.diffFrom(CompleteTerminal.initial(20, 4)),
  )!;
  const got = client.apply(diff)!;
  assert.equal(frameDifference(got.fb, next.fb), null);
  assert.equal(got.echoAck, 7n);
  assert.equal(got.fb.title, "t");
});

Deno.test("a diff from state 0 says the size: the client's state 0 is at its own window's", () => {
  // The server starts at 80x24 and the client's window is 20x5: their states 0 differ in size.
  // The server's screen goes to 20x5 (the client's first resize) and back to 80x24 (a second
  // one) before any acknowledgement, so the sender diffs from state 0 again: 80x24 to 80x24.
  const e = new Emulator(80, 24);
  const state0 = CompleteTerminal.initial(80, 24);
  const client0 = CompleteTerminal.initial(20, 5, new TerminalContext());
  e.resize(20, 5);
  e.write(enc("\r\n$ " + " ".repeat(18)));
  const at20 = state0.withFramebuffer(e.snapshot());
  assert.equal(frameDifference(client0.apply(at20.diffFrom(state0))!.fb, at20.fb), null);
  e.resize(80, 24);
  const at80 = at20.withFramebuffer(e.snapshot());
  assert.equal(frameDifference(client0.apply(at80.diffFrom(state0))!.fb, at80.fb), null);

  // A new screen equal to state 0's still differs from it: the client needs the size.
  const blank = state0.withFramebuffer(Framebuffer.blank(80, 24));
  assert.ok(!blank.equals(state0));
  assert.equal(frameDifference(client0.apply(blank.diffFrom(state0))!.fb, blank.fb), null);
  // A state that keeps state 0's screen (an echo ack alone) is drawn from as state 0 is.
  const acked = state0.withEchoAck(3n);
  const clientAcked = client0.apply(acked.diffFrom(state0))!;
  assert.equal(clientAcked.echoAck, 3n);
  const next = at80.withEchoAck(3n);
  assert.equal(frameDifference(clientAcked.apply(next.diffFrom(acked))!.fb, next.fb), null);
});

Deno.test("malformed diffs, acks going back and absurd sizes are refused", () => {
  const s = CompleteTerminal.initial(10, 3).withEchoAck(4n);
  assert.equal(s.apply(Uint8Array.of(0x0a, 0x05, 0x01)), null);
  assert.equal(s.apply(encodeHostMessage([{ echoAck: 3n }])), null);
  assert.equal(s.apply(encodeHostMessage([{ resize: { width: 0, height: 3 } }])), null);
  assert.equal(s.apply(encodeHostMessage([{ resize: { width: 10, height: 100000 } }])), null);
  assert.equal(s.apply(encodeHostMessage([{ echoAck: 4n }]))!.echoAck, 4n);
  assert.equal(s.apply(new Uint8Array(0))!.fb, s.fb, "an empty diff changes nothing");
});

Deno.test("a diff applies on an older base than the emulator holds (drawn back, not reloaded)", () => {
  const [s1, s2, s3] = serverStates(12, 3, "one", "\r\ntwo", "\x1b[2Jthree");
  const c0 = CompleteTerminal.initial(12, 3, new TerminalContext());
  const c1 = c0.apply(s1.diffFrom(CompleteTerminal.initial(12, 3)))!;
  const c2 = c1.apply(s2.diffFrom(s1))!;
  assert.equal(frameDifference(c2.fb, s2.fb), null);
  const load = Emulator.prototype.load;
  let loads = 0;
  Emulator.prototype.load = function (fb: Framebuffer) {
    loads++;
    return load.call(this, fb);
  };
  let c3: CompleteTerminal;
  try {
    c3 = c1.apply(s3.diffFrom(s1))!; // the emulator holds s2's screen; c1 is older
  } finally {
    Emulator.prototype.load = load;
  }
  assert.equal(loads, 0, "the emulator moved from s2 to s1 by a diff, without a full reload");
  assert.equal(frameDifference(c3.fb, s3.fb), null);
  const again = c2.apply(s3.diffFrom(s2))!;
  assert.equal(frameDifference(again.fb, s3.fb), null);
  assert.equal(frameDifference(c1.fb, s1.fb), null, "states stay immutable");
});

Deno.test("client states track the server's through any bases, with resizes and acks (property)", () => {
  const e = new Emulator(2, 2);
  const ctx = new TerminalContext(); // shared across runs too: each run starts from new states
  fc.assert(
    fc.property(session(25), fc.array(fc.nat(), { maxLength: 20 }), (s, picks) => {
      e.load(Framebuffer.blank(s.width, s.height));
      const server = [CompleteTerminal.initial(s.width, s.height)];
      const client = [CompleteTerminal.initial(s.width, s.height, ctx)];
      for (const [i, step] of s.steps.entries()) {
        if ("write" in step) e.write(step.write);
        else e.resize(step.resize.width, step.resize.height);
        const last = server[server.length - 1];
        server.push(last.withFramebuffer(e.snapshot()).withEchoAck(last.echoAck + BigInt(i % 2)));
        // The client applies to a base it has: usually the newest, sometimes an older one.
        const base = (picks[i] ?? 0) % 3 === 0
          ? (picks[i] ?? 0) % client.length
          : client.length - 1;
        const applied = client[base].apply(server[server.length - 1].diffFrom(server[base]));
        assert.ok(applied, "diff refused");
        assert.equal(frameDifference(applied.fb, server[server.length - 1].fb), null);
        assert.equal(applied.echoAck, server[server.length - 1].echoAck);
        client.push(applied);
      }
    }),
    params(400),
  );
});

Deno.test("a first frame from more history than a message holds carries the newest that fit", () => {
  // 30,000 lines of 80 columns are more cells than one history message may hold
  // (MAX_HISTORY_CELLS): a new or attaching client's first frame used to throw here.
  const lines = 30_000;
  const e = new Emulator(80, 24, { historyLimit: lines });
  let out = "";
  for (let i = 1; i <= lines + 100; i++) out += `${i}\r\n`;
  e.write(enc(out));
  const source = {
    historyLimit: e.historyLimit,
    historyStart: e.historyStart,
    historyEnd: e.historyEnd,
    historyRows: (from: number, to: number) => e.historyRows(from, to),
  };
  const base = CompleteTerminal.initial(80, 24, new TerminalContext(), source);
  const next = base.withFramebuffer(e.snapshot()).withFeatures(Feature.history)
    .withHistoryEnd(e.historyEnd);
  const list = decodeHostMessage(next.diffFrom(base))!;
  const item = list.find((i) => "history" in i);
  assert.ok(item && "history" in item, "the frame carries history");
  const { start, end, rows } = item.history;
  assert.equal(end, e.historyEnd);
  assert.ok(rows.length <= HISTORY_BYTES_FIRST_FRAME);
  const got = decodeHistoryRows(rows)!;
  assert.equal(got.length, end - start);
  assert.ok(got.length * 80 <= MAX_HISTORY_CELLS && got.length > lines / 2, `${got.length} rows`);
  assert.equal(got.at(-1)!.toText().trim(), String(lines + 100 - 23));
});

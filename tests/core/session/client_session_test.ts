/**
 * ClientSession's cursor query: with native scrollback announced, the client asks the terminal
 * where its cursor is, and the answer comes back as typed input. It must never reach the
 * application, even when a stock server's first frame decides the mode before the terminal
 * answers (a CI run once showed `$ R` at the prompt that way), and only for a while.
 *
 * And its repaint of a terminal it put on the alternate screen: the hidden main screen must be
 * drawn on the terminal's main screen, which is what shows when the application leaves.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Base64Key } from "../../../core/crypto/key.ts";
import {
  CLIENT_FEATURES,
  ClientSession,
  CURSOR_ANSWER_MS,
  findCursorAnswer,
} from "../../../core/session/client_session.ts";
import { ServerSession } from "../../../core/session/server_session.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { platform } from "../../_platform.ts";

const KEY = Base64Key.fromBytes(new Uint8Array(16).fill(7));
const enc = new TextEncoder();

/** Our client, with every extension it knows announced, in a `width`×`height` window. */
function ourClient(width: number, height: number): ClientSession {
  return new ClientSession({
    key: KEY,
    platform,
    now: 0,
    ip: "127.0.0.1",
    port: 60001,
    width,
    height,
    caps: { smcup: "", rmcup: "", ech: true, bce: true, titles: true },
    settings: { termInit: true, titlePrefix: "", features: CLIENT_FEATURES },
  });
}

/** Our client (native scrollback announced) and a server offering none of our extensions. */
function pair() {
  const c = ourClient(80, 24);
  const s = new ServerSession({ key: KEY, platform, now: 0, width: 80, height: 24, features: 0 });
  return { c, s };
}

/** Runs both from `from` for `ms`, datagrams arriving at once; what the application got. */
function run(c: ClientSession, s: ServerSession, from: number, ms: number): string {
  let input = "";
  for (let now = from; now <= from + ms; now++) {
    c.tick(now);
    for (const a of c.takeActions()) {
      if (a.type === "send") s.receive(now, a.data, "127.0.0.1:5000", 0);
    }
    s.tick(now);
    for (const a of s.takeActions()) {
      if (a.type === "send") c.receive(now, a.data, "127.0.0.1:60001");
      if (a.type === "input") input += new TextDecoder().decode(a.bytes);
    }
  }
  return input;
}

Deno.test("a cursor answer that comes after a stock server's first frame is not typed", () => {
  const { c, s } = pair();
  run(c, s, 0, 500); // the server's first frames are in: no scrollback, mosh's way
  c.keys(600, enc.encode("\x1b[7;1Rls"));
  assert.equal(run(c, s, 600, 500), "ls");
  // Only once: a second report is the user's (or an application's) own.
  c.keys(1200, enc.encode("\x1b[7;1R"));
  assert.equal(run(c, s, 1200, 500), "\x1b[7;1R");
});

Deno.test("a cursor report long after the query is typed as it is", () => {
  const { c, s } = pair();
  run(c, s, 0, 500);
  const late = CURSOR_ANSWER_MS + 1000;
  c.keys(late, enc.encode("\x1b[3;9R"));
  assert.equal(run(c, s, late, 500), "\x1b[3;9R");
});

Deno.test("property: the answer is found where a regular expression over the bytes finds it", () => {
  const reference = (b: Uint8Array) => {
    let text = "";
    for (const byte of b) text += String.fromCharCode(byte);
    // deno-lint-ignore no-control-regex -- the answer starts with ESC
    const m = /\x1b\[(\d+);\d+R/.exec(text);
    return m ? { start: m.index, end: m.index + m[0].length, row: Number(m[1]) } : null;
  };
  // Bytes rich in the answer's own: ESC, "[", digits, ";", "R".
  const byte = fc.oneof(
    fc.constantFrom(0x1b, 0x5b, 0x3b, 0x52, 0x30, 0x31, 0x39),
    fc.integer({ min: 0, max: 255 }),
  );
  const answer = fc.tuple(fc.nat(9999), fc.nat(9999)).map(([r, c]) =>
    enc.encode(`\x1b[${r};${c}R`)
  );
  fc.assert(
    fc.property(
      fc.array(byte, { maxLength: 40 }),
      fc.option(answer),
      fc.array(byte, { maxLength: 40 }),
      (a, mid, b) => {
        const bytes = Uint8Array.from([...a, ...(mid ?? []), ...b]);
        assert.deepEqual(findCursorAnswer(bytes), reference(bytes));
      },
    ),
    { numRuns: 2000 },
  );
});

/**
 * Our client and our server (all extensions), datagrams arriving at once, and the user's
 * terminal (scrollback and an alternate screen, as real ones have) fed what the client writes.
 */
function session(width: number, height: number) {
  const c = ourClient(width, height);
  const s = new ServerSession({ key: KEY, platform, now: 0, width: 80, height: 24 });
  const user = new Emulator(width, height, { historyLimit: 1000, altScreen: true });
  let now = 0;
  /** Runs both for `ms`. */
  const run = (ms: number) => {
    for (const end = now + ms; now <= end; now++) {
      c.tick(now);
      for (const a of c.takeActions()) {
        if (a.type === "send") s.receive(now, a.data, "127.0.0.1:5000", 0);
        if (a.type === "write") user.write(enc.encode(a.text));
      }
      s.tick(now);
      for (const a of s.takeActions()) {
        if (a.type === "send") c.receive(now, a.data, "127.0.0.1:60001");
      }
    }
  };
  return {
    c,
    s,
    user,
    run,
    /** The application prints `text`. */
    print: (text: string) => s.output(now, enc.encode(text)),
    /** The user's window becomes `w`×`h`: the terminal first, as a real one. */
    resize: (w: number, h: number) => {
      user.resize(w, h);
      c.resize(now, w, h);
    },
  };
}

const texts = (fb: Framebuffer) => fb.rows.map((r) => r.toText().trimEnd());

Deno.test("a resize on the alternate screen redraws the terminal's own main screen, which shows when the application leaves", () => {
  const t = session(20, 7);
  t.run(500);
  // A shell's lines down to the last row, then a full-screen application.
  t.print("1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n");
  t.run(100);
  t.print("\x1b[?1049hvi");
  t.run(100);
  assert.ok(t.user.snapshot().alternate);
  // The window shrinks and grows back a little: the terminal cuts its main screen (a real one
  // pushes its top into its scrollback, or reflows; either way, not the server's). The server
  // hears only the last size, so its main screen keeps "6".
  t.resize(20, 5);
  t.resize(20, 6);
  t.run(100);
  t.print("\x1b[?1049l");
  t.run(100);
  const server = t.s.screen(), user = t.user.snapshot();
  assert.deepEqual(texts(server), ["1", "2", "3", "4", "5", "6"]);
  assert.deepEqual(texts(user), texts(server));
  assert.deepEqual(user.cursor, server.cursor);
});

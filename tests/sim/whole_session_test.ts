/**
 * Whole sessions (both session cores, both emulators, a scripted application, the user's
 * terminal) on simulated networks, thousands of seeds a run. A failing case prints its seed
 * and scenario; set DENOMOSH_SIM_SEED to replay a run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { runs } from "./_runs.ts";
import { runWholeSession, type WholeScenario } from "./whole_session.ts";
import {
  CONNECTED_BY,
  CONVERGENCE_BOUND,
  historyScenario,
  MAX_ONE_WAY,
  wholeScenario,
} from "./scenario.ts";
import { Feature } from "../../core/statesync/extensions.ts";
import { ACK_INTERVAL, ACTIVE_RETRY_TIMEOUT } from "../../core/transport/sender.ts";
import { SERVER_LATE_MS } from "../../core/session/notification.ts";
import { ECHO_MINDELAY_MS } from "../../core/session/server_session.ts";
import type { Framebuffer } from "../../core/terminal/framebuffer.ts";
import type { Row } from "../../core/terminal/row.ts";

/** Row texts and the cursor, for a readable failure. */
function show(fb: Framebuffer): string {
  return fb.rows.map((r) => `|${r.toText()}|`).join("\n") +
    `\ncursor ${fb.cursor.row},${fb.cursor.col} visible=${fb.cursor.visible}`;
}

/** The user's terminal shows exactly the server's screen. */
function assertSameScreen(user: Framebuffer, server: Framebuffer): void {
  const same = user.width === server.width && user.height === server.height &&
    user.rows.every((r, i) => r.equals(server.rows[i])) &&
    user.cursor.row === server.cursor.row && user.cursor.col === server.cursor.col &&
    user.cursor.visible === server.cursor.visible;
  if (!same) assert.fail(`user's screen:\n${show(user)}\nserver's screen:\n${show(server)}`);
}

Deno.test("whole sessions: every keystroke reaches the application once, in order, and the user's screen is the server's after healing (5,000 sessions)", () => {
  fc.assert(
    fc.property(wholeScenario(), (s) => {
      const r = runWholeSession(s);
      assert.equal(r.orderViolation, false, "the application read keys out of order or twice");
      assert.equal(r.received, r.typed, "keystrokes lost or duplicated");
      assert.ok(r.exits.client === undefined, `client left: ${JSON.stringify(r.exits.client)}`);
      assert.ok(r.exits.server === undefined, `server left: ${JSON.stringify(r.exits.server)}`);
      assertSameScreen(r.userScreen, r.serverScreen);
    }),
    runs(5000),
  );
});

Deno.test("whole sessions: a shutdown by either side ends both cleanly on a healed network (500 sessions)", () => {
  fc.assert(
    fc.property(wholeScenario(), fc.constantFrom("client", "server"), (s, by) => {
      const at = s.end;
      const r = runWholeSession({
        ...s,
        shutdown: { at, by },
        end: at + 2 * ACTIVE_RETRY_TIMEOUT,
      });
      assert.ok(r.exits.client, "the client never left");
      assert.ok(r.exits.server, "the server never left");
      assert.equal(r.exits.client.clean, true, JSON.stringify(r.exits.client));
      assert.equal(r.exits.server.clean, true);
      for (const side of [r.exits.client, r.exits.server]) {
        assert.ok(side.at - at < 2000, `left ${side.at - at} ms after the shutdown began`);
      }
    }),
    runs(500),
  );
});

Deno.test("whole sessions: the notification bar appears during a long outage and is gone soon after it ends (500 sessions)", () => {
  // From the last contact: the server counts as late after SERVER_LATE_MS, and the client
  // redraws at least at every heartbeat.
  const APPEARS = SERVER_LATE_MS + ACK_INTERVAL + 1;
  // After healing: the server's next heartbeat, which acknowledges the client's latest.
  const CLEARS = 2 * ACK_INTERVAL + 2 * MAX_ONE_WAY + 500;
  fc.assert(
    fc.property(
      wholeScenario({ lossy: false }),
      fc.integer({ min: 3000, max: 12_000 }),
      fc.integer({ min: APPEARS + 1000, max: 40_000 }),
      (s, start, length) => {
        const end = start + length;
        const scenario: WholeScenario = {
          ...s,
          blackouts: [{ start, end }],
          healAt: end,
          observe: [start + APPEARS, end + CLEARS],
          end: end + CLEARS + 1000,
        };
        const r = runWholeSession(scenario);
        const [during, after] = r.observations;
        assert.match(during.rows[0], /^mosh: Last (contact|reply) /, `at ${during.at}`);
        assert.doesNotMatch(after.rows[0], /^mosh: /, `at ${after.at}: ${after.rows[0]}`);
      },
    ),
    runs(500),
  );
});

Deno.test("a whole session replays exactly from its seed", () => {
  const s: WholeScenario = {
    seed: 20261127,
    c2s: { delay: 120, jitter: 40, loss: 0.3, duplicate: 0.1, reorder: 0.2 },
    s2c: { delay: 80, jitter: 60, loss: 0.2, duplicate: 0.05, reorder: 0.2 },
    width: 60,
    height: 12,
    blackouts: [{ start: 3000, end: 23_000 }],
    rebinds: [10_000],
    typing: Array.from({ length: 30 }, (_, i) => ({ at: 200 * i, keys: i % 7 ? `k${i}` : "\r" })),
    resizes: [{ at: 4000, width: 70, height: 14 }],
    output: [{ at: 500, text: "one\r\n" }, { at: 20_000, text: "two\r\n" }],
    healAt: 23_000,
    end: 23_000 + CONVERGENCE_BOUND,
  };
  const a = runWholeSession(s), b = runWholeSession(s);
  assert.deepEqual(a.observations, b.observations);
  assert.equal(a.steps, b.steps);
  assert.equal(a.received, a.typed);
  assertSameScreen(a.userScreen, a.serverScreen);
  assertSameScreen(b.userScreen, a.userScreen);
});

Deno.test("whole sessions: the echo of a typed key on an idle session is back after one round trip and the 1 ms echo delay (300 sessions)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 150 }),
      fc.integer({ min: 0, max: 150 }),
      fc.integer({ min: 1200, max: 2800 }),
      fc.stringMatching(/^[a-z]$/),
      (up, down, at, key) => {
        const perfect = { jitter: 0, loss: 0, duplicate: 0, reorder: 0 };
        const s: WholeScenario = {
          seed: 1,
          c2s: { delay: up, ...perfect },
          s2c: { delay: down, ...perfect },
          width: 40,
          height: 10,
          blackouts: [],
          rebinds: [],
          typing: [{ at, keys: key }],
          resizes: [],
          output: [],
          predict: "never",
          healAt: 0,
          recordScreens: true,
          end: at + up + down + 40,
        };
        const r = runWholeSession(s);
        const echoed = r.screens.find((o) => o.rows[1].startsWith(`$ ${key}`));
        assert.ok(echoed, "the echo never came");
        // The client's 1 ms collection delay, the trip up, the server's 1 ms echo delay, the
        // trip down.
        const bound = 1 + up + ECHO_MINDELAY_MS + down;
        assert.ok(echoed.at - at <= bound, `echo after ${echoed.at - at} ms (bound ${bound})`);
      },
    ),
    runs(300),
  );
});

Deno.test("whole sessions: a reattach at a random moment under loss loses no key typed into the new client, and its screen is the server's (1,000 sessions)", () => {
  fc.assert(
    fc.property(wholeScenario(), fc.integer({ min: CONNECTED_BY, max: 15_000 }), (s, at) => {
      // The new client gets connected (it gives up on a server silent for 15 s, as mosh's).
      const clean = { start: at, end: at + 1000 };
      const rebinds = s.rebinds.filter((t) => t < clean.start || t >= clean.end);
      const r = runWholeSession({ ...s, rebinds, attach: { at }, clean: [clean] });
      const before = r.typedBeforeAttach, after = r.typed.slice(before.length);
      assert.ok(r.received.endsWith(after), "a key typed into the new client was lost");
      const fromOld = r.received.slice(0, r.received.length - after.length);
      assert.ok(before.startsWith(fromOld), "the old client's keys came out of order");
      assert.equal(r.exits.client, undefined, JSON.stringify(r.exits.client));
      assert.equal(r.exits.server, undefined);
      assertSameScreen(r.userScreen, r.serverScreen);
    }),
    runs(1000),
  );
});

Deno.test("whole sessions: a client that is taken over is told so, and leaves cleanly (200 sessions)", () => {
  fc.assert(
    fc.property(
      wholeScenario({ lossy: false }),
      fc.integer({ min: 2000, max: 12_000 }),
      (s, at) => {
        // A network without trouble: the old client is there to hear its farewell.
        const r = runWholeSession({ ...s, blackouts: [], rebinds: [], attach: { at } });
        const old = r.exits.oldClient;
        assert.ok(old, "the old client is still running");
        assert.ok(old.at - at < 2000, `it left ${old.at - at} ms after the attach`);
        assert.equal(old.clean, true);
        assert.match(old.message ?? "", /taken over by another client \(the new client\)/);
      },
    ),
    runs(200),
  );
});

/** The count a marker line stands for, or null if `line` is not a marker. */
function markerCount(line: string): number | null {
  const m = /^\[(?:… )?([\d,]+)(?: lines?(?: not transferred| skipped)?)?(?: …)?\]$/.exec(line);
  return m ? Number(m[1].replaceAll(",", "")) : null;
}

/**
 * The user's scrollback is the server's history, row for row (text and soft wrap), except
 * that a marker stands for each run of rows not sent, with their count; it starts with the
 * line the client pushed aside (the user's own, blank here) when the session began.
 */
function assertSameHistory(user: readonly Row[], server: readonly Row[], perFrame: number): void {
  const text = (r: Row) => r.toText().trimEnd() + (r.wrap ? "⏎" : "");
  const context = () =>
    `\nuser (${user.length}):\n${user.slice(0, 80).map(text).join("\n")}\n` +
    `server (${server.length}):\n${server.slice(0, 80).map(text).join("\n")}`;
  assert.equal(
    user.length > 0 && text(user[0]),
    "",
    "the line pushed aside at the start" + context(),
  );
  // A marker only where the bound was hit: a frame then carried its newest `perFrame` rows,
  // so at least that many (or the byte bound's worth, more than 100 rows here) follow it.
  const minRun = Math.min(perFrame, 100);
  let j = 0, sinceMarker = Infinity;
  for (let i = 1; i < user.length; i++) {
    const skipped = markerCount(user[i].toText().trimEnd());
    if (skipped !== null) {
      assert.ok(skipped > 0 && j + skipped <= server.length, `marker at ${i}` + context());
      assert.ok(sinceMarker >= minRun, `a marker ${sinceMarker} rows after another` + context());
      j += skipped;
      sinceMarker = 0;
      continue;
    }
    sinceMarker++;
    // The empty row that ends a line cut short by a gap, just before its marker.
    const next = user[i + 1] && markerCount(user[i + 1].toText().trimEnd());
    if (next && text(user[i]) === "" && user[i - 1]?.wrap) continue;
    assert.ok(j < server.length, `row ${i} of the scrollback is past the server's` + context());
    assert.equal(text(user[i]), text(server[j]), `row ${i}, server row ${j}` + context());
    j++;
  }
  assert.equal(j, server.length, "the newest server rows never reached the scrollback" + context());
}

Deno.test("whole sessions: the user's scrollback is the server's history, with a marker exactly where lines were left out (2,000 sessions)", () => {
  fc.assert(
    fc.property(historyScenario(), (s) => {
      // Row for row needs one width: resizes have a property of their own.
      const r = runWholeSession({ ...s, resizes: [] });
      assert.equal(r.received, r.typed);
      assertSameScreen(r.userScreen, r.serverScreen);
      assertSameHistory(r.userHistoryRows, r.serverHistoryRows, s.historyRowsPerFrame!);
    }),
    runs(2000),
  );
});

Deno.test("whole sessions: a repaint that the terminal reads after the window changed again pushes nothing into the scrollback", () => {
  // 5 -> 6 -> 5 rows in one instant: the repaint made for 6 rows reaches a terminal of 5.
  const perfect = { delay: 0, jitter: 0, loss: 0, duplicate: 0, reorder: 0 };
  const r = runWholeSession({
    seed: 0,
    c2s: perfect,
    s2c: perfect,
    width: 20,
    height: 5,
    blackouts: [],
    rebinds: [],
    typing: [],
    resizes: [{ at: 14_987, width: 20, height: 6 }, { at: 14_987, width: 20, height: 5 }],
    output: [{ at: 1000, text: "0:0:\r\n0:1:\r\n0:2:\r\n0:3:\r\n0:4:\r\n" }],
    cleanUntil: 1000,
    healAt: 15_000,
    end: 30_400,
    historyLimit: 1_000_000,
    historyRowsPerFrame: 10,
  });
  assertSameScreen(r.userScreen, r.serverScreen);
  assertSameHistory(r.userHistoryRows, r.serverHistoryRows, 10);
});

Deno.test("whole sessions: with a short history, what is kept is what the user's scrollback ends with (1,000 sessions)", () => {
  fc.assert(
    fc.property(
      historyScenario({ maxLines: 400, historyLimit: fc.integer({ min: 1, max: 200 }) }),
      (s) => {
        // Lines leave the server's history while a flood holds the frames' history back.
        const r = runWholeSession({ ...s, resizes: [] });
        assert.equal(r.received, r.typed);
        assertSameScreen(r.userScreen, r.serverScreen);
        assertScrollbackEndsWithHistory(r);
      },
    ),
    runs(1000),
  );
});

/**
 * The user's scrollback, after its last marker, ends with the newest rows the server keeps;
 * and when the server keeps any, some reached the user.
 */
function assertScrollbackEndsWithHistory(r: ReturnType<typeof runWholeSession>): void {
  const text = (row: Row) => row.toText().trimEnd() + (row.wrap ? "⏎" : "");
  const user = r.userHistoryRows.map(text), server = r.serverHistoryRows.map(text);
  const lastMarker = user.findLastIndex((l) => markerCount(l.replace(/⏎$/, "")) !== null);
  const tail = user.slice(lastMarker + 1);
  const n = Math.min(tail.length, server.length);
  assert.deepEqual(tail.slice(tail.length - n), server.slice(server.length - n));
  if (server.length) assert.ok(n > 0 || user.length === 1, "the newest lines reached nobody");
}

Deno.test("whole sessions: a client that attaches receives the history the server kept (500 sessions)", () => {
  fc.assert(
    fc.property(
      historyScenario({ maxLines: 300, historyLimit: fc.integer({ min: 1, max: 400 }) }),
      fc.integer({ min: CONNECTED_BY, max: 15_000 }),
      (s, at) => {
        // The new client gets connected (it gives up on a server silent for 15 s, as mosh's).
        const clean = { start: at, end: at + 1000 };
        const rebinds = s.rebinds.filter((t) => t < clean.start || t >= clean.end);
        const r = runWholeSession({ ...s, resizes: [], rebinds, attach: { at }, clean: [clean] });
        assertSameScreen(r.userScreen, r.serverScreen);
        // r's user is the new client's terminal: what it holds came after the attach.
        assertScrollbackEndsWithHistory(r);
        const kept = r.serverHistoryRows.filter((row) => row.toText().trim() !== "").length;
        const got = r.userHistoryRows.filter((row) => row.toText().trim() !== "").length;
        assert.ok(kept === 0 || got > 0, `the server keeps ${kept} rows, the new client got none`);
      },
    ),
    runs(500),
  );
});

Deno.test("whole sessions: without native scrollback (a stock client's way) nothing reaches the user's scrollback (200 sessions)", () => {
  fc.assert(
    fc.property(historyScenario({ maxLines: 100 }), (s) => {
      const r = runWholeSession({ ...s, features: Feature.notice });
      assertSameScreen(r.userScreen, r.serverScreen);
      assert.deepEqual(r.userHistory, [], "history reached a client that did not ask for it");
    }),
    runs(200),
  );
});

Deno.test("whole sessions: with resizes, the scrollback holds the server's lines in order, none twice, every gap marked (500 sessions)", () => {
  fc.assert(
    fc.property(historyScenario(), (s) => {
      const r = runWholeSession(s);
      assertSameScreen(r.userScreen, r.serverScreen);
      // Widths change, so rows do not match one for one: follow the lines the application
      // numbered ("burst:line:"). In the user's scrollback they are the server's, in order,
      // none twice, and server lines are left out only where a marker stands. (What the
      // server's own resize cuts off its screen, as mosh's does, is in neither.)
      const tag = (line: string) => /^(\d+:\d+):/.exec(line)?.[1];
      const server = r.serverHistory.map(tag).filter((t) => t !== undefined);
      let j = 0, marked = false;
      for (const line of r.userHistory) {
        if (markerCount(line) !== null) {
          marked = true;
          continue;
        }
        const t = tag(line);
        if (t === undefined) continue;
        const k = server.indexOf(t, j);
        assert.ok(k >= 0, `${t}: not a server line, or out of order, or twice`);
        assert.ok(k === j || marked, `server lines ${server.slice(j, k)} left out silently`);
        j = k + 1;
        marked = false;
      }
    }),
    runs(500),
  );
});

Deno.test("whole sessions without native scrollback (mosh's way): the bar shows during an outage, even right after a resize (300 sessions)", () => {
  const APPEARS = SERVER_LATE_MS + ACK_INTERVAL + 1;
  fc.assert(
    fc.property(
      wholeScenario({ lossy: false }),
      fc.integer({ min: 3000, max: 12_000 }),
      fc.integer({ min: 1, max: 60 }),
      (s, start, before) => {
        const end = start + APPEARS + 2000;
        const r = runWholeSession({
          ...s,
          features: Feature.notice,
          // The window shrinks just before the outage: the server's screen, larger, lags it.
          resizes: [
            { at: 0, width: s.width + 21, height: s.height },
            { at: start - before, width: s.width, height: s.height },
          ],
          blackouts: [{ start, end }],
          healAt: end,
          observe: [start + APPEARS],
          end: end + 1000,
        });
        assert.match(r.observations[0].rows[0], /^mosh: Last (contact|reply) /);
      },
    ),
    runs(300),
  );
});

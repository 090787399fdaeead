/**
 * A real terminal: `historyFrame`'s output, written to a tmux pane (history-limit 50000) by
 * `_history_frame_app.ts`, leaves in tmux's history exactly the rows it was given, once each,
 * in order, with their colours and soft wraps (`capture-pane -J` joins a long line); a
 * repaint and an alternate-screen round trip push nothing, and the main screen comes back as
 * it was. Also what tmux itself turns into history, which `newFrame`'s scrollback-safe
 * drawing avoids (docs/scrollback.md).
 */
import assert from "node:assert/strict";
import { sleep, Tmux } from "./_tmux.ts";
import { pollUntil } from "../_poll.ts";
import type { Expectations } from "./_history_frame_app.ts";

const haveTmux = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((r) => r.success, () => false);
const APP = new URL("./_history_frame_app.ts", import.meta.url).pathname;

/** Rows as `capture-pane -J` prints them: soft-wrapped rows joined, trailing spaces dropped. */
function joined(rows: readonly { text: string; wrap: boolean }[], width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const r of rows) {
    line += r.wrap ? r.text.padEnd(width) : r.text;
    if (!r.wrap) {
      out.push(line.trimEnd());
      line = "";
    }
  }
  if (line !== "") out.push(line.trimEnd());
  return out;
}

const lines = (capture: string) => capture.replace(/\n$/, "").split("\n").map((l) => l.trimEnd());

Deno.test({
  name: "tmux's history holds the rows given, once, in order, coloured and joined",
  ignore: !haveTmux,
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/expected.json`;
    const width = 40, height = 10;
    const t = await Tmux.start(`deno run -A ${APP} ${file}`, {
      width,
      height,
      historyLimit: 50000,
    });
    try {
      await pollUntil(
        () => Deno.stat(file).then(() => true, () => false),
        (yes) => yes,
        30_000,
        100,
      );
      const want: Expectations = JSON.parse(await Deno.readTextFile(file));
      await t.settled();

      const historySize = Number(await t.format("history_size"));
      assert.equal(historySize, want.history.length, "one history line per row given");
      const all = lines(await t.capture("-J", "-S", "-", "-E", "-"));
      const expectAll = joined([...want.history, ...want.screen], width);
      assert.deepEqual(all, expectAll);
      assert.ok(all.some((l) => l.startsWith("long 50 abcdefghij") && l.length > width * 2));
      assert.ok(all.includes("[… 10 lines not transferred …]"), "the marker");
      assert.ok(!all.some((l) => l.startsWith("mosh:")), "the notification bar is not history");
      assert.ok(!all.some((l) => l.startsWith("vi ")), "nothing of the alternate screen");

      // Colours: line 7 was drawn in colour 2 (green), 14 in 3, both kept in the history.
      const coloured = lines(await t.capture("-e", "-J", "-S", "-", "-E", "-"));
      for (const [n, sgr] of [[7, "32"], [14, "33"], [294, "31"]]) {
        assert.ok(
          coloured.some((l) => l.includes(`\x1b[${sgr}m${n}`)),
          `line ${n} in colour ${sgr}`,
        );
      }
      assert.deepEqual(want.afterAlternate, want.beforeAlternate, "the main screen came back");
      assert.equal(await t.format("alternate_on"), "0");
    } finally {
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "what tmux turns into history: full clears and CSI J from home, any region's scroll",
  ignore: !haveTmux,
  async fn() {
    const cases: [string, string, number][] = [
      ["CSI 2 J", "\\033[3;3H\\033[2J", 5],
      ["CSI J from home", "\\033[H\\033[J", 5],
      ["CSI J lower", "\\033[2;1H\\033[J", 0],
      ["CSI 1 J from the last row (scrollback-safe clear)", "\\033[5;19H\\033[1J\\033[K", 0],
      ["line feed at the bottom of rows 2..4", "\\033[2;4r\\033[4;1H\\n\\033[r", 1],
      ["delete line at row 2 (scrollback-safe shortcut)", "\\033[2;1H\\033[2M", 0],
      ["the alternate screen", "\\033[?1049h\\r\\n\\r\\n\\r\\n\\r\\n\\r\\n\\r\\n\\033[?1049l", 0],
    ];
    for (const [what, seq, pushed] of cases) {
      const t = await Tmux.start(
        `sh -c "printf 'a\\r\\nb\\r\\nc\\r\\nd\\r\\ne'; printf '${seq}'; sleep 60"`,
        { width: 20, height: 5, historyLimit: 1000 },
      );
      try {
        await t.waitFor((s) => s.includes("a") || s.trim() === "", 5000);
        await sleep(300);
        assert.equal(Number(await t.format("history_size")), pushed, what);
      } finally {
        await t.close();
      }
    }
  },
});

import { assertEquals } from "../../_assert.ts";
import { Framebuffer } from "../../../core/terminal/framebuffer.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import { newFrame } from "../../../core/terminal/display.ts";
import { drawNotificationBar } from "../../../core/session/notification_bar.ts";

Deno.test("the bar covers row 0 in bold white on blue and hides a cursor there", () => {
  const fb = Framebuffer.blank(40, 5);
  const bar = drawNotificationBar(fb, "mosh: Last contact 7 seconds ago.");
  assertEquals(bar.rows[0].toText(), "mosh: Last contact 7 seconds ago.".padEnd(40));
  assertEquals(bar.cursor.visible, false);
  assertEquals(bar.rows[1], fb.rows[1], "other rows are shared, untouched");
  // Drawn on a real emulator, it reads back the same, colours included.
  const e = new Emulator(40, 5);
  e.write(new TextEncoder().encode(newFrame(null, bar)));
  const seen = e.snapshot();
  assertEquals(seen.rows[0].toText(), bar.rows[0].toText());
  assertEquals(seen.rows[0].renditions(0).sgr(), "\x1b[0;1;37;44m");
  assertEquals(seen.rows[0].renditions(39).sgr(), "\x1b[0;37;44m");
});

Deno.test("a long text is cut at the edge; wide characters fit or stop", () => {
  const fb = Framebuffer.blank(10, 2);
  assertEquals(drawNotificationBar(fb, "abcdefghijklmnop").rows[0].toText(), "abcdefghij");
  assertEquals(
    drawNotificationBar(fb.with({ cursor: { row: 1, col: 0, visible: true } }), "漢字").cursor
      .visible,
    true,
  );
});

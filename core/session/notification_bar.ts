/**
 * Draws the notification bar over row 0 of a frame, as mosh does: every cell a space in white
 * on blue, the text in bold white on blue, and the cursor hidden if it sits in row 0. The
 * frame is a copy; the synchronized state is never touched.
 *
 * @module
 */

import type { Framebuffer } from "../terminal/framebuffer.ts";
import { RowBuilder } from "../terminal/row.ts";
import { Attr, palette, Renditions } from "../terminal/renditions.ts";
import { charWidth } from "../terminal/wcwidth.ts";

const BAR = new Renditions(palette(7), palette(4), 0);
const TEXT = new Renditions(palette(7), palette(4), Attr.bold);

/** `fb` with the bar showing `text` across its top row. */
export function drawNotificationBar(fb: Framebuffer, text: string): Framebuffer {
  const row = new RowBuilder(fb.width);
  for (let c = 0; c < fb.width; c++) row.set(c, " ", BAR);
  let col = 0;
  let last = -1; // the cell a combining mark attaches to
  let lastText = "";
  for (const ch of text) {
    if (col >= fb.width) break;
    const w = charWidth(ch.codePointAt(0)!);
    if (w === 1 || (w === 2 && col + 1 < fb.width)) {
      row.set(col, ch, TEXT, w);
      last = col;
      lastText = ch;
      col += w;
    } else if (w === 0 && last >= 0) {
      lastText += ch;
      row.set(last, lastText, TEXT);
    }
  }
  const cursor = fb.cursor.row === 0 ? { ...fb.cursor, visible: false } : fb.cursor;
  return fb.withRow(0, row.build()).with({ cursor });
}

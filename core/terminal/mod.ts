/**
 * The screen: an emulator that reads a program's output into immutable `Framebuffer`
 * snapshots, and `newFrame`, the escapes that turn a terminal showing one frame into one
 * showing another (mosh's `Terminal::Emulator`, `Framebuffer` and `Display`). For native
 * scrollback: the emulator's history (numbered lines that left the top of the screen) and
 * alternate screen, `historyFrame` to write history into the user's terminal, and the wire
 * form of history rows.
 *
 * ```ts
 * import { Emulator, newFrame } from "./mod.ts";
 * const server = new Emulator(80, 24), client = new Emulator(80, 24);
 * const before = server.snapshot();
 * server.write(new TextEncoder().encode("\x1b[1mhello\x1b[0m"));
 * client.write(new TextEncoder().encode(newFrame(before, server.snapshot())));
 * if (!client.snapshot().equals(server.snapshot())) throw new Error("round trip failed");
 * ```
 *
 * @module
 */

export { Emulator, type EmulatorOptions } from "./emulator.ts";
export {
  BLANK_STATE,
  type Cursor,
  Framebuffer,
  type FramebufferState,
  type MouseEncoding,
  type MouseReporting,
} from "./framebuffer.ts";
export { type Cell, Row, RowBuilder } from "./row.ts";
export { Attr, colorKind, DEFAULT_COLOR, palette, Renditions, rgb, sgr } from "./renditions.ts";
export { type DisplayOptions, newFrame } from "./display.ts";
export { fitRows, historyFrame, historyMarkerRow } from "./history_frame.ts";
export {
  decodeHistoryRows,
  encodeHistoryRows,
  MAX_HISTORY_CELL_BYTES,
  MAX_HISTORY_CELLS,
  MAX_HISTORY_ROWS,
  MAX_HISTORY_WIDTH,
} from "./history_codec.ts";
export { charWidth, type Width } from "./wcwidth.ts";

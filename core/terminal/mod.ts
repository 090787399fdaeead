/**
 * The screen: an emulator that reads a program's output into immutable `Framebuffer`
 * snapshots, and `newFrame`, the escapes that turn a terminal showing one frame into one
 * showing another (mosh's `Terminal::Emulator`, `Framebuffer` and `Display`).
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

export { Emulator } from "./emulator.ts";
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
export { charWidth, type Width } from "./wcwidth.ts";

/**
 * Writing the programs' own text (usage, messages, MOSH CONNECT) to stdout and stderr.
 * Synchronous and complete: a short write is continued, so a line is never cut when the
 * reader is a pipe (ssh reading `mosh-server new`) that takes it in pieces.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Something with a synchronous write, like `Deno.stdout`. */
export interface SyncWriter {
  writeSync(p: Uint8Array): number;
}

/** Writes all of `text` to `out`. */
export function writeAll(out: SyncWriter, text: string): void {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) off += out.writeSync(bytes.subarray(off));
}

/** Like {@link writeAll}, for a terminal that may be gone: a failed write is dropped. */
export function tryWrite(out: SyncWriter, text: string): void {
  try {
    writeAll(out, text);
  } catch {
    // nobody is there to read it
  }
}

/**
 * Writing a file that only its owner may read, safely in a directory others can write to
 * (such as /tmp): mosh-server's screen dump (`MOSH_SERVER_SCREEN_DUMP`), which holds what is on
 * the user's screen.
 *
 * The text goes to a new file created exclusively (O_CREAT|O_EXCL, which also refuses to
 * follow a symbolic link at that name) with mode 0600, next to the target, and is then renamed
 * over the target. rename(2) replaces the directory entry itself and never follows a link, so
 * neither a link planted at the target nor one planted at the temporary name can redirect the
 * write; a link already at the target is refused outright, with a message, so that a mistaken
 * configuration is not silently "fixed" by replacing it.
 *
 * @module
 */

/** Writes `text` to `path` as a new file of mode 0600 (see the module doc). */
export function writePrivateFile(path: string, text: string): void {
  let existing: Deno.FileInfo | null = null;
  try {
    existing = Deno.lstatSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (existing?.isSymlink) {
    throw new Error(`Refusing to write ${path}: it is a symbolic link`);
  }
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  const temp = `${path}.${Deno.pid}.${suffix}.tmp`;
  const file = Deno.openSync(temp, { write: true, createNew: true, mode: 0o600 });
  try {
    try {
      // The umask may take bits off 0600, never add any.
      const bytes = new TextEncoder().encode(text);
      for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
    } finally {
      file.close();
    }
    Deno.renameSync(temp, path);
  } catch (e) {
    try {
      Deno.removeSync(temp);
    } catch {
      // already renamed or gone
    }
    throw e;
  }
}

/** A scratch directory for one test's files, removed however the test ends. */

/** Runs `fn` in a new temporary directory, then removes the directory and all in it. */
export function withDir(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync();
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * `deno task compile`: builds `dist/mosh`, one standalone executable that is mosh, mosh-client
 * or mosh-server by the name it runs under (see cli/main.ts).
 *
 * `deno compile` downloads Deno's runtime (denort) on first use. Where that is impossible, set
 * `DENORT_BIN` to a denort binary of the same version (2.9.6); `deno compile` uses it instead.
 *
 * @module
 */

import { V8_FLAGS } from "../cli/self.ts";

/** Where the executable goes. */
export const OUTPUT = new URL("../dist/mosh", import.meta.url).pathname;

/** The arguments of `deno compile` that build {@link OUTPUT} from the project at `root`. */
export function compileArgs(root: string): string[] {
  return [
    "compile",
    "-A",
    "--unstable-net",
    V8_FLAGS,
    "--config",
    `${root}/deno.json`,
    "--output",
    OUTPUT,
    `${root}/cli/main.ts`,
  ];
}

/** What to tell the user when `deno compile` failed with `stderr`. */
export function explainCompileFailure(stderr: string): string {
  if (/dl\.deno\.land|denort|error sending request|dns error|Connect/i.test(stderr)) {
    return "deno compile could not download its runtime (denort) from Deno's servers.\n" +
      "Download denort-<target>.zip for Deno 2.9.6 where you can, unzip it, and run\n" +
      "  DENORT_BIN=/path/to/denort deno task compile";
  }
  return "deno compile failed; its message is above.";
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  await Deno.mkdir(`${root}/dist`, { recursive: true });
  const cmd = new Deno.Command(Deno.execPath(), {
    args: compileArgs(root),
    stdout: "inherit",
    stderr: "piped",
  });
  const r = await cmd.output();
  const stderr = new TextDecoder().decode(r.stderr);
  Deno.stderr.writeSync(r.stderr);
  if (!r.success) {
    console.error(`\n${explainCompileFailure(stderr)}`);
    Deno.exit(1);
  }
  console.log(`built ${OUTPUT}; install it with: deno task install [--prefix DIR]`);
}

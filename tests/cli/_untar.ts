/** The system's tar reading an archive of ours: the judge of cli/tar.ts and the payloads. */

/** Runs `tar -x -f - -C dir` (and `options`) on `archive`; its status and stderr. */
export async function untar(
  archive: Uint8Array,
  dir: string,
  options: string[] = [],
): Promise<Deno.CommandOutput> {
  const child = new Deno.Command("tar", {
    args: ["-x", ...options, "-f", "-", "-C", dir],
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(archive);
  await w.close();
  return await child.output();
}

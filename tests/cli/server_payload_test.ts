/**
 * What `mosh` sends to install its server: the pieces read here with their sha256, and the tar
 * that carries them, read back by the system's tar: every member 0600 (nothing executable
 * before the host has checked it), in order, with the bytes that were hashed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gatherPayload, tarStream } from "../../cli/server_payload.ts";
import { LAUNCHER_MARK } from "../../cli/launcher.ts";
import { untar } from "./_untar.ts";

Deno.test("the bundle and launcher go as 0600 members, hashed as sent, the server last", async () => {
  const work = await Deno.makeTempDir();
  try {
    const files = await gatherPayload(["bundle", "launcher"], work);
    assert.deepEqual(files.map((f) => [f.path, f.mode]), [
      ["lib/denomosh/denomosh.js", 0o644],
      ["bin/mosh-server", 0o755],
    ]);
    let counted = 0;
    const tar = new Uint8Array(
      await new Response(tarStream(files, (n) => (counted += n))).arrayBuffer(),
    );
    assert.equal(counted, files[0].size + files[1].size);
    const out = `${work}/out`;
    await Deno.mkdir(out);
    const r = await untar(tar, out);
    assert.ok(r.success);
    for (const [i, f] of files.entries()) {
      const data = await Deno.readFile(`${out}/f${i}`);
      assert.equal(data.length, f.size);
      assert.equal(createHash("sha256").update(data).digest("hex"), f.sha256);
      assert.equal((await Deno.stat(`${out}/f${i}`)).mode! & 0o777, 0o600, f.path);
    }
    assert.ok(new TextDecoder().decode(await Deno.readFile(`${out}/f1`)).includes(LAUNCHER_MARK));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a file that changes while it is sent fails the copy here", async () => {
  const work = await Deno.makeTempDir();
  try {
    const path = `${work}/piece`;
    await Deno.writeTextFile(path, "0123456789");
    const file = {
      piece: "bundle" as const,
      path: "lib/denomosh/denomosh.js",
      mode: 0o644,
      sha256: "0".repeat(64),
      size: 10,
      source: path,
    };
    await Deno.writeTextFile(path, "012345678"); // shorter than when it was hashed
    await assert.rejects(
      new Response(tarStream([file])).arrayBuffer(),
      /changed while it was being copied/,
    );
    await Deno.writeTextFile(path, "0123456789ab");
    await assert.rejects(new Response(tarStream([file])).arrayBuffer(), /grew while/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

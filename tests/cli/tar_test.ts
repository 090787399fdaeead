/**
 * Our ustar writer, read back by the system's real `tar` (GNU tar here): random files come
 * out with the same bytes, the mode given and the mtime given; the length is what tarLength
 * says; names and sizes the format cannot carry are refused.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { BLOCK, tarEnd, tarHeader, tarLength, tarPadding } from "../../cli/tar.ts";
import { untar } from "./_untar.ts";

/** The archive of `files` as one array. */
function archive(files: { name: string; data: Uint8Array; mode: number }[], mtime: number) {
  const parts = files.flatMap((f) => [
    tarHeader(f.name, f.data.length, f.mode, mtime),
    f.data,
    tarPadding(f.data.length),
  ]);
  parts.push(tarEnd());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

Deno.test("random files in our tar come out of the system's tar as they went in", async () => {
  const file = fc.record({
    data: fc.uint8Array({ maxLength: 3 * BLOCK + 7 }),
    mode: fc.constantFrom(0o600, 0o644, 0o755, 0o700),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(file, { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 2 ** 32 }),
      async (specs, mtime) => {
        const files = specs.map((s, i) => ({ ...s, name: `dir${i % 2}/f${i}` }));
        const tar = archive(files, mtime);
        assert.equal(tar.length, tarLength(files.map((f) => f.data.length)));
        assert.equal(tar.length % BLOCK, 0);
        const dir = await Deno.makeTempDir();
        try {
          const r = await untar(tar, dir, ["-o"]);
          assert.ok(r.success, new TextDecoder().decode(r.stderr));
          for (const f of files) {
            assert.deepEqual(await Deno.readFile(`${dir}/${f.name}`), f.data);
            const st = await Deno.stat(`${dir}/${f.name}`);
            assert.equal(st.mode! & 0o777, f.mode & ~0o022);
            assert.equal(Math.round(st.mtime!.getTime() / 1000), mtime);
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    ),
    { numRuns: 25 },
  );
});

Deno.test("a header's checksum is what tar checks: one byte changed and tar refuses it", async () => {
  const tar = archive([{ name: "f0", data: new TextEncoder().encode("hello"), mode: 0o600 }], 1);
  tar[3] ^= 1; // in the name; the checksum no longer matches
  const dir = await Deno.makeTempDir();
  try {
    const r = await untar(tar, dir);
    assert.equal(r.success, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("names and sizes a ustar header cannot carry are refused", () => {
  for (const name of ["", "/abs", "a/../b", "..", "x".repeat(101), "sp ace", "é"]) {
    assert.throws(() => tarHeader(name, 1, 0o600), RangeError, name);
  }
  for (const size of [-1, 1.5, 2 ** 33, Number.NaN]) {
    assert.throws(() => tarHeader("f", size, 0o600), RangeError, String(size));
  }
  assert.equal(tarHeader("x".repeat(100), 0o77777777777, 0o600).length, BLOCK);
  assert.equal(tarPadding(0).length, 0);
  assert.equal(tarPadding(1).length, BLOCK - 1);
  assert.equal(tarPadding(BLOCK).length, 0);
});

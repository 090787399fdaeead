import assert from "node:assert/strict";
import { writePrivateFile } from "../../io/private_file.ts";
import { withDir } from "../_temp_dir.ts";

Deno.test("writePrivateFile makes a new file of mode 0600, whatever the umask", () => {
  const old = Deno.umask(0);
  try {
    withDir((dir) => {
      const path = `${dir}/dump.json`;
      writePrivateFile(path, "first");
      assert.equal(Deno.readTextFileSync(path), "first");
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
      // An existing file readable by others is replaced by a private one.
      Deno.writeTextFileSync(path, "old", { mode: 0o644 });
      Deno.chmodSync(path, 0o644);
      writePrivateFile(path, "second");
      assert.equal(Deno.readTextFileSync(path), "second");
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["dump.json"], "no temp");
    });
  } finally {
    Deno.umask(old);
  }
});

Deno.test("writePrivateFile refuses a symbolic link at the target and leaves its target be", () => {
  withDir((dir) => {
    const victim = `${dir}/victim`;
    Deno.writeTextFileSync(victim, "precious");
    const path = `${dir}/dump.json`;
    Deno.symlinkSync(victim, path);
    assert.throws(() => writePrivateFile(path, "overwritten?"), /symbolic link/);
    assert.equal(Deno.readTextFileSync(victim), "precious");
    assert.equal(Deno.lstatSync(path).isSymlink, true);
    assert.equal([...Deno.readDirSync(dir)].length, 2, "no temp left behind");
  });
});

Deno.test("writePrivateFile fails cleanly in a directory that does not exist", () => {
  assert.throws(() => writePrivateFile("/nonexistent-dir/dump.json", "x"), Deno.errors.NotFound);
});

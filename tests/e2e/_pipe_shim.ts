/**
 * A pipe for the copy's ssh in tests/e2e/install_server_test.ts, standing for a slow or bad
 * link: `throttle BYTES_PER_SECOND` passes standard input on no faster than that (in tenths of
 * a second); `flip OFFSET` passes it on with the byte at OFFSET inverted.
 */

const [mode, arg] = Deno.args;
const n = Number(arg);
if (!["throttle", "flip"].includes(mode) || !(n >= 0)) {
  console.error("usage: _pipe_shim.ts throttle BYTES_PER_SECOND | flip OFFSET");
  Deno.exit(2);
}

const out = Deno.stdout.writable.getWriter();
const slice = mode === "throttle" ? Math.max(1, Math.floor(n / 10)) : 1 << 16;
const start = Date.now();
let passed = 0;
try {
  for await (const chunk of Deno.stdin.readable) {
    for (let off = 0; off < chunk.length; off += slice) {
      const piece = chunk.slice(off, off + slice);
      if (mode === "flip" && n >= passed && n < passed + piece.length) piece[n - passed] ^= 0xff;
      if (mode === "throttle") {
        // Not ahead of the rate: wait until the bytes passed so far are due.
        const due = start + (passed / n) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      await out.write(piece);
      passed += piece.length;
    }
  }
  await out.close();
} catch {
  // The reader is gone (its ssh was killed): nothing more to pass on.
  Deno.exit(1);
}

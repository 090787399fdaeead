/**
 * An application for load tests: it redraws 20 rows of changing text as fast as the terminal
 * takes them, and shows what the user typed on row 23, all from one process (so its writes
 * never interleave with another program's).
 */
Deno.stdin.setRaw(true);
const enc = new TextEncoder();
const dec = new TextDecoder();
let typed = "";
(async () => {
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) Deno.exit(0);
    typed += dec.decode(buf.subarray(0, n));
    if (typed.includes("\x03")) Deno.exit(0);
  }
})();
for (let i = 0;; i++) {
  let frame = "\x1b[H";
  for (let r = 0; r < 20; r++) {
    frame += `flood ${i} row ${r} ${"=".repeat(40 + (i + r) % 30)}\x1b[K\r\n`;
  }
  frame += `\x1b[23;1H\x1b[Ktyped: ${typed}`;
  const bytes = enc.encode(frame);
  for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
  if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0)); // let the keyboard in
}

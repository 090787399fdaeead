import { assertEquals } from "../_assert.ts";
import { loadTermCaps, parseInfocmp, unescapeTerminfo } from "../../client/terminfo.ts";

Deno.test("terminfo strings decode", () => {
  assertEquals(unescapeTerminfo("\\E[?1049h\\E[22;0;0t"), "\x1b[?1049h\x1b[22;0;0t");
  assertEquals(unescapeTerminfo("^G^?\\072\\,"), "\x07\x7f:,");
});

Deno.test("infocmp output parses into the client's capabilities", () => {
  const text = "#\tReconstructed\nxterm-256color|xterm,\n\tam,\n\tbce,\n\tcolors#0x100,\n" +
    "\tech=\\E[%p1%dX,\n\trmcup=\\E[?1049l\\E[23;0;0t,\n\tsmcup=\\E[?1049h\\E[22;0;0t,\n";
  assertEquals(parseInfocmp(text, "xterm-256color"), {
    smcup: "\x1b[?1049h\x1b[22;0;0t",
    rmcup: "\x1b[?1049l\x1b[23;0;0t",
    ech: true,
    bce: true,
    colors: 256,
    titles: true,
  });
});

Deno.test("the real terminfo of xterm-256color matches what mosh 1.4.0 writes", async () => {
  const caps = await loadTermCaps("xterm-256color");
  assertEquals([caps.smcup, caps.colors, caps.bce], ["\x1b[?1049h\x1b[22;0;0t", 256, true]);
  assertEquals((await loadTermCaps("no-such-terminal-here")).smcup, "");
});

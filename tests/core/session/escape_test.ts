import { assertEquals } from "../../_assert.ts";
import { escapeConfig, EscapeFilter } from "../../../core/session/escape.ts";

const b = (s: string) => new TextEncoder().encode(s);
const text = (u: Uint8Array) => new TextDecoder().decode(u);

Deno.test("the default escape is Ctrl-^ with mosh's help text", () => {
  const c = escapeConfig(undefined);
  assertEquals([c.key, c.passKey, c.keyName, c.requiresLf], [0x1e, 0x5e, "Ctrl-^", false]);
  assertEquals(c.help, 'Commands: Ctrl-Z suspends, "." quits, "^" gives literal Ctrl-^');
});

Deno.test("MOSH_ESCAPE_KEY: control keys, printable keys, refusals and disabling", () => {
  const ctrlB = escapeConfig("\x02");
  assertEquals([ctrlB.key, ctrlB.passKey, ctrlB.passKey2, ctrlB.keyName], [
    2,
    0x42,
    0x62,
    "Ctrl-B",
  ]);
  const tilde = escapeConfig("~");
  assertEquals([tilde.key, tilde.passKey, tilde.requiresLf, tilde.keyName], [
    0x7e,
    0x7e,
    true,
    '"~"',
  ]);
  assertEquals(tilde.help, 'Commands: Ctrl-Z suspends, "." quits, "~" gives literal "~"');
  for (const refused of ["\x03", "\x04", "\n", "\x0c", "\r", "ab", "\x80"]) {
    assertEquals(escapeConfig(refused).key, 0x1e, JSON.stringify(refused));
  }
  assertEquals(escapeConfig("").key, -1);
});

Deno.test("escape then . quits, then Ctrl-Z suspends, then ^ sends it, else both bytes go", () => {
  const f = new EscapeFilter(escapeConfig(undefined));
  let r = f.feed(b("ls\x1e"));
  assertEquals([text(r.send), r.showHelp, f.pending], ["ls", true, true]);
  r = f.feed(b("."));
  assertEquals([r.quit, r.hideHelp, r.send.length], [true, true, 0]);
  r = f.feed(b("\x1e^x"));
  assertEquals(text(r.send), "\x1ex");
  r = f.feed(b("\x1eq"));
  assertEquals(text(r.send), "\x1eq");
  r = f.feed(b("a\x1e\x1azz"));
  assertEquals([text(r.send), r.suspend, text(r.rest)], ["a", true, "zz"]);
  r = f.feed(b("\x0c"));
  assertEquals([r.repaint, text(r.send)], [true, "\x0c"]);
});

Deno.test("a printable escape key works only right after Enter", () => {
  const f = new EscapeFilter(escapeConfig("~"));
  assertEquals(text(f.feed(b("a~.")).send), "a~.");
  const r = f.feed(b("\r~."));
  assertEquals([text(r.send), r.quit], ["\r", true]);
  assertEquals(text(new EscapeFilter(escapeConfig("")).feed(b("\x1e.")).send), "\x1e.");
});

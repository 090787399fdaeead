/**
 * Widths agree with glibc's `wcwidth()`, which Debian's mosh uses, over every code point (when
 * the running glibc is the one the table was generated from), and with mosh's ISO-8859-1 rule.
 */
import assert from "node:assert/strict";
import { charWidth } from "../../../core/terminal/wcwidth.ts";
import { WCWIDTH_GLIBC_VERSION } from "../../../core/terminal/wcwidth_table.ts";
import { glibcVersion, glibcWcwidth } from "./_glibc.ts";

const sameGlibc = glibcVersion() === WCWIDTH_GLIBC_VERSION;
const ROOT = new URL("../../../", import.meta.url).href;

Deno.test({
  name: `every code point has glibc ${WCWIDTH_GLIBC_VERSION}'s width (ISO-8859-1 printables: 1)`,
  ignore: !sameGlibc,
  fn() {
    let checked = 0;
    for (let cp = 0x100; cp <= 0x10ffff; cp++) {
      const want = glibcWcwidth(cp);
      if (charWidth(cp) !== want) {
        assert.fail(`U+${cp.toString(16)}: ${charWidth(cp)}, glibc ${want}`);
      }
      checked++;
    }
    for (let cp = 0x20; cp < 0x100; cp++) {
      const printable = cp < 0x7f || cp >= 0xa0;
      assert.equal(charWidth(cp), printable ? 1 : glibcWcwidth(cp), `U+${cp.toString(16)}`);
    }
    assert.equal(checked, 0x10ff00);
  },
});

Deno.test("widths of familiar characters", () => {
  const cases: [string, number, number][] = [
    ["A", 0x41, 1],
    ["no-break space", 0xa0, 1],
    ["soft hyphen (ISO-8859-1 rule)", 0xad, 1],
    ["combining acute", 0x301, 0],
    ["zero width joiner", 0x200d, 0],
    ["variation selector 16", 0xfe0f, 0],
    ["CJK", 0x4e00, 2],
    ["Hangul", 0xac00, 2],
    ["grinning face", 0x1f600, 2],
    ["fullwidth !", 0xff01, 2],
    ["unassigned U+0378", 0x378, -1],
    ["line separator", 0x2028, -1],
    ["NUL", 0, -1],
    ["beyond Unicode", 0x110000, -1],
  ];
  for (const [what, cp, w] of cases) assert.equal(charWidth(cp), w, what);
});

Deno.test({
  name: "the generator reproduces the committed table",
  ignore: !sameGlibc,
  async fn() {
    const out = await Deno.makeTempFile({ suffix: ".ts" });
    try {
      const cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-ffi",
          "--allow-write",
          new URL(ROOT + "tools/gen_wcwidth.ts").pathname,
          out,
        ],
        stdout: "null",
      });
      assert.equal((await cmd.output()).code, 0);
      const committed = await Deno.readTextFile(new URL(ROOT + "core/terminal/wcwidth_table.ts"));
      const fresh = await Deno.readTextFile(out);
      const runs = (s: string) => s.match(/"[NZOW][^"]*"/g)!.join("");
      assert.equal(runs(fresh), runs(committed));
    } finally {
      await Deno.remove(out);
    }
  },
});

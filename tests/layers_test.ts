/**
 * The layers of docs/architecture.md hold: every import of every module outside tests/, bench/,
 * tools/ and proto/gen/ keeps to "who may import whom". The checker itself is tested on
 * synthetic input, and on the real tree with one violation added.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { assertEquals } from "./_assert.ts";
import {
  checkImport,
  checkTree,
  importsOf,
  isChecked,
  KNOWN_EXCEPTIONS,
  type Violation,
} from "./_layers.ts";

const ROOT = new URL("../", import.meta.url);

/** Every .ts file of the repository, by repo-relative path (dot folders, dist/ and node_modules/ aside). */
function tsFiles(): string[] {
  const paths: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(new URL(dir, ROOT))) {
      if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "dist") continue;
      if (e.isDirectory) walk(dir + e.name + "/");
      else if (e.isFile && e.name.endsWith(".ts")) paths.push(dir + e.name);
    }
  };
  walk("");
  return paths;
}

/** The modules the rule covers, by repo-relative path. */
function readTree(): Map<string, string> {
  const checked = tsFiles().filter(isChecked);
  return new Map(checked.map((p) => [p, Deno.readTextFileSync(new URL(p, ROOT))]));
}

const PACKAGES = Object.keys(
  JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).imports,
);

const known = (v: Violation) =>
  KNOWN_EXCEPTIONS.some((k) => k.file === v.file && k.specifier === v.specifier);
const show = (v: Violation) => `${v.file}:${v.line}: ${v.specifier}: ${v.reason}`;

Deno.test("every import in the tree keeps to the layers of docs/architecture.md", () => {
  const tree = readTree();
  for (const layer of ["core/", "io/", "server/", "client/", "cli/", "mod.ts"]) {
    assert.ok([...tree.keys()].some((p) => p.startsWith(layer)), `nothing read under ${layer}`);
  }
  const violations = checkTree(tree, PACKAGES);
  assertEquals(violations.filter((v) => !known(v)).map(show), []);
  for (const k of KNOWN_EXCEPTIONS) {
    assert.ok(
      violations.some((v) => v.file === k.file && v.specifier === k.specifier),
      `${k.file} no longer imports ${k.specifier}: remove it from KNOWN_EXCEPTIONS`,
    );
  }
});

Deno.test("one import added against the rule fails the real tree", () => {
  const tree = readTree();
  const file = "core/network/connection.ts";
  tree.set(file, tree.get(file)! + '\nimport { udpNetwork } from "../../io/datagram.ts";\n');
  const lines = tree.get(file)!.split("\n").length - 1;
  assertEquals(
    checkTree(tree, PACKAGES).filter((v) => !known(v)),
    [{ file, line: lines, specifier: "../../io/datagram.ts", reason: "core/ may not import io/" }],
  );
});

Deno.test("the rule on synthetic imports", () => {
  const ok: [string, string][] = [
    ["core/network/fragment.ts", "./datagram.ts"],
    ["core/statesync/state.ts", "../terminal/framebuffer.ts"],
    ["core/terminal/emulator.ts", "@xterm/headless"],
    ["core/x.ts", "@bufbuild/protobuf/wire"],
    ["io/datagram.ts", "../core/transport/transport.ts"],
    ["io/pty.ts", "node:timers"],
    ["server/server.ts", "../io/pty.ts"],
    ["client/client.ts", "../core/prediction/prediction.ts"],
    ["cli/mosh.ts", "../server/server.ts"],
    ["cli/mosh.ts", "../client/client.ts"],
    ["cli/mosh.ts", "fast-check"],
    ["mod.ts", "./core/crypto/ocb.ts"],
  ];
  for (const [file, spec] of ok) assertEquals(checkImport(file, spec, PACKAGES), null, spec);
  const bad: [string, string | null, string][] = [
    ["core/crypto/aes.ts", "node:fs", "core/ may not import node: built-ins"],
    ["core/network/connection.ts", "../../io/datagram.ts", "core/ may not import io/"],
    ["core/a/x.ts", "../../server/server.ts", "core/ may not import server/"],
    ["core/x.ts", "fast-check", "core/ may not import the package fast-check"],
    ["core/x.ts", "npm:left-pad@1", "core/ may not import npm:left-pad@1 directly"],
    ["core/x.ts", "../../../etc/x.ts", "imports a file outside the repository"],
    ["core/a/x.ts", "../../tests/_assert.ts", "core/ may not import tests/"],
    ["io/datagram.ts", "../server/server.ts", "io/ may not import server/"],
    ["io/datagram.ts", "@xterm/headless", "io/ may not import the package @xterm/headless"],
    ["server/server.ts", "../client/escape.ts", "server/ may not import client/"],
    ["server/server.ts", "../cli/output.ts", "server/ may not import cli/"],
    ["client/client.ts", "../server/echo_ack.ts", "client/ may not import server/"],
    ["cli/mosh.ts", "../tests/_hex.ts", "cli/ may not import tests/"],
    ["cli/mosh.ts", "left-pad", "left-pad is not in deno.json's imports"],
    ["mod.ts", "./server/server.ts", "mod/ may not import server/"],
    ["mod.ts", "node:zlib", "mod/ may not import node: built-ins"],
    ["io/datagram.ts", null, "a dynamic import of a computed specifier cannot be checked"],
    ["lib/x.ts", "../core/bytes.ts", "lib/x.ts is in no layer of docs/architecture.md"],
  ];
  for (const [file, spec, reason] of bad) {
    assertEquals(checkImport(file, spec, PACKAGES), reason, `${file} -> ${spec}`);
  }
  assertEquals(checkTree(new Map([["util.ts", ""]]), PACKAGES).map((v) => v.reason), [
    "in no layer of docs/architecture.md",
  ]);
});

Deno.test("the scanner finds every form of import, and nothing in comments, strings or regexes", () => {
  const src = [
    'import { a, b as c } from "./one.ts";',
    "import type { T } from '../two.ts';",
    "import {",
    "  x,",
    "  from,",
    '} from "./three.ts";',
    'import * as ns from "node:four";',
    'import d, { e } from "five";',
    'import "./six.ts";',
    'export * from "./seven.ts";',
    'export * as n8 from "./eight.ts";',
    'export { q } from "./nine.ts";',
    'export type { R } from "./ten.ts";',
    'const m = await import("./eleven.ts");',
    "const n = await import(name);",
    '// import x from "./no1.ts";',
    '/* import x from "./no2.ts"; */',
    "/**",
    ' * import { y } from "./no3.ts";',
    " */",
    "const s = 'import x from \"./no4.ts\"';",
    'const t = `import("./no5.ts") ${a + `${"import(\'./no6.ts\')"}`} from "./no7.ts"`;',
    'const r = /import\\("\\.\\/no8.ts"\\)/g;',
    "const div = a / b / c; const o = { import: 1 };",
    "const meta = import.meta.url; export const z = 1; export type U = string;",
    "class K { import() {} }",
    'export { z as w }; import("./twelve.ts", { with: { type: "json" } });',
    'const r2 = /["\'][/*]/; import "./thirteen.ts"; /* a regex is not a string or a comment */',
    'const q = a / 2; import "./fourteen.ts"; const p = (b) / 4; // a division is not a regex',
  ].join("\n");
  assertEquals(importsOf(src), [
    { specifier: "./one.ts", line: 1 },
    { specifier: "../two.ts", line: 2 },
    { specifier: "./three.ts", line: 3 },
    { specifier: "node:four", line: 7 },
    { specifier: "five", line: 8 },
    { specifier: "./six.ts", line: 9 },
    { specifier: "./seven.ts", line: 10 },
    { specifier: "./eight.ts", line: 11 },
    { specifier: "./nine.ts", line: 12 },
    { specifier: "./ten.ts", line: 13 },
    { specifier: "./eleven.ts", line: 14 },
    { specifier: null, line: 15 },
    { specifier: "./twelve.ts", line: 27 },
    { specifier: "./thirteen.ts", line: 28 },
    { specifier: "./fourteen.ts", line: 29 },
  ]);
});

/** Import statements, each a function of its specifier. */
const FORMS: ((s: string) => string)[] = [
  (s) => `import { a, b } from "${s}";`,
  (s) => `import type { T } from '${s}';`,
  (s) => `import d from "${s}"`,
  (s) => `import * as ns from "${s}";`,
  (s) => `import {\n  x,\n  y as z,\n} from "${s}";`,
  (s) => `import "${s}";`,
  (s) => `export * from "${s}";`,
  (s) => `export { q, r as t } from "${s}";`,
  (s) => `export type { R } from "${s}";`,
  (s) => `const m = await import("${s}");`,
  (s) => `import d, { e } from "${s}";`,
  (s) => `const rx = /["'][/*]/; import "${s}";`,
  (s) => `const dv = a / 2; export * from "${s}"; const dw = (b) / 4;`,
];

/** Text that mentions an import of the specifier without being one. */
const DECOYS: ((s: string) => string)[] = [
  (s) => `// import x from "${s}";`,
  (s) => `/* import x from "${s}"; */`,
  (s) => `/**\n * @example\n * import { y } from "${s}";\n */`,
  (s) => `const s1 = 'import x from "${s}"';`,
  (s) => `const s2 = "export * from '${s}'";`,
  (s) => `const t1 = \`import("${s}") \${n + 1} from "${s}"\`;`,
  (s) => `const t2 = \`a \${\`import "${s}"\`} b\`;`,
  (s) => `const r1 = /import\\("${s.replaceAll("/", "\\/")}"\\)/g;`,
  () => "const q1 = a / b / (c / d); const q2 = [1] / 2;",
  (s) => `const o = { import: "${s}" };`,
  () => "const meta = import.meta.url;",
  () => "export const v = 1; export function f() {}",
];

Deno.test("the scanner finds exactly the imports among decoys (property)", () => {
  const specifier = fc.tuple(
    fc.constantFrom("./", "../", "../../", "node:", "@scope/", ""),
    fc.stringMatching(/^[a-z][a-z_]{0,7}$/),
    fc.constantFrom(".ts", "", "/mod.ts"),
  ).map(([a, b, c]) => a + b + c);
  const piece = fc.oneof(
    fc.tuple(fc.constant(true), fc.nat(FORMS.length - 1), specifier),
    fc.tuple(fc.constant(false), fc.nat(DECOYS.length - 1), specifier),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const src = pieces.map(([real, i, s]) => (real ? FORMS[i](s) : DECOYS[i](s))).join("\n");
      const expected = pieces.filter(([real]) => real).map(([, , s]) => s);
      assertEquals(importsOf(src).map((r) => r.specifier), expected, src);
    }),
    { numRuns: 500 },
  );
});

Deno.test("the scanner finds what Deno's own parser finds, in every .ts file of the repo", async () => {
  const paths = tsFiles();
  const tmp = await Deno.makeTempDir();
  try {
    const entry = `${tmp}/all.ts`;
    const urls = paths.map((p) => new URL(p, ROOT).href);
    await Deno.writeTextFile(entry, urls.map((u) => `import ${JSON.stringify(u)};\n`).join(""));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, entry],
      stderr: "inherit",
    }).output();
    assert.ok(out.success, "deno info failed");
    const info: { modules: { specifier: string; dependencies?: { specifier: string }[] }[] } = JSON
      .parse(new TextDecoder().decode(out.stdout));
    const byUrl = new Map(info.modules.map((m) => [m.specifier, m]));
    for (const [i, path] of paths.entries()) {
      const theirs = new Set((byUrl.get(urls[i])?.dependencies ?? []).map((d) => d.specifier));
      const src = Deno.readTextFileSync(new URL(path, ROOT));
      const ours = new Set(importsOf(src).map((r) => r.specifier));
      assertEquals([...ours].sort(), [...theirs].sort(), path);
    }
    assert.ok(paths.length > 100, `only ${paths.length} files`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

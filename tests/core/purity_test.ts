/**
 * core/ is pure (README, core/platform.ts): no `Deno.*`, no timers, no clock, no `node:`
 * modules, no `crypto` global, and no import of a file outside core/ but the npm packages the
 * emulator and the schemas use. This scans every .ts file under core/ with comments removed
 * (strings stay, so a `"Deno."` in a message is not code but an import specifier is checked),
 * and proves the checker itself on synthetic sources, so breaking the rule fails here.
 */

import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";

const CORE = new URL("../../core/", import.meta.url);
const ALLOWED_PACKAGES = ["@xterm/headless", "@bufbuild/protobuf"];

/** What is forbidden in code, each with what it means. */
const FORBIDDEN: [RegExp, string][] = [
  [/(?<![\w$.])Deno\s*\./, "Deno.*"],
  [
    /(?<![\w$.])(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\b/,
    "a timer",
  ],
  [/(?<![\w$.])performance\s*\.\s*now\b/, "performance.now"],
  [/(?<![\w$.])Date\s*\.\s*now\b/, "Date.now"],
  [/\bnew\s+Date\b/, "new Date"],
  [/(?<![\w$.])crypto\s*\./, "the crypto global"],
];

/**
 * `source` without its comments (`//` and `/* *\/`). Strings, template literals (with the
 * code in their `${}`) and regular expression literals are kept, or with `blank` their text is
 * replaced by spaces, so that words in messages are not taken for code.
 */
export function stripComments(source: string, blank = false): string {
  let out = "";
  let i = 0;
  /** Brace depth of each `${` we are inside, innermost last. */
  const templates: number[] = [];
  let depth = 0;
  let lastSignificant = "";
  const regexMayStart = () =>
    lastSignificant === "" || "(,=:[!&|?{};+-*%<>~^".includes(lastSignificant) ||
    /\b(return|typeof|case|in|of|void|yield|await)$/.test(out.trimEnd());
  const literal = (text: string) => blank ? text.replace(/[^\n]/g, " ") : text;
  const readString = (quote: string) => {
    const start = ++i;
    while (i < source.length && source[i] !== quote) {
      if (source[i] === "\\") i++;
      i++;
    }
    out += quote + literal(source.slice(start, i)) + quote;
    i++;
  };
  const readTemplate = () => {
    // From just after a backtick or a closing `}` of `${`, to the closing backtick or `${`.
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") {
        out += literal(source.slice(i, i + 2));
        i += 2;
      } else if (c === "`") {
        out += c;
        i++;
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        out += "${";
        i += 2;
        templates.push(depth);
        depth++;
        lastSignificant = "{";
        return;
      } else {
        out += literal(c);
        i++;
      }
    }
  };
  while (i < source.length) {
    const c = source[i], next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const comment = source.slice(i, end === -1 ? source.length : end + 2);
      out += comment.replace(/[^\n]/g, " "); // keep line numbers
      i += comment.length;
    } else if (c === '"' || c === "'") {
      readString(c);
      lastSignificant = c;
    } else if (c === "`") {
      out += c;
      i++;
      readTemplate();
      lastSignificant = "`";
    } else if (c === "/" && regexMayStart()) {
      const start = i++;
      let inClass = false;
      while (i < source.length && (inClass || source[i] !== "/") && source[i] !== "\n") {
        if (source[i] === "\\") i++;
        else if (source[i] === "[") inClass = true;
        else if (source[i] === "]") inClass = false;
        i++;
      }
      i++;
      out += "/" + literal(source.slice(start + 1, i - 1)) + "/";
      lastSignificant = "/";
    } else {
      if (c === "{") depth++;
      if (c === "}") {
        depth--;
        if (templates.length && templates[templates.length - 1] === depth) {
          templates.pop();
          out += c;
          i++;
          readTemplate();
          lastSignificant = "`";
          continue;
        }
      }
      out += c;
      if (!/\s/.test(c)) lastSignificant = c;
      i++;
    }
  }
  return out;
}

/** The module specifiers `code` imports or re-exports, statically or dynamically. */
function specifiers(code: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^"'`;]*?\bfrom\s*(["'])([^"']+)\1/g,
    /\bimport\s*(["'])([^"']+)\1/g,
    /\bimport\s*\(\s*(["'`])([^"'`]+)\1/g,
  ];
  for (const p of patterns) for (const m of code.matchAll(p)) found.push(m[2]);
  return found;
}

/**
 * The rule's violations in one file.
 * @param fileUrl where the file is, to resolve relative imports against core/
 */
export function violations(source: string, fileUrl: URL): string[] {
  const code = stripComments(source);
  const problems: string[] = [];
  const lines = stripComments(source, true).split("\n");
  lines.forEach((line, n) => {
    for (const [pattern, what] of FORBIDDEN) {
      if (pattern.test(line)) problems.push(`line ${n + 1}: ${what}: ${line.trim()}`);
    }
  });
  for (const spec of specifiers(code)) {
    if (spec.startsWith("node:")) problems.push(`imports ${spec} (a node: module)`);
    else if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("file:")) {
      const target = new URL(spec, fileUrl);
      if (!target.href.startsWith(CORE.href)) problems.push(`imports ${spec}, outside core/`);
    } else if (!ALLOWED_PACKAGES.some((p) => spec === p || spec.startsWith(p + "/"))) {
      problems.push(`imports ${spec}, not one of ${ALLOWED_PACKAGES.join(", ")}`);
    }
  }
  return problems;
}

async function* coreFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* coreFiles(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("every .ts file under core/ is pure", async () => {
  const problems: string[] = [];
  let files = 0;
  for await (const url of coreFiles(CORE)) {
    files++;
    const path = url.pathname.slice(CORE.pathname.length);
    for (const p of violations(await Deno.readTextFile(url), url)) {
      problems.push(`core/${path}: ${p}`);
    }
  }
  assert.ok(files >= 30, `found only ${files} files under core/`);
  assertEquals(problems, []);
});

const HERE = new URL("network/some_module.ts", CORE);

Deno.test("the purity check catches each forbidden thing in code", () => {
  const bad: [string, RegExp][] = [
    ["const t = Deno.now;", /Deno/],
    ["Deno .env.get('X');", /Deno/],
    ["setTimeout(() => {}, 1);", /timer/],
    ["const id = setInterval(f, 5);", /timer/],
    ["queueMicrotask(f);", /timer/],
    ["const t = performance.now();", /performance\.now/],
    ["const t = Date.now();", /Date\.now/],
    ["const d = new Date();", /new Date/],
    ["crypto.getRandomValues(b);", /crypto global/],
    ['import { deflateSync } from "node:zlib";', /node: module/],
    ['const z = await import("node:zlib");', /node: module/],
    ['export { x } from "node:crypto";', /node: module/],
    ['import { Pty } from "../../io/pty.ts";', /outside core/],
    ['import { x } from "../../tests/_hex.ts";', /outside core/],
    ['import "../../server/server.ts";', /outside core/],
    ['import x from "npm:left-pad";', /not one of/],
    ["const s = `${Deno.pid}`;", /Deno/],
    ["const s = `a${`b${setTimeout}`}`;", /timer/],
  ];
  for (const [source, expected] of bad) {
    const found = violations(source, HERE);
    assert.ok(found.length > 0, `not caught: ${source}`);
    assert.match(found.join("\n"), expected, source);
  }
});

Deno.test("the purity check ignores comments, strings and allowed imports", () => {
  const fine = [
    "// Deno.exit(1) and setTimeout in a line comment",
    "/* Date.now() in a block comment, over\n two lines: performance.now() */ const a = 1;",
    '/** @example\n * import { x } from "../../io/platform.ts";\n */',
    'const message = "Deno.errors and setTimeout( in a string";',
    "const template = `new Date in text ${1 + 2} and crypto. too`;",
    "const re = /Deno\\.|setTimeout/g; const url = 'http://example.com';",
    'import { Framebuffer } from "./framebuffer.ts";',
    'import type { Platform } from "../platform.ts";',
    'import xterm from "@xterm/headless";',
    'import { create } from "@bufbuild/protobuf/wire";',
    "this.crypto.x = obj.setTimeout; const myDate = 1; const Deno2 = 0;",
  ];
  for (const source of fine) assertEquals(violations(source, HERE), [], source);
});

Deno.test("comment stripping keeps code after strings, templates and regexes intact", () => {
  assertEquals(stripComments('a = "//"; b = 1; // c'), 'a = "//"; b = 1; ');
  assertEquals(stripComments("x = `/*${y /* z */}*/`;"), "x = `/*${y        }*/`;");
  assertEquals(stripComments("r = /\\/\\//; Deno.x // y"), "r = /\\/\\//; Deno.x ");
  assertEquals(stripComments("q = a / b; // c\nDeno.x"), "q = a / b; \nDeno.x");
  assertEquals(stripComments('s = "Deno.x" + `t${u}v`;', true), 's = "      " + ` ${u} `;');
});

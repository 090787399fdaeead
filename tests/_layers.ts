/**
 * The import rule of docs/architecture.md, as code: which layer of the repository may import
 * which, and a scanner that finds every import of a TypeScript file (static, type-only,
 * re-export, side-effect and dynamic) without being fooled by comments, strings, template
 * literals or regular expressions that merely contain the word.
 *
 * Pure: `checkTree` takes the files as a map of repo-relative path to source, so a test can
 * check the real tree and the same tree with one synthetic violation added.
 */
import { posix } from "node:path";

/** A significant token: comments and whitespace are gone. */
interface Token {
  kind: "name" | "string" | "template" | "regex" | "number" | "punct";
  text: string;
  /** Offset of the token's first character in the source. */
  pos: number;
}

/** Names after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER_NAME = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
  "instanceof",
]);

/** Splits TypeScript source into tokens; a string token's text is its contents. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;

  const regexAllowed = (): boolean => {
    const prev = out[out.length - 1];
    if (!prev) return true;
    if (prev.kind === "name") return REGEX_AFTER_NAME.has(prev.text);
    if (prev.kind === "punct") return prev.text !== ")" && prev.text !== "]";
    return false;
  };

  /** Skips a quoted string starting at `i`; returns its contents. */
  const quoted = (): string => {
    const quote = src[i++];
    const start = i;
    while (i < src.length && src[i] !== quote && src[i] !== "\n") i += src[i] === "\\" ? 2 : 1;
    const text = src.slice(start, i);
    i++;
    return text;
  };

  /** Lexes code until the end, or until the `}` that closes a template's `${`. */
  const code = (inTemplate: boolean): void => {
    let depth = 0;
    while (i < src.length) {
      const c = src[i];
      if (/\s/.test(c)) {
        i++;
      } else if (c === "/" && src[i + 1] === "/") {
        while (i < src.length && src[i] !== "\n") i++;
      } else if (c === "/" && src[i + 1] === "*") {
        const end = src.indexOf("*/", i + 2);
        i = end < 0 ? src.length : end + 2;
      } else if (c === '"' || c === "'") {
        const pos = i;
        out.push({ kind: "string", text: quoted(), pos });
      } else if (c === "`") {
        const pos = i++;
        template();
        out.push({ kind: "template", text: "", pos });
      } else if (c === "/" && regexAllowed()) {
        const pos = i++;
        let inClass = false;
        while (i < src.length && src[i] !== "\n") {
          if (src[i] === "\\") i++;
          else if (src[i] === "[") inClass = true;
          else if (src[i] === "]") inClass = false;
          else if (src[i] === "/" && !inClass) break;
          i++;
        }
        i++;
        while (i < src.length && /\w/.test(src[i])) i++;
        out.push({ kind: "regex", text: src.slice(pos, i), pos });
      } else if (/[A-Za-z_$]/.test(c)) {
        const pos = i;
        while (i < src.length && /[\w$]/.test(src[i])) i++;
        out.push({ kind: "name", text: src.slice(pos, i), pos });
      } else if (/[0-9]/.test(c)) {
        const pos = i;
        while (i < src.length && /[\w.]/.test(src[i])) i++;
        out.push({ kind: "number", text: src.slice(pos, i), pos });
      } else {
        if (c === "{") depth++;
        if (c === "}") {
          if (inTemplate && depth === 0) {
            i++;
            return;
          }
          depth--;
        }
        out.push({ kind: "punct", text: c, pos: i });
        i++;
      }
    }
  };

  /** Skips a template literal whose opening backquote is behind `i`, lexing its `${}` parts. */
  const template = (): void => {
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        return;
      } else if (c === "$" && src[i + 1] === "{") {
        i += 2;
        code(true);
      } else i++;
    }
  };

  code(false);
  return out;
}

/** One import found in a source file. */
export interface ImportRef {
  /** The module specifier, or null for a dynamic import of a computed value. */
  specifier: string | null;
  /** 1-based line of the `import` or `export` keyword. */
  line: number;
}

/** Every import of `src`, in order: static, type-only, re-exports, side-effect and dynamic. */
export function importsOf(src: string): ImportRef[] {
  const t = tokenize(src);
  const out: ImportRef[] = [];
  const lineOf = (pos: number) => src.slice(0, pos).split("\n").length;
  const is = (k: number, kind: Token["kind"], text?: string) =>
    t[k] !== undefined && t[k].kind === kind && (text === undefined || t[k].text === text);
  for (let k = 0; k < t.length; k++) {
    if (t[k].kind !== "name" || is(k - 1, "punct", ".")) continue;
    const line = lineOf(t[k].pos);
    if (t[k].text === "import") {
      if (is(k + 1, "punct", ".") || is(k + 1, "punct", ":")) continue; // import.meta, a key
      if (is(k + 1, "punct", "(")) {
        if (is(k + 2, "punct", ")")) continue; // a method named import
        const literal = is(k + 2, "string") && (is(k + 3, "punct", ")") || is(k + 3, "punct", ","));
        out.push({ specifier: literal ? t[k + 2].text : null, line });
        continue;
      }
      if (is(k + 1, "string")) {
        out.push({ specifier: t[k + 1].text, line });
        continue;
      }
      for (let j = k + 1; j < t.length; j++) {
        if (is(j, "punct", ";") || is(j, "name", "import") || is(j, "name", "export")) break;
        if (is(j, "name", "from") && is(j + 1, "string")) {
          out.push({ specifier: t[j + 1].text, line });
          break;
        }
      }
    } else if (t[k].text === "export") {
      let j = k + 1;
      if (is(j, "name", "type")) j++;
      if (is(j, "punct", "*")) {
        j++;
        if (is(j, "name", "as")) j += 2;
      } else if (is(j, "punct", "{")) {
        while (j < t.length && !is(j, "punct", "}")) j++;
        j++;
      } else continue;
      if (is(j, "name", "from") && is(j + 1, "string")) {
        out.push({ specifier: t[j + 1].text, line });
      }
    }
  }
  return out;
}

/** A layer of the repository, named for its folder ("mod" is the root mod.ts). */
export type Layer =
  | "core"
  | "io"
  | "server"
  | "client"
  | "cli"
  | "mod"
  | "proto"
  | "tests"
  | "bench"
  | "tools";

const FOLDERS: readonly Layer[] = [
  "core",
  "io",
  "server",
  "client",
  "cli",
  "tests",
  "bench",
  "tools",
];

/** The layer of a repo-relative path, or null when it is in none. */
export function layerOf(path: string): Layer | null {
  if (path === "mod.ts") return "mod";
  if (path.startsWith("proto/")) return "proto";
  const top = path.split("/")[0] as Layer;
  return FOLDERS.includes(top) ? top : null;
}

/** What one layer may import. */
interface Rule {
  layers: readonly Layer[];
  /** Whether `node:` built-ins are allowed (like `Deno.*`, they are the runtime's I/O). */
  node: boolean;
  /** The import-map packages allowed, or "any". */
  packages: readonly string[] | "any";
}

/** The rule of docs/architecture.md §"Who may import whom". Layers without a rule are not checked. */
export const RULES: Readonly<Partial<Record<Layer, Rule>>> = {
  core: { layers: ["core"], node: false, packages: ["@xterm/headless", "@bufbuild/protobuf"] },
  io: { layers: ["core", "io"], node: true, packages: [] },
  server: { layers: ["core", "io", "server"], node: true, packages: [] },
  client: { layers: ["core", "io", "client"], node: true, packages: [] },
  cli: {
    layers: ["core", "io", "server", "client", "cli", "proto"],
    node: true,
    packages: "any",
  },
  // The library's face: the core, and the platform (io/platform.ts) that drives it on Deno.
  mod: { layers: ["core", "io"], node: false, packages: [] },
};

/**
 * Imports that break the rule today, each with the issue that removes it. The tree test fails
 * on any other violation, and on an exception that no longer occurs (so the list only shrinks).
 */
export const KNOWN_EXCEPTIONS: readonly { file: string; specifier: string }[] = [];

/**
 * Why `file` may not import `specifier`, or null when it may.
 * @param packages the keys of deno.json's import map
 */
export function checkImport(
  file: string,
  specifier: string | null,
  packages: readonly string[],
): string | null {
  const layer = layerOf(file);
  const rule = layer && RULES[layer];
  if (!rule) return `${file} is in no layer of docs/architecture.md`;
  if (specifier === null) return "a dynamic import of a computed specifier cannot be checked";
  if (specifier.startsWith("node:")) {
    return rule.node ? null : `${layer}/ may not import node: built-ins`;
  }
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    if (target.startsWith("../")) return "imports a file outside the repository";
    const to = layerOf(target);
    if (to && rule.layers.includes(to)) return null;
    return `${layer}/ may not import ${to ? `${to}/` : target}`;
  }
  if (/^[a-z]+:/.test(specifier)) return `${layer}/ may not import ${specifier} directly`;
  const key = packages.find((p) => specifier === p || (p.endsWith("/") && specifier.startsWith(p)));
  if (!key) return `${specifier} is not in deno.json's imports`;
  const name = key.replace(/\/$/, "");
  if (rule.packages === "any" || rule.packages.includes(name)) return null;
  return `${layer}/ may not import the package ${name}`;
}

/** One import that breaks the rule. */
export interface Violation {
  file: string;
  line: number;
  specifier: string | null;
  reason: string;
}

/** Every violation in `files` (repo-relative path to source), known exceptions included. */
export function checkTree(
  files: ReadonlyMap<string, string>,
  packages: readonly string[],
): Violation[] {
  const out: Violation[] = [];
  for (const [file, src] of files) {
    const layer = layerOf(file);
    if (!layer || !RULES[layer]) {
      out.push({ file, line: 0, specifier: null, reason: "in no layer of docs/architecture.md" });
      continue;
    }
    for (const { specifier, line } of importsOf(src)) {
      const reason = checkImport(file, specifier, packages);
      if (reason) out.push({ file, line, specifier, reason });
    }
  }
  return out;
}

/** Whether a repo-relative path is one the rule covers (tests, bench, tools, proto/gen are free). */
export function isChecked(path: string): boolean {
  if (!path.endsWith(".ts")) return false;
  const layer = layerOf(path);
  return layer !== "tests" && layer !== "bench" && layer !== "tools" && layer !== "proto";
}

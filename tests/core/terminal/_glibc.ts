/**
 * glibc, through FFI, as the reference mosh uses: `wcwidth()` and `mbrtowc()` in C.UTF-8, and
 * mosh's byte-at-a-time UTF-8 loop (parser.cc) rebuilt on `mbrtowc()`.
 */

const LC_ALL = 6;
const ERROR = 2n ** 64n - 1n; // (size_t) -1
const INCOMPLETE = 2n ** 64n - 2n; // (size_t) -2

let libc:
  | {
    wcwidth(cp: number): number;
    mbrtowc(out: Uint32Array, s: Uint8Array, n: bigint, ps: Uint8Array): number | bigint;
    version: string;
  }
  | null
  | undefined;

function load(): typeof libc {
  if (libc !== undefined) return libc;
  try {
    const lib = Deno.dlopen("libc.so.6", {
      setlocale: { parameters: ["i32", "buffer"], result: "pointer" },
      gnu_get_libc_version: { parameters: [], result: "pointer" },
      wcwidth: { parameters: ["i32"], result: "i32" },
      mbrtowc: { parameters: ["buffer", "buffer", "usize", "buffer"], result: "usize" },
    });
    if (lib.symbols.setlocale(LC_ALL, new TextEncoder().encode("C.UTF-8\0")) === null) {
      return libc = null;
    }
    const version = Deno.UnsafePointerView.getCString(lib.symbols.gnu_get_libc_version()!);
    return libc = { ...lib.symbols, version };
  } catch {
    return libc = null;
  }
}

/** The running glibc's version, or null without glibc or C.UTF-8. */
export function glibcVersion(): string | null {
  return load()?.version ?? null;
}

/** glibc's `wcwidth()`. */
export function glibcWcwidth(cp: number): number {
  return load()!.wcwidth(cp);
}

/**
 * What mosh's `UTF8Parser::input` makes of `bytes`, one byte at a time: `mbrtowc()` on the
 * pending bytes; on failure U+FFFD and a retry with the last byte alone; surrogates and code
 * points above U+10FFFF become U+FFFD. Then, as mosh's `print` does, printable code points
 * with a glibc width of -1 are dropped (they draw nothing).
 */
export function moshDecode(bytes: Uint8Array): number[] {
  const c = load()!;
  const out: number[] = [];
  const wc = new Uint32Array(1);
  let buf: number[] = [];
  for (const byte of bytes) {
    if (buf.length === 0 && byte < 0x80) {
      out.push(byte);
      continue;
    }
    buf.push(byte);
    const original = buf.length;
    let parsed = 0;
    while (parsed !== original) {
      const r = BigInt(c.mbrtowc(wc, new Uint8Array(buf), BigInt(buf.length), new Uint8Array(64)));
      let cp: number, used: number;
      if (r === INCOMPLETE) {
        parsed += buf.length;
        continue;
      } else if (r === ERROR) {
        used = buf.length > 1 ? buf.length - 1 : 1;
        buf = buf.length > 1 ? [buf[buf.length - 1]] : [];
        cp = 0xfffd;
      } else {
        used = r === 0n ? 1 : Number(r);
        cp = r === 0n ? 0 : wc[0];
        buf = buf.slice(used);
      }
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
      if (!(cp >= 0xa0 && c.wcwidth(cp) === -1)) out.push(cp);
      parsed += used;
    }
  }
  return out;
}

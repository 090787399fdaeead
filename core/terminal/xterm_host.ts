/**
 * What xterm.js sees of its host while its module loads, set up before it loads (this module is
 * imported just before it) and put back just after ({@link restoreHost}).
 *
 * xterm.js asks at load whether it runs in Node (`typeof process` and `"title" in process`),
 * and otherwise reaches for a browser's `window`, which Deno does not have. In Deno, the first
 * touch of the global `process` builds Node's process object, which stays for the life of the
 * process (3.5 MB of resident memory in a bare Deno), though nothing of ours needs it on the
 * usual path (the fallback AES and zlib reach it only when called). So while xterm.js
 * loads, `process` is a plain object that answers the question the way Deno's would ("Node",
 * so xterm.js behaves exactly as it did), and Deno's own lazy `process` comes back untouched.
 *
 * @module
 */

const saved = Object.getOwnPropertyDescriptor(globalThis, "process");
if (saved?.configurable) {
  Object.defineProperty(globalThis, "process", {
    value: { title: "denomosh" },
    configurable: true,
    writable: true,
  });
}

/** Puts Deno's own `process` back, still unbuilt; once only, and after xterm.js has loaded. */
export function restoreHost(): void {
  if (saved?.configurable) Object.defineProperty(globalThis, "process", saved);
}

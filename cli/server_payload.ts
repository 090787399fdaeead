/**
 * What `mosh` copies to a host to install its server there (docs/install.md), read from this
 * machine: the pieces cli/install_plan.ts chose, each with its size and sha256, and the tar
 * stream that carries them (cli/tar.ts), which the host's installer (cli/remote_scripts.ts)
 * unpacks and checks.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type Piece, PIECES } from "./install_plan.ts";
import { launcherScript } from "./launcher.ts";
import { bundlePath, runMode } from "./self.ts";
import { buildBundle } from "./bundle.ts";
import { tarEnd, tarHeader, tarPadding } from "./tar.ts";
import type { InstallEntry } from "./remote_scripts.ts";

/** The chunk files are read in, in bytes. */
const CHUNK = 64 * 1024;

/** One file of a copy. */
export interface PayloadFile extends InstallEntry {
  /** What it is. */
  piece: Piece;
  /** Its length in bytes. */
  size: number;
  /** Where its bytes are: a file here, or the bytes themselves. */
  source: string | Uint8Array;
}

/** The bytes of a file, in chunks. */
async function* chunks(source: string | Uint8Array): AsyncGenerator<Uint8Array> {
  if (typeof source !== "string") {
    yield source;
    return;
  }
  using file = await Deno.open(source);
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) return;
    yield buf.slice(0, n);
  }
}

/** The sha256 (hex) and length of a source. */
async function digest(source: string | Uint8Array): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const c of chunks(source)) {
    hash.update(c);
    size += c.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/**
 * Where each piece is read from here: this executable (compiled), this Deno runtime, our
 * bundle (this file when bundled; built into `workDir` from source), and the launcher's text.
 */
export async function pieceSource(piece: Piece, workDir: string): Promise<string | Uint8Array> {
  switch (piece) {
    case "executable":
    case "runtime":
      return await Deno.realPath(Deno.execPath());
    case "bundle": {
      if (runMode() === "bundled") return bundlePath();
      const out = `${workDir}/denomosh.js`;
      await buildBundle(out);
      return out;
    }
    case "launcher":
      return new TextEncoder().encode(launcherScript());
  }
}

/** A rough size of the copy before anything is built (the bundle from source counts 1 MB). */
export async function estimateSize(pieces: readonly Piece[]): Promise<number> {
  let n = 0;
  for (const p of pieces) {
    if (p === "executable" || p === "runtime") n += (await Deno.stat(Deno.execPath())).size;
    else if (p === "bundle") {
      n += runMode() === "bundled" ? (await Deno.stat(bundlePath())).size : 1_000_000;
    } else n += launcherScript().length;
  }
  return n;
}

/**
 * The files of a copy, read and hashed.
 * @param workDir a directory for the bundle built from source
 */
export async function gatherPayload(
  pieces: readonly Piece[],
  workDir: string,
): Promise<PayloadFile[]> {
  const files: PayloadFile[] = [];
  for (const piece of pieces) {
    const source = await pieceSource(piece, workDir);
    const { sha256, size } = await digest(source);
    files.push({ piece, ...PIECES[piece], sha256, size, source });
  }
  return files;
}

/**
 * The tar of `files`, named f0, f1, ... in order, each 0600 (the installer gives the modes
 * after checking), as a stream read on demand.
 * @param onBytes told the length of each chunk of file data as it is read
 */
export function tarStream(
  files: readonly PayloadFile[],
  onBytes: (n: number) => void = () => {},
): ReadableStream<Uint8Array> {
  const now = Date.now() / 1000;
  async function* archive(): AsyncGenerator<Uint8Array> {
    for (const [i, f] of files.entries()) {
      yield tarHeader(`f${i}`, f.size, 0o600, now);
      let read = 0;
      for await (const c of chunks(f.source)) {
        read += c.length;
        if (read > f.size) throw new Error(`${f.path} grew while it was being copied`);
        yield c;
        onBytes(c.length);
      }
      if (read !== f.size) throw new Error(`${f.path} changed while it was being copied`);
      yield tarPadding(f.size);
    }
    yield tarEnd();
  }
  return ReadableStream.from(archive());
}

/**
 * OCB seal and open throughput for mosh-sized datagrams (target: sealing 1,400-byte datagrams
 * at ≥ 300 MB/s on the 2-core CI machine).
 *
 * - `deno bench -A bench/ocb_bench.ts` (part of `deno task bench`): time per datagram.
 * - `deno run -A bench/ocb_bench.ts`: a table of MB/s and datagrams/s, medians of 7 trials,
 *   for each AES backend.
 */
import { Ocb } from "../core/crypto/ocb.ts";
import { Aes128, type AesBackend } from "../io/aes.ts";
import { timePerCall } from "./_measure.ts";

const SIZES = [1400, 100];
const BACKENDS: AesBackend[] = ["libcrypto", "node:crypto"];

function fixture(size: number, backend?: AesBackend) {
  const ocb = new Ocb(new Aes128(crypto.getRandomValues(new Uint8Array(16)), { backend }));
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  let seq = 0;
  const plaintext = crypto.getRandomValues(new Uint8Array(size));
  const sealed = ocb.seal(nonce, plaintext);
  return {
    seal: () => {
      view.setUint32(8, seq++);
      ocb.seal(nonce, plaintext);
    },
    open: () => {
      view.setUint32(8, 0);
      if (!ocb.open(nonce, sealed)) throw new Error("open failed");
    },
  };
}

for (const size of SIZES) {
  const f = fixture(size);
  Deno.bench(`OCB seal ${size}-byte datagram`, { group: `ocb-${size}`, baseline: true }, f.seal);
  Deno.bench(`OCB open ${size}-byte datagram`, { group: `ocb-${size}` }, f.open);
}

if (import.meta.main) {
  console.log("| backend | size | op | MB/s | datagrams/s |");
  console.log("| --- | ---: | --- | ---: | ---: |");
  for (const backend of BACKENDS) {
    for (const size of SIZES) {
      const f = fixture(size, backend);
      for (const op of ["seal", "open"] as const) {
        const ms = timePerCall(f[op]);
        const mbs = (size / (ms / 1000) / 1e6).toFixed(0);
        const dps = Math.round(1000 / ms).toLocaleString("en-US");
        console.log(`| ${backend} | ${size} | ${op} | ${mbs} | ${dps} |`);
      }
    }
  }
}

import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { nativePlatform } from "../../io/platform.ts";
import { toHex } from "../_hex.ts";

Deno.test("the native platform is one object, and its cipher is AES-128", () => {
  const p = nativePlatform();
  assert.equal(nativePlatform(), p);
  const aes = p.blockCipher(Uint8Array.from({ length: 16 }, (_, i) => i));
  const out = new Uint8Array(16);
  aes.encryptBlocks(Uint8Array.from({ length: 16 }, (_, i) => i * 0x11), out);
  assertEquals(toHex(out), "69c4e0d86a7b0430d8cdb78070b4c55a"); // FIPS-197 C.1
  aes.destroy();
});

Deno.test("random fills buffers of any size, past crypto.getRandomValues' 64 KiB a call", () => {
  const random = nativePlatform().random;
  const big = new Uint8Array(200_000);
  assert.equal(random(big), big);
  // Each 64 KiB chunk is filled: the chance that a random chunk's last 64 bytes are all zero
  // is 2^-512.
  for (const end of [65536, 131072, 196608, 200_000]) {
    assert.ok(big.subarray(end - 64, end).some((b) => b !== 0), `bytes before ${end}`);
  }
  assert.notEqual(toHex(random(new Uint8Array(16))), toHex(random(new Uint8Array(16))));
});

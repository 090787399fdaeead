import assert from "node:assert/strict";
import { assertEquals } from "../_assert.ts";
import { Aes128 } from "../../io/aes.ts";
import { hex, toHex } from "../_hex.ts";

const KEY = hex("000102030405060708090a0b0c0d0e0f");

for (const backend of ["libcrypto", "node:crypto"] as const) {
  Deno.test(`AES-128 over ${backend} reproduces FIPS-197 Appendix C.1 both ways`, () => {
    const aes = new Aes128(KEY, { backend });
    assertEquals(aes.backend, backend);
    const out = new Uint8Array(32);
    aes.encryptBlocks(hex("00112233445566778899aabbccddeeff".repeat(2)), out);
    assertEquals(toHex(out), "69c4e0d86a7b0430d8cdb78070b4c55a".repeat(2));
    const back = new Uint8Array(32);
    aes.decryptBlocks(out, back);
    assertEquals(toHex(back), "00112233445566778899aabbccddeeff".repeat(2));
  });

  Deno.test(`AES-128 over ${backend}: destroy() frees the schedule; later calls throw`, () => {
    const key = KEY.slice();
    const aes = new Aes128(key, { backend });
    key.fill(0); // the cipher keeps no reference to the caller's bytes
    const out = new Uint8Array(16);
    aes.encryptBlocks(hex("00112233445566778899aabbccddeeff"), out);
    assertEquals(toHex(out), "69c4e0d86a7b0430d8cdb78070b4c55a");
    aes.destroy();
    assert.throws(() => aes.encryptBlocks(new Uint8Array(16), out), /destroyed/);
    assert.throws(() => aes.decryptBlocks(new Uint8Array(16), out), /destroyed/);
    aes.destroy(); // idempotent
  });
}

Deno.test("libcrypto is the default backend here", () => {
  assertEquals(Aes128.defaultBackend, "libcrypto");
});

Deno.test("a key of the wrong length is refused", () => {
  assert.throws(() => new Aes128(new Uint8Array(15)), /must be 16 bytes, got 15/);
});

import { assertEquals } from "../../_assert.ts";
import assert from "node:assert/strict";
import { Ocb } from "../../../core/crypto/ocb.ts";
import { Aes128, type AesBackend } from "../../../io/aes.ts";
import { hex, toHex } from "../../_hex.ts";

// RFC 7253 Appendix A: K = 000102...0F, AEAD_AES_128_OCB_TAGLEN128, nonces BBAA9988776655443322110x.
// Columns: last nonce byte, A and P as lengths of the prefix of 000102..., and C (ciphertext || tag).
const RFC_KEY = hex("000102030405060708090A0B0C0D0E0F");
const VECTORS: [number, number, number, string][] = [
  [0x00, 0, 0, "785407BFFFC8AD9EDCC5520AC9111EE6"],
  [0x01, 8, 8, "6820B3657B6F615A5725BDA0D3B4EB3A257C9AF1F8F03009"],
  [0x02, 8, 0, "81017F8203F081277152FADE694A0A00"],
  [0x03, 0, 8, "45DD69F8F5AAE72414054CD1F35D82760B2CD00D2F99BFA9"],
  [0x04, 16, 16, "571D535B60B277188BE5147170A9A22C3AD7A4FF3835B8C5701C1CCEC8FC3358"],
  [0x05, 16, 0, "8CF761B6902EF764462AD86498CA6B97"],
  [0x06, 0, 16, "5CE88EC2E0692706A915C00AEB8B2396F40E1C743F52436BDF06D8FA1ECA343D"],
  [
    0x07,
    24,
    24,
    "1CA2207308C87C010756104D8840CE1952F09673A448A122C92C62241051F57356D7F3C90BB0E07F",
  ],
  [0x08, 24, 0, "6DC225A071FC1B9F7C69F93B0F1E10DE"],
  [
    0x09,
    0,
    24,
    "221BD0DE7FA6FE993ECCD769460A0AF2D6CDED0C395B1C3CE725F32494B9F914D85C0B1EB38357FF",
  ],
  [
    0x0a,
    32,
    32,
    "BD6F6C496201C69296C11EFD138A467ABD3C707924B964DEAFFC40319AF5A485" +
    "40FBBA186C5553C68AD9F592A79A4240",
  ],
  [0x0b, 32, 0, "FE80690BEE8A485D11F32965BC9D2A32"],
  [
    0x0c,
    0,
    32,
    "2942BFC773BDA23CABC6ACFD9BFD5835BD300F0973792EF46040C53F1432BCDF" +
    "B5E1DDE3BC18A5F840B52E653444D5DF",
  ],
  [
    0x0d,
    40,
    40,
    "D5CA91748410C1751FF8A2F618255B68A0A12E093FF454606E59F9C1D0DDC54B" +
    "65E8628E568BAD7AED07BA06A4A69483A7035490C5769E60",
  ],
  [0x0e, 40, 0, "C5CD9D1850C141E358649994EE701B68"],
  [
    0x0f,
    0,
    40,
    "4412923493C57D5DE0D700F753CCE0D1D2D95060122E9F15A5DDBFC5787E50B5" +
    "CC55EE507BCB084E479AD363AC366B95A98CA5F3000B1479",
  ],
];

function prefix(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i);
}

function rfcNonce(last: number): Uint8Array {
  const n = hex("BBAA99887766554433221100");
  n[11] = last;
  return n;
}

/** An OCB over io/aes.ts (libcrypto here unless `backend` says otherwise). */
function ocbOf(key: Uint8Array, backend?: AesBackend): Ocb {
  return new Ocb(new Aes128(key, { backend }));
}

Deno.test("OCB seals every AES-128 TAGLEN128 vector of RFC 7253 Appendix A", () => {
  const ocb = ocbOf(RFC_KEY);
  for (const [n, a, p, c] of VECTORS) {
    const sealed = ocb.seal(rfcNonce(n), prefix(p), prefix(a));
    assertEquals(toHex(sealed), c.toLowerCase(), `vector N=...${n.toString(16)}`);
  }
});

Deno.test("libcrypto is in use here, and the node:crypto fallback agrees with it", () => {
  assertEquals(Aes128.defaultBackend, "libcrypto");
  const slow = ocbOf(RFC_KEY, "node:crypto");
  for (const [n, a, p, c] of VECTORS) {
    assertEquals(toHex(slow.seal(rfcNonce(n), prefix(p), prefix(a))), c.toLowerCase());
    assertEquals(toHex(slow.open(rfcNonce(n), hex(c), prefix(a))!), toHex(prefix(p)));
  }
});

Deno.test("OCB opens every RFC 7253 vector back to its plaintext", () => {
  const ocb = ocbOf(RFC_KEY);
  for (const [n, a, p, c] of VECTORS) {
    const opened = ocb.open(rfcNonce(n), hex(c), prefix(a));
    assert.ok(opened, `vector N=...${n.toString(16)} failed to open`);
    assertEquals(toHex(opened), toHex(prefix(p)));
  }
});

Deno.test("OCB passes the iterated test of RFC 7253 Appendix A (TAGLEN 128)", () => {
  const key = new Uint8Array(16);
  key[15] = 128;
  const ocb = ocbOf(key);
  const nonce = (i: number) => {
    const n = new Uint8Array(12);
    new DataView(n.buffer).setUint32(8, i);
    return n;
  };
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 128; i++) {
    const s = new Uint8Array(i);
    parts.push(ocb.seal(nonce(3 * i + 1), s, s));
    parts.push(ocb.seal(nonce(3 * i + 2), s));
    parts.push(ocb.seal(nonce(3 * i + 3), new Uint8Array(0), s));
  }
  const c = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) c.set(p, at), at += p.length;
  assertEquals(c.length, 22400);
  assertEquals(
    toHex(ocb.seal(nonce(385), new Uint8Array(0), c)),
    "67e944d23256c5e0b6c61fa22fdf1ea2",
  );
});

Deno.test("OCB refuses any single flipped bit of nonce, associated data, ciphertext or tag", () => {
  const ocb = ocbOf(RFC_KEY);
  const [n, a, p] = VECTORS[13];
  const nonce = rfcNonce(n), ad = prefix(a), pt = prefix(p);
  const sealed = ocb.seal(nonce, pt, ad);
  for (let bit = 0; bit < nonce.length * 8; bit++) {
    const bad = nonce.slice();
    bad[bit >> 3] ^= 1 << (bit & 7);
    assertEquals(ocb.open(bad, sealed, ad), null, `nonce bit ${bit}`);
  }
  for (let bit = 0; bit < ad.length * 8; bit++) {
    const bad = ad.slice();
    bad[bit >> 3] ^= 1 << (bit & 7);
    assertEquals(ocb.open(nonce, sealed, bad), null, `AD bit ${bit}`);
  }
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const bad = sealed.slice();
    bad[bit >> 3] ^= 1 << (bit & 7);
    assertEquals(ocb.open(nonce, bad, ad), null, `ciphertext/tag bit ${bit}`);
  }
  assertEquals(ocb.open(nonce, sealed.subarray(0, sealed.length - 1), ad), null, "truncated");
  assertEquals(ocb.open(nonce, new Uint8Array(15)), null, "shorter than a tag");
  assertEquals(toHex(ocb.open(nonce, sealed, ad)!), toHex(pt));
});

Deno.test("OCB round-trips every length 0..300 and reuses its cached Ktop correctly", () => {
  const ocb = ocbOf(hex("2b7e151628aed2a6abf7158809cf4f3c"));
  const other = ocbOf(hex("2b7e151628aed2a6abf7158809cf4f3c"));
  for (let len = 0; len <= 300; len++) {
    const nonce = new Uint8Array(12);
    // Walk nonces across a 64-nonce boundary so both cache hits and misses occur.
    new DataView(nonce.buffer).setUint32(8, 60 + len);
    const pt = Uint8Array.from({ length: len }, (_, i) => (i * 7 + len) & 0xff);
    const sealed = ocb.seal(nonce, pt);
    assertEquals(sealed.length, len + 16);
    // A fresh instance with a cold cache must agree byte for byte.
    const fresh = ocbOf(hex("2b7e151628aed2a6abf7158809cf4f3c")).seal(nonce, pt);
    assertEquals(toHex(sealed), toHex(fresh));
    assertEquals(toHex(other.open(nonce, sealed)!), toHex(pt));
  }
});

Deno.test("OCB sealInto writes after a header without disturbing it", () => {
  const ocb = ocbOf(RFC_KEY);
  const nonce = rfcNonce(3);
  const out = new Uint8Array(8 + 8 + 16).fill(0xee);
  ocb.sealInto(nonce, prefix(8), out, 8);
  assertEquals(toHex(out.subarray(0, 8)), "ee".repeat(8));
  assertEquals(toHex(out.subarray(8)), "45dd69f8f5aae72414054cd1f35d82760b2cd00d2f99bfa9");
});

Deno.test("a destroyed OCB destroys its cipher and refuses to seal or open", () => {
  const aes = new Aes128(RFC_KEY);
  let destroyed = 0;
  const ocb = new Ocb({
    encryptBlocks: (src, dst) => aes.encryptBlocks(src, dst),
    decryptBlocks: (src, dst) => aes.decryptBlocks(src, dst),
    destroy: () => (destroyed++, aes.destroy()),
  });
  const nonce = rfcNonce(1);
  const sealed = ocb.seal(nonce, prefix(8), prefix(8));
  ocb.destroy();
  assertEquals(destroyed, 1);
  assert.throws(() => ocb.seal(nonce, prefix(8)), /destroyed/);
  assert.throws(() => ocb.open(nonce, sealed, prefix(8)), /destroyed/);
  ocb.destroy(); // idempotent
});

import assert from "node:assert/strict";
import { assertEquals } from "../../_assert.ts";
import { Base64Key, KeyError } from "../../../core/crypto/key.ts";
import { toHex } from "../../_hex.ts";
import { platform } from "../../_platform.ts";

Deno.test("a key prints as 22 base64 characters without padding and parses back", () => {
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
  const key = Base64Key.fromBytes(bytes);
  assertEquals(key.toString(), "AAECAwQFBgcICQoLDA0ODw");
  assertEquals(toHex(Base64Key.parse("AAECAwQFBgcICQoLDA0ODw").bytes), toHex(bytes));
  // The printed form matches standard base64 with "==" removed.
  assertEquals(key.toString() + "==", btoa(String.fromCharCode(...bytes)));
});

Deno.test("generated keys are 16 CSPRNG bytes that round-trip, and differ", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const key = Base64Key.generate(platform);
    const text = key.toString();
    assert.match(text, /^[A-Za-z0-9+/]{21}[AQgw]$/);
    assertEquals(Base64Key.parse(text).toString(), text);
    seen.add(text);
  }
  assertEquals(seen.size, 200);
});

Deno.test("a malformed key says what is wrong with it", () => {
  const cases: [string, RegExp][] = [
    ["", /22 letters long, got 0\./],
    ["AAECAwQFBgcICQoLDA0OD", /22 letters long, got 21/],
    ["AAECAwQFBgcICQoLDA0ODw==", /drop the trailing "=="/],
    ["AAECAwQFBgc-CQoLDA0ODw", /character "-" at position 12 is not in the standard alphabet/],
    ["AAECAwQFBgcICQoLDA0OD ", /character " " at position 22/],
    ["AAECAwQFBgcICQoLDA0ODx", /last character must be one of A, Q, g, w, got "x"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => Base64Key.parse(text), (e: unknown) => {
      assert.ok(e instanceof KeyError, `${text}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("every 22-character key whose last letter carries no stray bits is accepted", () => {
  for (const last of "AQgw") {
    assertEquals(
      Base64Key.parse("q3vi06UFY77f7mSJZQ7v7" + last).toString(),
      "q3vi06UFY77f7mSJZQ7v7" + last,
    );
  }
  for (const last of "BCRhx9+/") {
    assert.throws(() => Base64Key.parse("q3vi06UFY77f7mSJZQ7v7" + last), KeyError);
  }
});

Deno.test("a wiped key refuses to give its bytes or its printed form", () => {
  const key = Base64Key.parse("AAECAwQFBgcICQoLDA0ODw");
  const copy = key.bytes;
  key.wipe();
  assert.throws(() => key.bytes, /wiped/);
  assert.throws(() => key.toString(), /wiped/);
  assertEquals(toHex(copy), "000102030405060708090a0b0c0d0e0f", "copies are the caller's");
  key.wipe(); // idempotent
});

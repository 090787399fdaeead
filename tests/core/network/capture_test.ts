/**
 * Decodes a real mosh 1.4.0 session, recorded by tools/record_mosh_capture.ts into
 * tests/fixtures/mosh-1.4.0-session.json, with nothing but our codec: no mosh needed.
 */
import assert from "node:assert/strict";
import { assertEquals } from "../../_assert.ts";
import { Base64Key } from "../../../core/crypto/key.ts";
import { DatagramCodec, Direction } from "../../../core/network/datagram.ts";
import { decodeFragment, FragmentAssembly } from "../../../core/network/fragment.ts";
import { decodeInstruction, type Instruction } from "../../../core/network/instruction.ts";
import { decodeUserMessage } from "../../../core/statesync/user_message.ts";
import { decodeHostMessage } from "../../../core/statesync/host_message.ts";
import { hex } from "../../_hex.ts";
import { platform } from "../../_platform.ts";

const fixture = JSON.parse(
  Deno.readTextFileSync(new URL("../../fixtures/mosh-1.4.0-session.json", import.meta.url)),
) as { key: string; datagrams: { dir: "c2s" | "s2c"; hex: string }[] };

const SHUTDOWN = (1n << 64n) - 1n;

function decodeAll(dir: "c2s" | "s2c") {
  const codec = new DatagramCodec(Base64Key.parse(fixture.key), platform);
  const expect = dir === "c2s" ? Direction.ToServer : Direction.ToClient;
  const asm = new FragmentAssembly();
  const seqs: bigint[] = [];
  const instructions: Instruction[] = [];
  for (const d of fixture.datagrams.filter((d) => d.dir === dir)) {
    const p = codec.open(hex(d.hex), expect);
    assert.ok(typeof p !== "string", `${dir} datagram dropped: ${p}`);
    seqs.push(p.seq);
    const f = decodeFragment(p.payload);
    assert.ok(typeof f !== "string");
    const whole = asm.add(f);
    assert.ok(typeof whole !== "string", `fragment dropped: ${whole}`);
    if (whole) {
      const inst = decodeInstruction(whole, platform.zlib);
      assert.ok(typeof inst !== "string", `instruction dropped: ${inst}`);
      instructions.push(inst);
    }
  }
  return { seqs, instructions };
}

Deno.test("every datagram of a real mosh 1.4.0 session authenticates and decodes", () => {
  for (const dir of ["c2s", "s2c"] as const) {
    const { seqs, instructions } = decodeAll(dir);
    assert.ok(instructions.length >= 3, `${dir}: ${instructions.length} instructions`);
    assertEquals(seqs[0], 0n, `${dir} sequence starts at 0`);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], "seq increases");
    for (const inst of instructions) assertEquals(inst.protocolVersion, 2);
  }
});

Deno.test("the real client's first state is its window size, and it typed `echo hi`", () => {
  const { instructions } = decodeAll("c2s");
  const first = instructions[0];
  assertEquals([first.oldNum, first.newNum], [0n, 1n]);
  assertEquals(decodeUserMessage(first.diff), [{ resize: { width: 80, height: 24 } }]);
  // Keystrokes of each new state, in state order, without retransmitted duplicates.
  const seen = new Set<bigint>();
  let typed = "";
  for (const inst of instructions) {
    if (seen.has(inst.newNum) || inst.newNum === SHUTDOWN) continue;
    seen.add(inst.newNum);
    for (const u of decodeUserMessage(inst.diff) ?? []) {
      if ("keys" in u) typed += new TextDecoder().decode(u.keys);
    }
  }
  assert.ok(typed.includes("echo hi\r"), JSON.stringify(typed));
});

Deno.test("the real server drew the output, and both ran the shutdown handshake", () => {
  const server = decodeAll("s2c").instructions;
  const client = decodeAll("c2s").instructions;
  let drawn = "";
  for (const inst of server) {
    const host = decodeHostMessage(inst.diff);
    assert.ok(host, "server diff parses as a HostMessage");
    for (const h of host) if ("hostBytes" in h) drawn += new TextDecoder().decode(h.hostBytes);
  }
  assert.match(drawn, /hi/);
  assert.ok(client.some((i) => i.newNum === SHUTDOWN), "client sent state 2^64-1");
  assert.ok(server.some((i) => i.ackNum === SHUTDOWN), "server acknowledged it");
});

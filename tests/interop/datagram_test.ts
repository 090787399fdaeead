/**
 * Our datagram codec against Debian's mosh-server 1.4.0 on loopback: we seal a client
 * instruction, the real server authenticates and applies it, and we open its answer.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import {
  DatagramCodec,
  Direction,
  NO_TIMESTAMP,
  timestamp16,
} from "../../core/network/datagram.ts";
import {
  decodeFragment,
  encodeFragment,
  FragmentAssembly,
  Fragmenter,
} from "../../core/network/fragment.ts";
import { MTU_IPV4 } from "../../core/network/mtu.ts";
import {
  decodeInstruction,
  encodeInstruction,
  type Instruction,
} from "../../core/network/instruction.ts";
import { encodeUserMessage } from "../../core/statesync/user_message.ts";
import { decodeHostMessage } from "../../core/statesync/host_message.ts";
import { moshMissing } from "../_debian_mosh.ts";
import { startServer } from "../e2e/_programs.ts";
import { platform } from "../_platform.ts";

Deno.test({
  name: "Debian's mosh-server accepts our sealed instruction and we open its terminal diff",
  ignore: moshMissing,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The shell prints what it reads, so our keystroke shows up in the server's frame.
    const server = await startServer("debian", ["-i", "127.0.0.1", "-p", "0"], [
      "/bin/sh",
      "-c",
      "read line; echo got:$line; sleep 5",
    ]);
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const codec = new DatagramCodec(Base64Key.parse(server.key), platform);
      const diff = encodeUserMessage([
        { resize: { width: 80, height: 24 } },
        { keys: new TextEncoder().encode("ok\r") },
      ]);
      const inst: Instruction = {
        protocolVersion: 2,
        oldNum: 0n,
        newNum: 1n,
        ackNum: 0n,
        throwawayNum: 0n,
        diff,
        chaff: new Uint8Array(5),
      };
      const fragments = new Fragmenter().makeFragments(
        inst,
        encodeInstruction(inst, platform.zlib),
        MTU_IPV4,
      );
      let seq = 0n;
      const send = async () => {
        for (const f of fragments) {
          const wire = codec.seal({
            seq: seq++,
            direction: Direction.ToServer,
            timestamp: timestamp16(performance.now()),
            timestampReply: NO_TIMESTAMP,
            payload: encodeFragment(f),
          });
          await socket.send(wire, { transport: "udp", hostname: "127.0.0.1", port: server.port });
        }
      };
      await send();

      const asm = new FragmentAssembly();
      let drawn = "";
      let ackedOurState = false;
      const deadline = Date.now() + 8000;
      while (Date.now() < deadline && !(ackedOurState && drawn.includes("got:ok"))) {
        const timer = setTimeout(() => send(), 500); // resend in case the first was early
        const [data] = await socket.receive();
        clearTimeout(timer);
        const p = codec.open(data, Direction.ToClient);
        assert.ok(typeof p !== "string", `server datagram dropped: ${p}`);
        const f = decodeFragment(p.payload);
        assert.ok(typeof f !== "string");
        const whole = asm.add(f);
        assert.ok(typeof whole !== "string");
        if (!whole) continue;
        const reply = decodeInstruction(whole, platform.zlib);
        assert.ok(typeof reply !== "string", `instruction dropped: ${reply}`);
        if (reply.ackNum === 1n) ackedOurState = true;
        const host = decodeHostMessage(reply.diff);
        assert.ok(host !== null, "diff is a HostMessage");
        for (const h of host) if ("hostBytes" in h) drawn += new TextDecoder().decode(h.hostBytes);
      }
      assert.ok(ackedOurState, "the server acknowledged our state 1");
      assert.match(drawn, /got:ok/, "the server's frame shows the shell's answer to our keys");
    } finally {
      socket.close();
      server.stop();
    }
  },
});

/**
 * The parts floor (bench/_floor.ts `partsIdle`): a process that loads only what every session
 * of ours needs whatever it does, and then waits: it keys AES-128 over the native library
 * (io/aes.ts), sends itself one datagram over a UDP socket, and writes a line into the
 * terminal emulator (core/terminal/emulator.ts). No session, no timers of ours, no pty; and
 * the runtime's own socket (`Deno.listenDatagram`), which holds a little less than our libc
 * one (io/udp_socket.ts), so that the floor is the least those parts can cost. What an idle
 * program holds above this is the session itself; what this holds above the bare floor is
 * the price of those parts in this runtime.
 *
 * With the argument `seq`, the emulator then reads what `seq 1 1000000` prints, as a server's
 * emulator does in the benchmark's bulk row (in lines of a thousand, without a process or a
 * pty): its peak is the least a flood of that size can take the server to.
 *
 * @module
 */

import { Aes128 } from "../io/aes.ts";
import { Emulator } from "../core/terminal/emulator.ts";
import { exposedGc } from "../io/idle_gc.ts";

const aes = new Aes128(new Uint8Array(16));
const block = new Uint8Array(16);
aes.encryptBlocks(block, new Uint8Array(16));

const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
await socket.send(block, socket.addr);
await socket.receive();

const emulator = new Emulator(80, 24);
emulator.write(new TextEncoder().encode("parts\r\n$ "));

if (Deno.args.includes("seq")) {
  const encoder = new TextEncoder();
  for (let from = 1; from <= 1_000_000; from += 1000) {
    let text = "";
    for (let i = from; i < from + 1000; i++) text += `${i}\r\n`;
    emulator.write(encoder.encode(text));
  }
}

// What loading left behind goes, as the programs' garbage goes after a burst (io/idle_gc.ts).
exposedGc()?.();

// Kept reachable while the parent reads this process's memory, then killed by it.
setTimeout(() => [aes, socket, emulator], 600_000);

/**
 * A mosh client in the test process, over a real UDP socket on loopback: our client transport
 * with its I/O done here, so a test sees every datagram that goes either way (to replay or
 * reflect them) and reads the server's screen directly.
 */
import { Base64Key } from "../../core/crypto/key.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { CompleteTerminal, TerminalContext } from "../../core/statesync/complete_terminal.ts";
import { DatagramCodec, Direction, NO_TIMESTAMP } from "../../core/network/datagram.ts";
import { encodeFragment } from "../../core/network/fragment.ts";
import { encodeInstruction } from "../../core/network/instruction.ts";
import { encodeUserMessage } from "../../core/statesync/user_message.ts";
import { platform } from "../_platform.ts";

const now = () => Math.floor(performance.now());

/** Opens a UDP socket on 127.0.0.1, any port. */
export function udpSocket(hostname = "127.0.0.1"): Deno.DatagramConn {
  return Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
}

/** The port of a socket. */
export function portOf(socket: Deno.DatagramConn): number {
  return (socket.addr as Deno.NetAddr).port;
}

/** A client session with a server on 127.0.0.1. */
export class TestClient {
  readonly transport: Transport<UserStream, CompleteTerminal>;
  socket: Deno.DatagramConn;
  readonly server: Deno.NetAddr;
  /** Every datagram sent to the server, and received from it, in order. */
  readonly sent: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(port: number, key: string, width = 80, height = 24) {
    this.server = { transport: "udp", hostname: "127.0.0.1", port };
    this.socket = udpSocket();
    this.transport = new Transport<UserStream, CompleteTerminal>({
      key: Base64Key.parse(key),
      platform,
      server: false,
      remote: `127.0.0.1:${port}`,
      initialState: new UserStream(),
      initialRemote: CompleteTerminal.initial(width, height, new TerminalContext()),
      now: now(),
      sendMinDelay: 1,
    });
    this.transport.setCurrentState(new UserStream().pushResize(width, height));
    this.#pump();
    this.service();
  }

  /** Sends what is due and sets the timer for the next time. */
  service(): void {
    if (this.#closed) return;
    for (const o of this.transport.tick(now())) {
      this.sent.push(o.data);
      this.socket.send(o.data, this.server).catch(() => {});
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const wait = this.transport.waitTime(now());
    this.#timer = Number.isFinite(wait)
      ? setTimeout(() => this.service(), Math.max(1, wait))
      : undefined;
  }

  /**
   * Roams: from now on sends from a new socket on `hostname` (e.g. "127.0.0.2"), as a client
   * whose network changed, and closes the old one.
   */
  moveTo(hostname: string): void {
    const old = this.socket;
    this.socket = udpSocket(hostname);
    old.close();
    this.#pump();
    this.service();
  }

  async #pump(): Promise<void> {
    const socket = this.socket;
    for (;;) {
      let data: Uint8Array;
      try {
        [data] = await socket.receive();
      } catch {
        return;
      }
      this.received.push(data);
      this.transport.receive(now(), data, `127.0.0.1:${this.server.port}`);
      this.service();
    }
  }

  /** Types `text`. */
  type(text: string): void {
    this.transport.setCurrentState(
      this.transport.currentState.pushKeys(new TextEncoder().encode(text)),
    );
    this.service();
  }

  /** The server's screen as this client holds it. */
  screen(): string {
    return this.transport.latestRemote.state.fb.toText();
  }

  /** Waits until `test` holds for the screen, or fails after `ms` showing it. */
  async waitFor(test: (screen: string) => boolean, ms: number, what: string): Promise<string> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const s = this.screen();
      if (test(s)) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}; the screen:\n${this.screen()}`);
  }

  /** Stops the timer and closes the socket (without a shutdown handshake). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    try {
      this.socket.close();
    } catch {
      // closed
    }
  }
}

/**
 * The datagram a brand-new client sends first (its window size, on state 0), sealed under
 * `key`. Numbered `seq`, and bringing state `newNum`: a server that already holds that state
 * takes it in silently; a new state it acknowledges within 100 ms.
 */
export function firstDatagram(key: string, seq = 0n, newNum = 1n): Uint8Array {
  const compressed = encodeInstruction({
    protocolVersion: 2,
    oldNum: 0n,
    newNum,
    ackNum: 0n,
    throwawayNum: 0n,
    diff: encodeUserMessage([{ resize: { width: 80, height: 24 } }]),
    chaff: new Uint8Array(0),
  }, platform.zlib);
  return new DatagramCodec(Base64Key.parse(key), platform).seal({
    seq,
    direction: Direction.ToServer,
    timestamp: now() & 0x7fff,
    timestampReply: NO_TIMESTAMP,
    payload: encodeFragment({ id: newNum, num: 0, final: true, contents: compressed }),
  });
}

/** Collects what arrives on `socket` until closed. */
export function listen(socket: Deno.DatagramConn): { datagrams: Uint8Array[] } {
  const box = { datagrams: [] as Uint8Array[] };
  (async () => {
    for (let errors = 0; errors < 100;) {
      try {
        const [data] = await socket.receive();
        box.datagrams.push(data);
      } catch (e) {
        // An ICMP error may surface here; a closed socket ends the loop.
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
        errors++;
      }
    }
  })();
  return box;
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

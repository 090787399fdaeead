/**
 * The rule of docs/protocol.md §16 against Debian's mosh 1.4.0: an `Instruction` carrying an
 * extension mosh does not know changes nothing. mosh-server acts on the resize and the keys of
 * the state whose UserMessage also carries extension 64; mosh-client draws the screen of a
 * HostMessage that also carries extension 65, acknowledges a state whose only change is an
 * extension 66, and both end with a clean shutdown.
 */
import assert from "node:assert/strict";
import { MOSH_CLIENT, moshMissing } from "../_debian_mosh.ts";
import { startServer, waitGone } from "../e2e/_programs.ts";
import { pollUntil } from "../_poll.ts";
import { Transport } from "../../core/transport/transport.ts";
import { UserStream } from "../../core/statesync/user_stream.ts";
import { CompleteTerminal } from "../../core/statesync/complete_terminal.ts";
import type { SyncState } from "../../core/statesync/state.ts";
import { Base64Key } from "../../core/crypto/key.ts";
import { ProtoWriter } from "../../core/network/protowire.ts";
import { Emulator } from "../../core/terminal/emulator.ts";
import { monotonicNow } from "../../io/clock.ts";
import { udpSocket } from "../../io/datagram.ts";
import { TransportDriver } from "../_transport_driver.ts";
import { platform } from "../_platform.ts";
import { Pty } from "../../io/pty.ts";

const encoder = new TextEncoder();

/** A message of one `Instruction` holding only extension `field`: a varint and some bytes. */
function extension(field: number, n: number): Uint8Array {
  const inner = new ProtoWriter().uint(1, n).bytes(2, encoder.encode("x".repeat(n * 7))).finish();
  const instruction = new ProtoWriter().bytes(field, inner).finish();
  return new ProtoWriter().bytes(1, instruction).finish().slice();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A UserStream that also announces (extension 64) from the state where `announced` turns on. */
class AnnouncingUser implements SyncState<AnnouncingUser> {
  constructor(readonly user: UserStream, readonly announced: boolean) {}
  diffFrom(old: AnnouncingUser): Uint8Array {
    const events = this.user.diffFrom(old.user);
    return this.announced && !old.announced ? concat(extension(64, 1), events) : events;
  }
  apply(): AnnouncingUser | null {
    throw new Error("a client never applies its own state");
  }
  equals(o: AnnouncingUser): boolean {
    return this.announced === o.announced && this.user.equals(o.user);
  }
  subtract(prefix: AnnouncingUser): AnnouncingUser {
    return new AnnouncingUser(this.user.subtract(prefix.user), this.announced);
  }
}

/** A screen with a counter whose every change adds an extension 65 or 66 instruction. */
class ExtendedHost implements SyncState<ExtendedHost> {
  constructor(readonly terminal: CompleteTerminal, readonly count: number) {}
  diffFrom(old: ExtendedHost): Uint8Array {
    const screen = this.terminal.diffFrom(old.terminal);
    if (this.count === old.count) return screen;
    return concat(screen, extension(this.count % 2 ? 65 : 66, this.count));
  }
  apply(): ExtendedHost | null {
    throw new Error("a server never applies its own state");
  }
  equals(o: ExtendedHost): boolean {
    return this.count === o.count && this.terminal.equals(o.terminal);
  }
  subtract(): ExtendedHost {
    return this;
  }
}

/** Waits until `done()` (checking every 50 ms, at most `ms`), or fails saying `what`. */
async function until(done: () => boolean, ms: number, what: () => string): Promise<void> {
  if (!(await pollUntil(done, (yes) => yes, ms)).done) assert.fail(`timed out: ${what()}`);
}

const interop = { ignore: moshMissing, sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "mosh-server 1.4.0 ignores a UserMessage extension and acts on the rest of the state",
  ...interop,
  async fn() {
    const server = await startServer("debian", ["-i", "127.0.0.1", "-p", "0"], ["/bin/cat"]);
    const t = new Transport<AnnouncingUser, CompleteTerminal>({
      key: Base64Key.parse(server.key),
      server: false,
      remote: `127.0.0.1:${server.port}`,
      initialState: new AnnouncingUser(new UserStream(), false),
      initialRemote: CompleteTerminal.initial(80, 24),
      now: monotonicNow(),
      sendMinDelay: 1,
      platform,
    });
    const udp = new TransportDriver(t);
    const screen = () => t.latestRemote.state.fb.rows.map((r) => r.toText().trimEnd());
    try {
      // The first state: the window size, the announcement and a line for cat to echo.
      const first = new UserStream().pushResize(100, 30).pushKeys(encoder.encode("first\r"));
      udp.setCurrentState(new AnnouncingUser(first, true));
      // The tty echoes the line and cat prints it: twice, in a 100-column screen.
      const twice = (s: string) => screen().filter((row) => row === s).length === 2;
      await until(() => twice("first"), 10_000, () => screen().join("\n"));
      assert.equal(t.latestRemote.state.fb.width, 100);
      udp.setCurrentState(
        new AnnouncingUser(t.currentState.user.pushKeys(encoder.encode("second\r")), true),
      );
      await until(() => twice("second"), 5000, () => screen().join("\n"));
      assert.equal(t.drops.total(), 0, JSON.stringify(t.drops.counts));
      t.startShutdown(monotonicNow());
      udp.service();
      await until(() => t.sender.shutdownAcknowledged, 5000, () => "the server's shutdown ack");
      assert.ok(await waitGone(server.pid, 5000), "mosh-server still running after the shutdown");
    } finally {
      udp.close();
      server.stop();
    }
  },
});

Deno.test({
  name: "mosh-client 1.4.0 ignores HostMessage extensions, draws the rest and acknowledges",
  ...interop,
  async fn() {
    const key = Base64Key.generate(platform);
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const t = new Transport<ExtendedHost, UserStream>({
      key,
      server: true,
      initialState: new ExtendedHost(CompleteTerminal.initial(80, 24), 0),
      initialRemote: new UserStream(),
      now: monotonicNow(),
      platform,
    });
    let heard = false;
    const udp = new TransportDriver(t, {
      socket: udpSocket(socket),
      onRemoteState: () => (heard = true),
    });
    const pty = Pty.spawn({
      argv: [MOSH_CLIENT, "127.0.0.1", String((socket.addr as Deno.NetAddr).port)],
      env: { MOSH_KEY: key.toString(), TERM: "xterm", LANG: "C.UTF-8" },
      cols: 80,
      rows: 24,
    });
    let output = "";
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (let b; (b = await pty.read()) !== null;) output += decoder.decode(b, { stream: true });
    })();
    const emulator = new Emulator(80, 24);
    const show = (text: string, count: number) => {
      emulator.write(encoder.encode(text));
      const terminal = t.currentState.terminal.withFramebuffer(emulator.snapshot());
      udp.setCurrentState(new ExtendedHost(terminal, count));
    };
    const tail = () => JSON.stringify(output.slice(-300));
    try {
      await until(() => heard, 10_000, () => `the client's first state; it wrote ${tail()}`);
      show("screen-one\r\n", 1); // a screen change and extension 65 in one HostMessage
      await until(() => output.includes("screen-one"), 5000, tail);
      udp.setCurrentState(new ExtendedHost(t.currentState.terminal, 2)); // extension 66 alone
      await until(() => !t.sender.hasUnsentState, 5000, () => "the extension-only state sent");
      const extensionOnly = t.sender.lastSent.num;
      await until(() => t.sender.acked.num >= extensionOnly, 5000, () => "an ack of that state");
      show("screen-three\r\n", 3);
      await until(() => output.includes("screen-three"), 5000, tail);
      assert.equal(t.drops.total(), 0, JSON.stringify(t.drops.counts));
      t.startShutdown(monotonicNow());
      udp.service();
      await until(() => t.sender.shutdownAcknowledged, 5000, () => "the client's shutdown ack");
      assert.deepEqual(await pty.wait(), { code: 0, signal: null }, tail());
      await reading;
      assert.match(output, /\[mosh is exiting\.\]/);
    } finally {
      udp.close();
      pty.kill("SIGKILL");
      pty.close();
    }
  },
});

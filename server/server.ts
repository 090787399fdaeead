/**
 * mosh-server's daemon: the loop that joins the network, the terminal emulator and the
 * application's pty (mosh's `serve()`).
 *
 * - New client states bring keystrokes (to the pty, cursor keys translated) and resizes (only
 *   the last of a run; to the pty with TIOCSWINSZ and to the emulator). The first one also
 *   starts the application, at the client's window size: mosh forks it at startup but holds
 *   it until the first client packet, then writes a newline it reads and echoes; we start it
 *   at that moment and feed the emulator the echoed newline, so the screens match mosh's.
 * - pty output goes to the emulator; the emulator's answers to the application's queries go
 *   back into the pty, never to the client.
 * - Before each tick the synchronized state takes the emulator's newest snapshot and the echo
 *   ack; the transport decides when to send.
 * - The session ends when the application exits (after telling the client), on SIGTERM,
 *   SIGINT or SIGUSR1 (subject to MOSH_SERVER_SIGNAL_TMOUT), after MOSH_SERVER_NETWORK_TMOUT
 *   without the client, or if no client comes within 60 s.
 *
 * @module
 */

import type { Base64Key } from "../core/crypto/key.ts";
import { Transport } from "../core/transport/transport.ts";
import { UserStream } from "../core/statesync/user_stream.ts";
import { CompleteTerminal } from "../core/statesync/complete_terminal.ts";
import { decodeUserMessage } from "../core/statesync/user_message.ts";
import { Emulator } from "../core/terminal/emulator.ts";
import { monotonicNow, UdpEndpoint } from "../io/udp.ts";
import { Pty } from "../io/pty.ts";
import { IdleCollector } from "../io/idle_gc.ts";
import { nativePlatform } from "../io/platform.ts";
import { writePrivateFile } from "../io/private_file.ts";
import { SessionUtmp } from "../io/utmp.ts";
import { setImmediate } from "node:timers";
import { EchoAckTracker } from "./echo_ack.ts";
import { UserInput } from "./user_input.ts";

/** mosh exits if no client state arrives within this long of starting, ms. */
export const NO_CLIENT_TIMEOUT = 60_000;
/** mosh's collection delay: output is gathered this long before a frame goes out, ms. */
export const SEND_MINDELAY = 8;
/**
 * The collection delay for the echo of typed printable characters, ms. A shell echoes a key
 * within a millisecond and prints nothing more, so waiting mosh's 8 ms only delays what the
 * user sees. After Enter or any control key, output may keep coming (a command runs), and
 * gathering it into one frame matters more: then mosh's 8 ms applies.
 */
export const ECHO_MINDELAY = 1;
/** Output this soon after printable keys is taken for their echo, ms. */
const ECHO_WINDOW = 20;
/** A flood of output yields to the event loop this often, ms. */
const YIELD_EVERY = 5;

/** What the daemon runs. */
export interface ServerConfig {
  key: Base64Key;
  socket: Deno.DatagramConn;
  family: "inet" | "inet6";
  /** The program and its argv (argv[0] may differ, e.g. "-bash" for a login shell). */
  program: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** The size until the client says otherwise. */
  width: number;
  height: number;
  /** Bytes the application would have printed before the shell (the motd), or empty. */
  preamble: Uint8Array;
  /** MOSH_SERVER_NETWORK_TMOUT and MOSH_SERVER_SIGNAL_TMOUT, seconds (0 = none). */
  networkTimeout: number;
  signalTimeout: number;
  /** Where to log (`-v`); undefined = silent. */
  log?: (line: string) => void;
  /** How long to wait for a first client, ms (mosh: 60 s). */
  noClientTimeout?: number;
  /**
   * A file to write the current screen to on SIGUSR2 (`MOSH_SERVER_SCREEN_DUMP`): the text
   * of each row and the cursor, as JSON. A debugging aid, and how the fault tests compare the
   * server's screen with what the user sees.
   */
  screenDump?: string;
}

const CRLF = new Uint8Array([0x0d, 0x0a]);

/** A running mosh-server session. */
export class MoshServer {
  readonly transport: Transport<CompleteTerminal, UserStream>;
  readonly #udp: UdpEndpoint<CompleteTerminal, UserStream>;
  readonly #emulator: Emulator;
  readonly #config: ServerConfig;
  readonly #echo = new EchoAckTracker();
  readonly #input = new UserInput();
  readonly #started: number;
  #pty: Pty | undefined;
  #screenDirty = false;
  /** A full collection after each megabyte-scale burst of output (io/idle_gc.ts). */
  readonly #collector = new IdleCollector(1 << 20);
  /** When printable-only keys were last written to the application (-Infinity: never). */
  #typedAt = -Infinity;
  #exitCode: number | undefined;
  #done: Promise<number>;
  #resolveDone!: (code: number) => void;
  #signalListeners: [Deno.Signal, () => void][] = [];
  /** The utmp record `who` shows, through libutempter when installed (io/utmp.ts). */
  readonly #utmp = new SessionUtmp();

  constructor(config: ServerConfig) {
    this.#config = config;
    this.#started = monotonicNow();
    this.#emulator = new Emulator(config.width, config.height);
    if (config.preamble.length) {
      this.#emulator.write(config.preamble);
      this.#emulator.takeReplies();
    }
    this.transport = new Transport<CompleteTerminal, UserStream>({
      key: config.key,
      platform: nativePlatform(),
      server: true,
      family: config.family,
      initialState: CompleteTerminal.initial(config.width, config.height),
      initialRemote: new UserStream(),
      now: this.#started,
    });
    this.#screenDirty = config.preamble.length > 0;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#udp = new UdpEndpoint(this.transport, {
      socket: config.socket,
      onRemoteState: () => this.#onClientState(),
      beforeTick: (now) => {
        this.#refreshState(now);
        this.#collector.maybeCollect(now);
      },
      onService: () => this.#checkExit(),
      wakeAfter: (now) => this.#wakeAfter(now),
    });
    for (const signal of ["SIGTERM", "SIGINT", "SIGUSR1"] as const) {
      const listener = () => this.#onSignal(signal);
      Deno.addSignalListener(signal, listener);
      this.#signalListeners.push([signal, listener]);
    }
    if (config.screenDump) {
      const path = config.screenDump;
      const listener = () => this.#dumpScreen(path);
      Deno.addSignalListener("SIGUSR2", listener);
      this.#signalListeners.push(["SIGUSR2", listener]);
    }
  }

  /** Resolves with the exit status when the session is over. */
  get done(): Promise<number> {
    return this.#done;
  }

  #log(line: string): void {
    this.#config.log?.(line);
  }

  #onClientState(): void {
    const now = monotonicNow();
    const events = decodeUserMessage(this.transport.takeRemoteDiff()) ?? [];
    const first = this.#pty === undefined;
    const keys: Uint8Array[] = [];
    events.forEach((e, i) => {
      if ("resize" in e) {
        if (events[i + 1] && "resize" in events[i + 1]) return; // only the last of a run
        this.#resize(e.resize.width, e.resize.height);
      } else {
        keys.push(this.#input.translate(e.keys, this.#emulator.appCursorKeys));
      }
    });
    if (events.length) this.#echo.registerInputFrame(this.transport.latestRemote.num, now);
    this.#utmp.clientAddress(this.transport.connection.remoteAddr); // utmp: the client roamed
    if (first && !this.transport.sender.shutdownInProgress) this.#startApplication();
    for (const k of keys) this.#pty?.write(k);
    const printable = keys.length > 0 && keys.every((k) => k.every((b) => b >= 0x20 && b !== 0x7f));
    this.#typedAt = printable ? now : -Infinity;
    this.#log(
      `Client state ${this.transport.latestRemote.num} from ${this.transport.connection.remoteAddr}`,
    );
  }

  #resize(width: number, height: number): void {
    if (width <= 0 || height <= 0 || width > 4096 || height > 4096) return;
    this.#emulator.resize(width, height);
    this.#screenDirty = true;
    try {
      this.#pty?.resize(width, height);
    } catch (e) {
      this.#log(`ioctl TIOCSWINSZ: ${e}`);
      this.#shutdown();
    }
  }

  #startApplication(): void {
    const c = this.#config;
    // The newline mosh writes to release its child, as the tty echoes it.
    this.#emulator.write(CRLF);
    this.#screenDirty = true;
    try {
      this.#pty = Pty.spawn({
        argv: [c.program, ...c.argv.slice(1)],
        argv0: c.argv[0],
        env: c.env,
        cwd: c.cwd,
        cols: this.#emulator.width,
        rows: this.#emulator.height,
      });
    } catch (e) {
      // mosh's child prints the failure on the terminal and exits 1; show it the same way.
      const message = `mosh-server: cannot run ${c.program}: ${e instanceof Error ? e.message : e}`;
      this.#emulator.write(new TextEncoder().encode(message + "\r\n"));
      this.#log(message);
      this.#shutdown();
      return;
    }
    this.#utmp.start(this.#pty.masterFd); // utmp: the session's record
    this.#pumpPty(this.#pty);
  }

  async #pumpPty(pty: Pty): Promise<void> {
    let yielded = monotonicNow();
    for (;;) {
      const data = await pty.read();
      if (data === null) break;
      if (this.transport.sender.shutdownInProgress) continue;
      this.#emulator.write(data);
      const replies = this.#emulator.takeReplies();
      if (replies.length) pty.write(replies);
      const now = monotonicNow();
      this.#collector.activity(now, data.length);
      const echo = now - this.#typedAt <= ECHO_WINDOW;
      if (!this.#screenDirty && !this.transport.sender.hasUnsentState) {
        this.transport.sender.sendMinDelay = echo ? ECHO_MINDELAY : SEND_MINDELAY;
      }
      this.#screenDirty = true;
      // A frame already waiting for its turn takes this output along when it goes; service
      // only to start the pacing clock, or when that frame is due.
      const sender = this.transport.sender;
      if (!sender.hasUnsentState || this.transport.waitTime(now) === 0) this.#udp.service();
      // While output keeps coming, reads complete at once and never yield: let the network
      // (the user's keys, acks) and the timers in every few milliseconds.
      if (now - yielded >= YIELD_EVERY) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = monotonicNow();
      }
    }
    this.#log("Application exited.");
    this.#shutdown();
  }

  /**
   * Brings the synchronized state up to date with the screen and the echo ack. A snapshot is
   * taken when the screen changed and either nothing is waiting to be sent yet (so that the
   * change starts the pacing clock) or a frame is due now (so that it carries the newest
   * screen); while a frame waits for its turn, more output only marks the screen dirty. During
   * a flood that is one snapshot per frame instead of one per read.
   */
  #refreshState(now: number, force = false): void {
    // During shutdown the final screen is already in the state; it stays as it was sent.
    let state = this.transport.currentState;
    const sender = this.transport.sender;
    if (this.#screenDirty && !sender.shutdownInProgress) {
      if (force || !sender.hasUnsentState || this.transport.waitTime(now) === 0) {
        state = state.withFramebuffer(this.#emulator.snapshot());
        this.#screenDirty = false;
      }
    }
    if (this.#echo.update(now) && !this.transport.sender.shutdownInProgress) {
      state = state.withEchoAck(this.#echo.echoAck);
    }
    if (state !== this.transport.currentState) this.transport.setCurrentState(state);
  }

  #wakeAfter(now: number): number {
    let wait = this.#echo.waitTime(now);
    const latest = this.transport.latestRemote;
    if (latest.num === 0n || this.transport.sender.shutdownInProgress) wait = Math.min(wait, 5000);
    if (latest.num === 0n) {
      const noClient = this.#config.noClientTimeout ?? NO_CLIENT_TIMEOUT;
      wait = Math.min(wait, Math.max(0, noClient - (now - this.#started)));
    }
    if (this.#config.networkTimeout) {
      wait = Math.min(
        wait,
        Math.max(0, this.#config.networkTimeout * 1000 - (now - latest.timestamp)),
      );
    }
    return wait;
  }

  #dumpScreen(path: string): void {
    const fb = this.#emulator.snapshot();
    const dump = {
      rows: fb.rows.map((r) => r.toText()),
      cursor: fb.cursor,
      clientState: String(this.transport.latestRemote.num),
    };
    try {
      writePrivateFile(path, JSON.stringify(dump)); // mode 0600, no symlinks (io/private_file.ts)
    } catch (e) {
      this.#log(`screen dump to ${path} failed: ${e}`);
    }
  }

  #onSignal(signal: Deno.Signal): void {
    const now = monotonicNow();
    const since = now - this.transport.latestRemote.timestamp;
    if (signal === "SIGUSR1") {
      const limit = this.#config.signalTimeout * 1000;
      if (limit && since < limit) return;
      this.#log(`Network idle for ${Math.floor(since / 1000)} seconds when SIGUSR1 received`);
    }
    this.#shutdown();
  }

  /** Starts the shutdown handshake, or ends at once with nobody to tell. */
  #shutdown(): void {
    const sender = this.transport.sender;
    if (this.transport.connection.hasRemoteAddr && !sender.shutdownInProgress) {
      // The final screen goes with the shutdown state.
      this.#refreshState(monotonicNow(), true);
      this.transport.startShutdown(monotonicNow());
      queueMicrotask(() => this.#udp.service());
    } else if (!this.transport.connection.hasRemoteAddr) {
      this.#finish(0);
    }
  }

  #checkExit(): void {
    if (this.#exitCode !== undefined) return;
    const now = monotonicNow();
    const sender = this.transport.sender;
    const latest = this.transport.latestRemote;
    if (sender.shutdownInProgress && sender.shutdownAcknowledged) return this.#finish(0);
    if (sender.shutdownAckTimedOut(now)) return this.#finish(0);
    if (sender.counterpartyShutdownAckSent) return this.#finish(0);
    const network = this.#config.networkTimeout * 1000;
    if (network && now - latest.timestamp >= network && !sender.shutdownInProgress) {
      this.#log(`Network idle for ${Math.floor((now - latest.timestamp) / 1000)} seconds.`);
      this.#shutdown();
    }
    const noClient = this.#config.noClientTimeout ?? NO_CLIENT_TIMEOUT;
    if (latest.num === 0n && now - this.#started >= noClient) {
      this.#log(`No connection within ${noClient / 1000} seconds.`);
      this.#finish(0);
    }
  }

  #finish(code: number): void {
    if (this.#exitCode !== undefined) return;
    this.#exitCode = code;
    for (const [signal, listener] of this.#signalListeners) {
      Deno.removeSignalListener(signal, listener);
    }
    this.#udp.close();
    const pty = this.#pty;
    this.#utmp.end(); // utmp: the record goes before the pty
    if (pty) {
      pty.close(); // the application gets SIGHUP, as with mosh
      // Reap it if it goes at once; don't wait for one that ignores the hangup.
      setTimeout(() => pty.tryWait(), 100);
    }
    this.#resolveDone(code);
  }
}

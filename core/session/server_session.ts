/**
 * mosh-server's session, pure (mosh's `serve()` loop without its sockets, pty and clock).
 * The shell feeds it events with the time: datagrams, the application's output, its exit,
 * signals, the pty's input backlog and the timer; it answers with {@link ServerAction}s and the
 * time it next needs to run ({@link ServerSession.wakeAt}). Every rule of a server session is
 * here, once:
 *
 * - **First contact** starts the application, at the client's window size: mosh forks it at
 *   start-up but holds it until the first client state, then writes a newline it reads and
 *   echoes; we ask for the start at that moment and feed the emulator the echoed newline, so
 *   the screens match mosh's.
 * - **Client states** bring keystrokes (to the application, cursor keys translated) and
 *   resizes (only the last of a run). While the application leaves more than
 *   {@link INPUT_BACKLOG_CAP_BYTES} of typed input unread, new states stay in the transport, so
 *   nothing is lost and nothing grows without bound.
 * - **Output** goes to the emulator; its answers to the application's queries go back as input,
 *   never to the client. The synchronized state takes a snapshot once per frame.
 * - **The echo delay**: the echo of typed printable keys goes out after
 *   {@link ECHO_MINDELAY_MS} instead of mosh's {@link SEND_MINDELAY_MS}; see there.
 * - **The end**: the application's exit, SIGTERM, SIGINT or SIGUSR1 (subject to
 *   MOSH_SERVER_SIGNAL_TMOUT), MOSH_SERVER_NETWORK_TMOUT without the client, or no client within
 *   {@link NO_CLIENT_TIMEOUT_MS}, start the shutdown handshake (the final screen goes with it);
 *   the session exits when the handshake ends ({@link Transport.shutdownOutcome}), at once when
 *   nobody is there to tell.
 * - **A fault** (an exception in the shell or here) is logged, shown on the screen and ends the
 *   session through the same handshake, so the client is told.
 *
 * @module
 */

import type { Base64Key } from "../crypto/key.ts";
import { Feature, NoticeKind } from "../statesync/extensions.ts";
import type { Platform } from "../platform.ts";
import type { Address } from "../network/connection.ts";
import { Transport } from "../transport/transport.ts";
import { UserStream } from "../statesync/user_stream.ts";
import {
  CompleteTerminal,
  HISTORY_ROWS_PER_FRAME,
  type HistorySource,
} from "../statesync/complete_terminal.ts";
import { FILL_SECONDS, HistoryBudget } from "./history_budget.ts";
import { decodeUserMessage } from "../statesync/user_message.ts";
import { Emulator } from "../terminal/emulator.ts";
import type { Framebuffer } from "../terminal/framebuffer.ts";
import type { Row } from "../terminal/row.ts";
import type { ServerAction } from "./action.ts";
import { EchoAckTracker } from "./echo_ack.ts";
import { UserInput } from "./user_input.ts";

/** mosh exits if no client state arrives within this long of starting, ms. */
export const NO_CLIENT_TIMEOUT_MS = 60_000;
/** mosh's collection delay: output is gathered this long before a frame goes out, ms. */
export const SEND_MINDELAY_MS = 8;
/**
 * The collection delay for the echo of typed printable characters, ms. A shell echoes a key
 * within a millisecond and prints nothing more, so waiting mosh's 8 ms only delays what the
 * user sees. After Enter or any control key, output may keep coming (a command runs), and
 * gathering it into one frame matters more: then mosh's 8 ms applies.
 */
export const ECHO_MINDELAY_MS = 1;
/** Output this soon after printable keys is taken for their echo, ms. */
export const ECHO_WINDOW_MS = 20;
/**
 * Typed input the application may leave unread before new client states are held back, bytes.
 * A paste into a program that does not read (or reads slowly) waits in the transport instead.
 */
export const INPUT_BACKLOG_CAP_BYTES = 256 * 1024;
/** While input is held back, how often the shell reports the backlog again, ms. */
export const BACKLOG_RECHECK_MS = 20;
/** Window sizes beyond this in either direction are ignored, cells. */
const MAX_DIMENSION = 4096;

const CRLF = new Uint8Array([0x0d, 0x0a]);
const encoder = new TextEncoder();

/** What a server session is given at start. */
export interface ServerSessionOptions {
  key: Base64Key;
  /** The time of start-up, ms of the shell's monotonic clock. */
  now: number;
  /** The size until the client says otherwise. */
  width: number;
  height: number;
  /** Bytes shown before the application's (the motd), or nothing. */
  preamble?: Uint8Array;
  /** MOSH_SERVER_NETWORK_TMOUT, ms; 0 or absent: none. */
  networkTimeoutMs?: number;
  /** MOSH_SERVER_SIGNAL_TMOUT, ms; 0 or absent: none. */
  signalTimeoutMs?: number;
  /** How long to wait for a first client, ms (default {@link NO_CLIENT_TIMEOUT_MS}). */
  noClientTimeoutMs?: number;
  /** The socket's address family ("inet6" selects mosh's IPv6 datagram size). */
  family?: "inet" | "inet6";
  /** Log every client state (`mosh-server -v`). */
  verbose?: boolean;
  /**
   * Our protocol extensions this server offers a client that announces them
   * (docs/protocol.md §16); by default every one it implements.
   */
  features?: number;
  /** Lines of history kept for native scrollback and reattach (`--scrollback`). */
  historyLimit?: number;
  /** History rows a frame carries at most (tests make it small to see the bound at work). */
  historyRowsPerFrame?: number;
  /**
   * History rows a flood may send per second, on average (core/session/history_budget.ts); by
   * default a frame's worth every `FILL_SECONDS`.
   */
  historyRowsPerSecond?: number;
  /** The AES block cipher, zlib and random bytes (io/platform.ts; tests may seed `random`). */
  platform: Platform;
}

/** The signals a server session acts on. */
export type ServerSignal = "SIGTERM" | "SIGINT" | "SIGUSR1";

/** The extensions this server implements. */
export const SERVER_FEATURES = Feature.notice | Feature.history | Feature.altScreen;

/** Lines of history a session keeps by default (`mosh-server new --scrollback=N`). */
export const DEFAULT_HISTORY_LINES = 5000;

/**
 * A connection a new client has taken over: it only says goodbye (a shutdown with a notice),
 * from its own socket, and its client's datagrams reach nothing else.
 */
interface Farewell {
  readonly transport: Transport<CompleteTerminal, UserStream>;
  readonly socket: number;
}

/** One mosh-server session. */
export class ServerSession {
  #transport: Transport<CompleteTerminal, UserStream>;
  readonly #emulator: Emulator;
  /** The emulator's history as the states' diffs read it. */
  readonly #history: HistorySource;
  #echo = new EchoAckTracker();
  readonly #input = new UserInput();
  readonly #platform: Platform;
  readonly #family: "inet" | "inet6" | undefined;
  readonly #offered: number;
  /** The shell's socket of the current connection (0 until a reattach). */
  #socket = 0;
  #farewells: Farewell[] = [];
  /** When a client was last heard before the current connection (reattach), else null. */
  #priorContact: number | null = null;
  readonly #started: number;
  readonly #networkTimeout: number;
  readonly #signalTimeout: number;
  readonly #noClientTimeout: number;
  readonly #verbose: boolean;
  #actions: ServerAction[] = [];
  #applicationStarted = false;
  #screenDirty: boolean;
  /** What history the frames carry during a flood. */
  readonly #budget: HistoryBudget;
  /** When printable-only keys were last written to the application (-Infinity: never). */
  #typedAt = -Infinity;
  #peer: Address | undefined;
  /** The client of an earlier connection, for `mosh-server list` until a new one is heard. */
  #lastPeer: Address | undefined;
  #exitCode: number | undefined;

  constructor(options: ServerSessionOptions) {
    this.#started = options.now;
    this.#networkTimeout = options.networkTimeoutMs ?? 0;
    this.#signalTimeout = options.signalTimeoutMs ?? 0;
    this.#noClientTimeout = options.noClientTimeoutMs ?? NO_CLIENT_TIMEOUT_MS;
    this.#verbose = options.verbose ?? false;
    this.#platform = options.platform;
    this.#family = options.family;
    this.#offered = (options.features ?? SERVER_FEATURES) & SERVER_FEATURES;
    // History is kept whatever the client, so that one of ours that attaches later gets it.
    this.#emulator = new Emulator(options.width, options.height, {
      historyLimit: options.historyLimit ?? DEFAULT_HISTORY_LINES,
    });
    const preamble = options.preamble ?? new Uint8Array(0);
    if (preamble.length) {
      this.#emulator.write(preamble);
      this.#emulator.takeReplies();
    }
    this.#screenDirty = preamble.length > 0;
    const e = this.#emulator, rowsPerFrame = options.historyRowsPerFrame;
    const capacity = rowsPerFrame ?? HISTORY_ROWS_PER_FRAME;
    this.#budget = new HistoryBudget(
      capacity,
      options.historyRowsPerSecond ?? capacity / FILL_SECONDS,
      options.now,
    );
    this.#history = {
      get historyLimit() {
        return e.historyLimit;
      },
      get historyStart() {
        return e.historyStart;
      },
      get historyEnd() {
        return e.historyEnd;
      },
      historyRows: (from, to) => e.historyRows(from, to),
      historyRowsPerFrame: rowsPerFrame,
    };
    this.#transport = this.#connection(options.key, options.now);
  }

  /** A new SSP connection from state 0, at the emulator's size. */
  #connection(key: Base64Key, now: number): Transport<CompleteTerminal, UserStream> {
    return new Transport<CompleteTerminal, UserStream>({
      key,
      server: true,
      family: this.#family,
      initialState: CompleteTerminal.initial(
        this.#emulator.width,
        this.#emulator.height,
        undefined,
        this.#history,
      ),
      initialRemote: new UserStream(),
      now,
      sendMinDelay: SEND_MINDELAY_MS,
      platform: this.#platform,
    });
  }

  /** The current connection (it changes when a new client attaches). */
  get transport(): Transport<CompleteTerminal, UserStream> {
    return this.#transport;
  }

  /**
   * When a client was last heard: the current connection's last contact, or, while a client
   * that attached has not yet been heard, the last contact of the one before. Attaching does
   * not move the session's timeouts.
   */
  lastContact(): number {
    const t = this.#transport;
    if (this.#priorContact !== null && t.latestRemote.num === 0n) return this.#priorContact;
    return t.lastContact;
  }

  /** Where a client was last heard from, if one ever was. */
  get clientAddress(): Address | undefined {
    return this.#peer ?? this.#lastPeer;
  }

  /** Whether any client was ever heard (in this connection or one before). */
  get clientHeard(): boolean {
    return this.clientAddress !== undefined;
  }

  /**
   * A new client takes over (reattach, docs/protocol.md §16): a new SSP connection under `key`,
   * from state 0, with datagrams on the shell's socket `socket`. No nonce is ever used twice
   * under one key, since the key is new. The old connection is dead from now on: its client's
   * datagrams reach neither the application nor the session's peer address; it is sent a
   * shutdown (with a notice, for a client of ours that announced notices) so that it leaves,
   * and its socket is closed once that is done.
   * @param from who took over, for the old client's notice (an address), if known
   * @returns false when the session is ending and cannot be attached
   */
  attach(now: number, key: Base64Key, socket: number, from?: string): boolean {
    if (this.exited || this.#transport.sender.shutdownInProgress) return false;
    const old = this.#transport;
    const oldSocket = this.#socket;
    this.#priorContact = this.lastContact();
    if (old.connection.hasRemoteAddr) {
      const text = `This session was taken over by another client${from ? ` (${from})` : ""}.`;
      old.setCurrentState(old.currentState.withNotice({ kind: NoticeKind.takenOver, text }));
      old.startShutdown(now);
      this.#farewells.push({ transport: old, socket: oldSocket });
    } else {
      this.#actions.push({ type: "close", socket: oldSocket });
    }
    this.#transport = this.#connection(key, now);
    this.#socket = socket;
    this.#echo = new EchoAckTracker();
    this.#lastPeer = this.#peer ?? this.#lastPeer;
    this.#peer = undefined;
    this.#typedAt = -Infinity;
    this.#screenDirty = true;
    this.#log(`Attached: a new connection on socket ${socket}${from ? ` for ${from}` : ""}.`);
    this.#service(now);
    return true;
  }

  /** Whether the session is over (an exit action has been given). */
  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** The screen as the emulator holds it now (for a screen dump). */
  screen(): Framebuffer {
    return this.#emulator.snapshot();
  }

  /** The history kept now, oldest first. */
  historyRows(): Row[] {
    const e = this.#emulator;
    return e.historyRows(e.historyStart, e.historyEnd);
  }

  /** The actions of the events so far, in order; the list is emptied. */
  takeActions(): ServerAction[] {
    const out = this.#actions;
    this.#actions = [];
    return out;
  }

  /**
   * A datagram arrived from `from` on the shell's socket `socket` (0 until a reattach). Only
   * the current connection's socket reaches the session; a farewell's takes its client's acks.
   */
  receive(now: number, data: Uint8Array, from: Address, socket = 0): void {
    if (this.exited) return;
    if (socket === this.#socket) {
      if (this.#transport.receive(now, data, from)) this.#onClientState(now);
    } else {
      this.#farewells.find((f) => f.socket === socket)?.transport.receive(now, data, from);
    }
    this.#service(now);
  }

  /** The application wrote `bytes` to its terminal. */
  output(now: number, bytes: Uint8Array): void {
    if (this.exited || this.transport.sender.shutdownInProgress) return;
    this.#emulator.write(bytes);
    const replies = this.#emulator.takeReplies();
    if (replies.length) this.#actions.push({ type: "input", bytes: replies });
    const sender = this.transport.sender;
    if (!this.#screenDirty && !sender.hasUnsentState) {
      const echo = now - this.#typedAt <= ECHO_WINDOW_MS;
      sender.sendMinDelay = echo ? ECHO_MINDELAY_MS : SEND_MINDELAY_MS;
    }
    this.#screenDirty = true;
    // A frame already waiting for its turn takes this output along when it goes; service
    // only to start the pacing clock, or when that frame is due.
    if (!sender.hasUnsentState || this.transport.waitTime(now) === 0) this.#service(now);
  }

  /** The application has exited (its terminal hung up). */
  applicationExited(now: number): void {
    if (this.exited) return;
    this.#log("Application exited.");
    this.#shutdown(now);
  }

  /** The application could not be started; `message` says why. */
  applicationFailed(now: number, message: string): void {
    if (this.exited) return;
    // mosh's child prints the failure on the terminal and exits 1; show it the same way.
    this.#emulator.write(encoder.encode(message + "\r\n"));
    this.#screenDirty = true;
    this.#log(message);
    this.#shutdown(now);
  }

  /** A signal arrived. */
  signal(now: number, signal: ServerSignal): void {
    if (this.exited) return;
    if (signal === "SIGUSR1") {
      const since = now - this.lastContact();
      if (this.#signalTimeout && since < this.#signalTimeout) return;
      this.#log(`Network idle for ${Math.floor(since / 1000)} seconds when SIGUSR1 received`);
    }
    this.#shutdown(now);
  }

  /**
   * The pty holds `bytes` of typed input the application has not read yet. Past
   * {@link INPUT_BACKLOG_CAP_BYTES}, new client states are held back in the client's transport
   * (see {@link Transport.holdNewStates}) until the application catches up.
   */
  inputBacklog(_now: number, bytes: number): void {
    this.transport.holdNewStates = bytes > INPUT_BACKLOG_CAP_BYTES;
  }

  /**
   * Something went wrong that nobody expected (a bug): say so in the log and on the screen,
   * and end the session with the client told, rather than dying silently.
   */
  fault(now: number, error: unknown): void {
    if (this.exited) return;
    const text = error instanceof Error ? error.message : String(error);
    this.#log(`Internal error: ${error instanceof Error ? error.stack ?? text : text}`);
    if (!this.transport.sender.shutdownInProgress) {
      this.#emulator.write(encoder.encode(`\r\nmosh-server: internal error: ${text}\r\n`));
      this.#screenDirty = true;
    }
    this.#shutdown(now);
  }

  /**
   * A send failed (`error`), or worked. A datagram too long for the path makes later ones
   * smaller (mosh's fallback size).
   */
  sendResult(_now: number, error?: { message: string; tooLong: boolean }): void {
    const c = this.transport.connection;
    if (error) c.reportSendError(error.message, error.tooLong);
    else c.clearSendError();
  }

  /** The timer: whatever is due now. */
  tick(now: number): void {
    if (this.exited) return;
    this.#service(now);
  }

  /** When the session next needs {@link tick} (Infinity: only on events). */
  wakeAt(now: number): number {
    if (this.exited) return Infinity;
    const t = this.transport;
    const latest = t.latestRemote;
    let at = now + Math.min(t.waitTime(now), this.#echo.waitTime(now));
    at = Math.min(at, t.sender.shutdownDeadline);
    if (latest.num === 0n && this.#priorContact === null) {
      at = Math.min(at, this.#started + this.#noClientTimeout);
    }
    if (this.#networkTimeout && !t.sender.shutdownInProgress) {
      at = Math.min(at, this.lastContact() + this.#networkTimeout);
    }
    for (const f of this.#farewells) {
      at = Math.min(at, now + f.transport.waitTime(now), f.transport.sender.shutdownDeadline);
    }
    if (t.holdNewStates) at = Math.min(at, now + BACKLOG_RECHECK_MS);
    const state = t.currentState;
    if (state.features & Feature.history && !t.sender.hasUnsentState) {
      // History held back by the budget; with a frame waiting, its send time comes first.
      at = Math.min(at, this.#budget.wakeAt(state.historyEnd, this.#emulator.historyEnd));
    }
    return Math.max(now, at);
  }

  #log(line: string): void {
    this.#actions.push({ type: "log", line });
  }

  #onClientState(now: number): void {
    const t = this.transport;
    const events = decodeUserMessage(t.takeRemoteDiff()) ?? [];
    const first = !this.#applicationStarted;
    const keys: Uint8Array[] = [];
    events.forEach((e, i) => {
      if ("resize" in e) {
        if (events[i + 1] && "resize" in events[i + 1]) return; // only the last of a run
        this.#resize(e.resize.width, e.resize.height);
      } else if ("keys" in e) {
        keys.push(this.#input.translate(e.keys, this.#emulator.appCursorKeys));
      } else {
        // Our client announced what it understands: answer with what we will use.
        const use = e.capabilities.features & this.#offered;
        if (use & Feature.altScreen) this.#emulator.setAltScreen(true);
        t.setCurrentState(t.currentState.withFeatures(use));
        this.#screenDirty = true;
      }
    });
    if (events.length) this.#echo.registerInputFrame(t.latestRemote.num, now);
    if (first && !t.sender.shutdownInProgress) this.#startApplication();
    if (this.#applicationStarted) {
      for (const bytes of keys) if (bytes.length) this.#actions.push({ type: "input", bytes });
    }
    const printable = keys.length > 0 && keys.every((k) => k.every((b) => b >= 0x20 && b !== 0x7f));
    this.#typedAt = printable ? now : -Infinity;
    const peer = t.connection.remoteAddr;
    if (peer !== undefined && peer !== this.#peer) {
      if (this.#peer !== undefined) t.sender.peerMoved(); // what went to the old address
      this.#peer = peer;
      this.#actions.push({ type: "peer", address: peer });
    }
    if (this.#verbose) this.#log(`Client state ${t.latestRemote.num} from ${peer}`);
  }

  #resize(width: number, height: number): void {
    if (width <= 0 || height <= 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) return;
    this.#emulator.resize(width, height);
    this.#screenDirty = true;
    if (this.#applicationStarted) this.#actions.push({ type: "resize", width, height });
  }

  #startApplication(): void {
    this.#applicationStarted = true;
    // The newline mosh writes to release its child, as the tty echoes it.
    this.#emulator.write(CRLF);
    this.#screenDirty = true;
    this.#actions.push({
      type: "start",
      width: this.#emulator.width,
      height: this.#emulator.height,
    });
  }

  /** Ticks the transport and sends what is due, then sees whether the session is over. */
  #service(now: number): void {
    this.#refreshState(now);
    for (const o of this.#transport.tick(now)) {
      this.#actions.push({ type: "send", socket: this.#socket, to: o.to, data: o.data });
    }
    for (const f of this.#farewells) {
      for (const o of f.transport.tick(now)) {
        this.#actions.push({ type: "send", socket: f.socket, to: o.to, data: o.data });
      }
      if (f.transport.shutdownOutcome(now)) this.#actions.push({ type: "close", socket: f.socket });
    }
    this.#farewells = this.#farewells.filter((f) => !f.transport.shutdownOutcome(now));
    this.#checkExit(now);
  }

  /**
   * Brings the synchronized state up to date with the screen and the echo ack. A snapshot is
   * taken when the screen changed and either nothing is waiting to be sent yet (so that the
   * change starts the pacing clock) or a frame is due now (so that it carries the newest
   * screen); while a frame waits for its turn, more output only marks the screen dirty. During
   * a flood that is one snapshot per frame instead of one per read.
   */
  #refreshState(now: number, force = false): void {
    const t = this.transport;
    // During shutdown the final screen is already in the state; it stays as it was sent.
    if (t.sender.shutdownInProgress) return;
    let state = t.currentState;
    const end = this.#emulator.historyEnd;
    const waiting = this.#screenDirty || state.historyEnd < end;
    if (waiting && (force || !t.sender.hasUnsentState || t.waitTime(now) === 0)) {
      const fb = this.#emulator.snapshot();
      // A client that does not mirror the alternate screen sees only the screen shown, as
      // under mosh; the history goes with the snapshot it belongs to, as far as the budget
      // lets it during a flood (nothing of ours goes to a stock client: no budget to keep).
      const shown = fb.main && !(state.features & Feature.altScreen) ? fb.with({ main: null }) : fb;
      const paced = !force && (state.features & Feature.history) !== 0;
      const published = paced ? this.#budget.publish(now, state.historyEnd, end) : end;
      state = state.withFramebuffer(shown).withHistoryEnd(published);
      this.#screenDirty = false;
    }
    if (this.#echo.update(now)) state = state.withEchoAck(this.#echo.echoAck);
    if (state !== t.currentState) t.setCurrentState(state);
  }

  /** Starts the shutdown handshake, or ends at once with nobody to tell. */
  #shutdown(now: number): void {
    const t = this.transport;
    if (!t.connection.hasRemoteAddr) return this.#finish(0);
    if (t.sender.shutdownInProgress) return;
    // The final screen goes with the shutdown state.
    this.#refreshState(now, true);
    t.startShutdown(now);
    this.#service(now);
  }

  #checkExit(now: number): void {
    if (this.exited) return;
    const t = this.transport;
    if (t.shutdownOutcome(now)) return this.#finish(0);
    const latest = t.latestRemote;
    const idle = now - this.lastContact();
    if (this.#networkTimeout && idle >= this.#networkTimeout && !t.sender.shutdownInProgress) {
      this.#log(`Network idle for ${Math.floor(idle / 1000)} seconds.`);
      this.#shutdown(now);
      if (this.exited) return;
    }
    const neverHeard = latest.num === 0n && this.#priorContact === null;
    if (neverHeard && now - this.#started >= this.#noClientTimeout) {
      this.#log(`No connection within ${this.#noClientTimeout / 1000} seconds.`);
      this.#finish(0);
    }
  }

  #finish(code: number): void {
    if (this.exited) return;
    this.#exitCode = code;
    this.#actions.push({ type: "exit", code });
  }
}

/**
 * mosh-client's program loop (mosh's `STMClient`): the user's terminal in raw mode, keystrokes
 * through the prediction engine and the escape-key filter into the UserStream, the server's
 * screen drawn with the predictions and the notification bar on top, and the terminal restored
 * on every way out.
 *
 * Drawing is `newFrame(what the terminal shows, what it should show)`, so the terminal only
 * ever receives the difference, and a repaint (Ctrl-L, resume) is the same call with nothing
 * assumed.
 *
 * @module
 */

import type { Base64Key } from "../core/crypto/key.ts";
import { Transport } from "../core/transport/transport.ts";
import { UserStream } from "../core/statesync/user_stream.ts";
import { CompleteTerminal } from "../core/statesync/complete_terminal.ts";
import type { Framebuffer } from "../core/terminal/framebuffer.ts";
import { type DisplayOptions, newFrame } from "../core/terminal/display.ts";
import { monotonicNow, UdpEndpoint } from "../io/udp.ts";
import { kill } from "../io/libc.ts";
import { IdleCollector } from "../io/idle_gc.ts";
import { nativePlatform } from "../io/platform.ts";
import { escapeConfig, EscapeFilter } from "./escape.ts";
import { NotificationEngine } from "./notification.ts";
import { drawNotificationBar } from "./notification_bar.ts";
import { type DisplayPreference, PredictionEngine } from "../core/prediction/prediction.ts";
import type { TermCaps } from "./terminfo.ts";

/** How long the client waits for a first server state before giving up, ms. */
export const CONNECT_TIMEOUT = 15_000;
/** After this long without a server state at startup, the bar says so, ms. */
const CONNECTING_NOTICE = 250;
/** A read of more than this many bytes is a paste: it is not predicted. */
const PASTE_BYTES = 100;

/** What the client needs. */
export interface ClientConfig {
  ip: string;
  port: number;
  key: Base64Key;
  caps: TermCaps;
  env: Record<string, string | undefined>;
  /** Raw-mode terminal I/O; tests may pass a fake. */
  tty: ClientTty;
  /** When to show predictions (MOSH_PREDICTION_DISPLAY); adaptive if absent. */
  predict?: DisplayPreference;
  /** Predicted typing overwrites instead of inserting (MOSH_PREDICTION_OVERWRITE=yes). */
  predictOverwrite?: boolean;
}

/** The user's terminal as the client uses it. */
export interface ClientTty {
  size(): { columns: number; rows: number };
  setRaw(raw: boolean): void;
  write(text: string): void;
  /** Reads some bytes; null at end of input. */
  read(): Promise<Uint8Array | null>;
}

/** Ends the client and says how: clean or not, and what to print after the terminal is back. */
export interface ClientExit {
  clean: boolean;
  /** A message for stderr after the terminal is restored. */
  message?: string;
}

const MOUSE_AND_CURSOR_RESET = "\x1b[?1l\x1b[0m\x1b[?25h\x1b[?1003l\x1b[?1002l\x1b[?1001l" +
  "\x1b[?1000l\x1b[?1015l\x1b[?1006l\x1b[?1005l";

/** A running client. */
export class MoshClient {
  readonly transport: Transport<UserStream, CompleteTerminal>;
  readonly notifications: NotificationEngine;
  readonly predictions: PredictionEngine;
  readonly #config: ClientConfig;
  readonly #udp: UdpEndpoint<UserStream, CompleteTerminal>;
  /** A full collection after each burst of a hundred screens (io/idle_gc.ts). */
  readonly #collector = new IdleCollector(100);
  #lastScreen: Framebuffer | null = null;
  readonly #escape: EscapeFilter;
  readonly #display: DisplayOptions;
  readonly #connecting: string;
  readonly #initTerm: boolean;
  #shown: Framebuffer | null = null;
  #repaint = true;
  #suspended = false;
  #exit: ClientExit | undefined;
  #resolveExit!: (e: ClientExit) => void;
  readonly #exited: Promise<ClientExit>;
  #signals: [Deno.Signal, () => void][] = [];
  #authDrops = 0;

  constructor(config: ClientConfig) {
    this.#config = config;
    const now = monotonicNow();
    const { columns, rows } = config.tty.size();
    this.notifications = new NotificationEngine(now);
    this.predictions = new PredictionEngine({
      display: config.predict,
      overwrite: config.predictOverwrite,
    });
    this.#escape = new EscapeFilter(escapeConfig(config.env.MOSH_ESCAPE_KEY));
    this.notifications.setEscapeKeyName(this.#escape.config.keyName);
    this.#connecting = `Nothing received from server on UDP port ${config.port}.`;
    this.#initTerm = config.env.MOSH_NO_TERM_INIT === undefined;
    this.#display = {
      ech: config.caps.ech,
      bce: config.caps.bce,
      titles: config.caps.titles,
      titlePrefix: config.env.MOSH_TITLE_NOPREFIX === undefined ? "[mosh] " : "",
    };
    const host = config.ip.includes(":") ? `[${config.ip}]` : config.ip;
    this.transport = new Transport<UserStream, CompleteTerminal>({
      key: config.key,
      platform: nativePlatform(),
      server: false,
      remote: `${host}:${config.port}`,
      family: config.ip.includes(":") ? "inet6" : "inet",
      initialState: new UserStream(),
      initialRemote: CompleteTerminal.initial(columns, rows),
      now,
      sendMinDelay: 1,
    });
    // State 0 is blank on both sides; the first new state carries the window size, or the
    // server would start the shell at 80×24.
    this.transport.setCurrentState(new UserStream().pushResize(columns, rows));
    this.#exited = new Promise((r) => (this.#resolveExit = r));
    this.#open();
    this.#udp = new UdpEndpoint(this.transport, {
      clientBindHost: config.ip.includes(":") ? "::" : "0.0.0.0",
      onRemoteState: () => this.#onServerState(),
      onService: () => this.#afterEvent(),
      wakeAfter: (t) => this.#wakeAfter(t),
    });
    this.#listenSignals();
    this.#readInput();
  }

  /** Resolves when the session is over (the terminal is restored by then). */
  get exited(): Promise<ClientExit> {
    return this.#exited;
  }

  #open(): void {
    const tty = this.#config.tty;
    tty.setRaw(true);
    tty.write((this.#initTerm ? this.#config.caps.smcup : "") + "\x1b[?1h");
    this.#repaint = true;
  }

  /** Gives the terminal back; never throws (it runs on every way out, the terminal may be gone). */
  #close(): void {
    const tty = this.#config.tty;
    try {
      tty.write(MOUSE_AND_CURSOR_RESET + (this.#initTerm ? this.#config.caps.rmcup : ""));
    } catch {
      // nothing to restore on a terminal that is gone
    }
    try {
      tty.setRaw(false);
    } catch {
      // likewise
    }
  }

  #listenSignals(): void {
    const on = (signal: Deno.Signal, f: () => void) => {
      try {
        Deno.addSignalListener(signal, f);
        this.#signals.push([signal, f]);
      } catch {
        // not a signal this platform lets us catch
      }
    };
    on("SIGWINCH", () => this.#onResize());
    on("SIGCONT", () => this.#resume());
    for (const s of ["SIGTERM", "SIGINT", "SIGHUP", "SIGPIPE"] as const) {
      on(s, () => this.#quit("Signal received, shutting down..."));
    }
  }

  async #readInput(): Promise<void> {
    for (;;) {
      let data: Uint8Array | null;
      try {
        data = await this.#config.tty.read();
      } catch {
        data = null;
      }
      if (this.#exit) return;
      if (data === null) {
        this.#quit("Exiting...");
        return;
      }
      this.#onKeys(data);
    }
  }

  #onKeys(data: Uint8Array): void {
    if (this.transport.sender.shutdownInProgress) return;
    // Every byte is predicted, escape key included, as mosh does; a paste is not.
    const t = this.transport;
    this.predictions.setLocalFrameSent(t.sender.lastSent.num);
    if (data.length > PASTE_BYTES) this.predictions.reset();
    else {
      const now = monotonicNow();
      for (const byte of data) this.predictions.newUserByte(byte, t.latestRemote.state.fb, now);
    }
    this.#filterKeys(data);
  }

  /** Keystrokes through the escape-key filter into the UserStream. */
  #filterKeys(data: Uint8Array): void {
    const now = monotonicNow();
    const r = this.#escape.feed(data);
    if (r.showHelp) this.notifications.setMessage(now, this.#escape.config.help, true, false);
    if (r.hideHelp && this.notifications.message === this.#escape.config.help) {
      this.notifications.setMessage(now, "");
    }
    if (r.send.length) {
      this.transport.setCurrentState(this.transport.currentState.pushKeys(r.send));
    }
    if (r.repaint) this.#repaint = true;
    if (r.quit) {
      this.#quit("Exiting on user request...");
      return;
    }
    // A predicted echo goes to the screen before the keys go to the network.
    if (r.send.length && this.predictions.showing) this.#draw();
    this.#udp.service();
    if (r.suspend) {
      this.#suspend();
      if (r.rest.length && !this.transport.sender.shutdownInProgress) this.#filterKeys(r.rest);
    }
  }

  #onResize(): void {
    if (this.transport.sender.shutdownInProgress) return;
    const { columns, rows } = this.#config.tty.size();
    this.transport.setCurrentState(this.transport.currentState.pushResize(columns, rows));
    this.predictions.reset();
    this.#udp.service();
  }

  #suspend(): void {
    this.#close();
    this.#config.tty.write("\n\x1b[37;44m[mosh is suspended.]\x1b[m\n");
    this.#suspended = true;
    kill(0, "SIGSTOP");
    // We run again after SIGCONT; its listener resumes (kill returns before the stop lands).
  }

  #resume(): void {
    if (!this.#suspended) return;
    this.#suspended = false;
    this.#open();
    this.#draw();
  }

  #onServerState(): void {
    const latest = this.transport.latestRemote;
    // Heartbeats are new states too; only a changed screen is work.
    if (latest.state.fb !== this.#lastScreen) this.#collector.activity(monotonicNow(), 1);
    this.#lastScreen = latest.state.fb;
    this.notifications.serverHeard(latest.timestamp);
    if (this.notifications.message === this.#connecting) this.notifications.setMessage(0, "");
  }

  /** Starts the shutdown handshake with a permanent message (mosh's quit paths). */
  #quit(message: string): void {
    if (this.#exit || this.transport.sender.shutdownInProgress) return;
    const now = monotonicNow();
    this.notifications.setMessage(now, message, true);
    this.transport.startShutdown(now);
    this.#udp.service();
  }

  #wakeAfter(now: number): number {
    let wait = Math.min(this.notifications.waitTime(now), this.predictions.waitTime());
    if (this.transport.latestRemote.num === 0n) wait = Math.min(wait, CONNECTING_NOTICE);
    return wait;
  }

  #afterEvent(): void {
    if (this.#exit) return;
    const now = monotonicNow();
    this.#collector.maybeCollect(now);
    const t = this.transport;
    this.notifications.serverAcked(t.sender.acked.timestamp);
    const auth = t.drops.total("auth");
    if (auth > this.#authDrops) {
      this.#authDrops = auth;
      this.notifications.setMessage(now, "Crypto exception: Packet failed integrity check.");
    }
    const sendError = t.connection.sendError;
    if (sendError) {
      this.notifications.setNetworkError(now, sendError);
      t.connection.clearSendError();
    } else {
      this.notifications.clearNetworkError(now);
    }
    if (t.sender.shutdownInProgress && t.sender.shutdownAcknowledged) return this.#finish(true);
    if (t.sender.shutdownAckTimedOut(now)) return this.#finish(false);
    if (t.sender.counterpartyShutdownAckSent) return this.#finish(true);
    const latest = t.latestRemote;
    if (
      latest.num === 0n && !t.sender.shutdownInProgress &&
      now - latest.timestamp > CONNECTING_NOTICE
    ) {
      if (now - latest.timestamp > CONNECT_TIMEOUT) {
        this.#quit("Timed out waiting for server...");
        return;
      }
      this.notifications.setMessage(now, this.#connecting);
    }
    this.#draw();
  }

  /** What the terminal should show now: the server's screen and the overlays. */
  #target(now: number, forExit = false): Framebuffer {
    const t = this.transport;
    const server = t.latestRemote.state;
    // What mosh tells its engine after network input; only network input changes these.
    this.predictions.setSendInterval(t.sender.sendInterval);
    this.predictions.setLocalFrameLateAcked(server.echoAck);
    this.predictions.cull(server.fb, now);
    let fb = this.predictions.apply(server.fb);
    const bar = forExit ? null : this.notifications.text(now);
    if (bar !== null) fb = drawNotificationBar(fb, bar);
    return fb;
  }

  #draw(forExit = false): void {
    if (this.#suspended) return;
    const target = this.#target(monotonicNow(), forExit);
    const options = forExit ? { ...this.#display, titlePrefix: "" } : this.#display;
    const from = this.#repaint ? null : this.#shown;
    const out = newFrame(from, target, options);
    if (out) this.#config.tty.write(out);
    this.#shown = target;
    this.#repaint = false;
  }

  #finish(clean: boolean): void {
    if (this.#exit) return;
    const connected = this.transport.latestRemote.num !== 0n;
    let message: string | undefined;
    if (!connected) {
      const { ip, port } = this.#config;
      message = `\nmosh did not make a successful connection to ${ip}:${port}.\n` +
        `Please verify that UDP port ${port} is not firewalled and can reach the server.\n\n` +
        "(By default, mosh uses a UDP port between 60000 and 61000. The -p option\n" +
        "selects a specific UDP port number.)\n";
    } else if (!clean) {
      message = "\n\nmosh did not shut down cleanly. Please note that the\n" +
        "mosh-server process may still be running on the server.\n";
    }
    this.#exit = { clean: clean && connected, message };
    this.#udp.close();
    for (const [s, f] of this.#signals) Deno.removeSignalListener(s, f);
    try {
      this.#draw(true);
    } finally {
      this.#close();
      this.#resolveExit(this.#exit);
    }
  }

  /** Ends at once, restoring the terminal (an exception in the program). */
  abort(error: unknown): void {
    if (this.#exit) return;
    this.#exit = {
      clean: false,
      message: `Error: ${error instanceof Error ? error.message : error}\r\n`,
    };
    try {
      this.#udp.close();
      for (const [s, f] of this.#signals) Deno.removeSignalListener(s, f);
    } finally {
      this.#close();
      this.#resolveExit(this.#exit);
    }
  }
}

/**
 * mosh-client's session, pure (mosh's `STMClient` without its sockets, terminal and clock).
 * The shell feeds it events with the time: the user's keys, window resizes, datagrams, send
 * results, signals and the timer; it answers with {@link ClientAction}s (datagrams, text for
 * the terminal, raw mode, suspend, exit) and the time it next needs to run. Every rule of a
 * client session is here, once:
 *
 * - **Keys** go through the prediction engine (a paste of more than {@link PASTE_BYTES} is not
 *   predicted) and the escape-key filter into the UserStream; a predicted echo is drawn before
 *   the keys go to the network.
 * - **Drawing** is `newFrame(what the terminal shows, what it should show)`: the server's
 *   newest screen with the predictions and the notification bar on top, so the terminal only
 *   ever receives the difference; a repaint (Ctrl-L, resize, resume) is the same call with
 *   nothing assumed, after leaving the alternate screen if the session had entered it.
 * - **The notification bar**: "Nothing received from server" after {@link CONNECTING_NOTICE_MS}
 *   without a first state, mosh's "Last contact" count-up, send errors, failed integrity checks,
 *   the escape key's help.
 * - **The end**: the escape key's quit, a signal or the end of input start the shutdown
 *   handshake; the session exits when it ends ({@link Transport.shutdownOutcome}), or when no
 *   server answered within {@link CONNECT_TIMEOUT_MS}. The terminal is given back on every way
 *   out, with mosh's closing words.
 *
 * @module
 */

import type { Base64Key } from "../crypto/key.ts";
import type { Platform } from "../platform.ts";
import type { Address } from "../network/connection.ts";
import { Transport } from "../transport/transport.ts";
import { UserStream } from "../statesync/user_stream.ts";
import { CompleteTerminal } from "../statesync/complete_terminal.ts";
import type { Framebuffer } from "../terminal/framebuffer.ts";
import { type DisplayOptions, LEAVE_ALTERNATE, newFrame } from "../terminal/display.ts";
import { historyFrame, historyMarkerRow } from "../terminal/history_frame.ts";
import { Row } from "../terminal/row.ts";
import { type DisplayPreference, PredictionEngine } from "../prediction/prediction.ts";
import type { ClientAction } from "./action.ts";
import { escapeConfig, EscapeFilter } from "./escape.ts";
import { NotificationEngine } from "./notification.ts";
import { drawNotificationBar } from "./notification_bar.ts";
import { EXTENSIONS_VERSION, Feature } from "../statesync/extensions.ts";
import { printable } from "../terminal/printable.ts";

/** How long the client waits for a first server state before giving up, ms. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** After this long without a server state at start-up, the bar says so, ms. */
export const CONNECTING_NOTICE_MS = 250;
/** A read of more than this many bytes is a paste: it is not predicted, bytes. */
export const PASTE_BYTES = 100;
/** mosh-client's collection delay for keystrokes, ms. */
const CLIENT_SEND_MINDELAY_MS = 1;

/** Asks the terminal where its cursor is (DSR 6); it answers `CSI row ; col R` as input. */
const CURSOR_QUERY = "\x1b[6n";
/**
 * The terminal's answer to {@link CURSOR_QUERY}, `ESC [ row ; col R`, in typed bytes: where it
 * starts and ends, and its row; null if it is not there.
 */
export function findCursorAnswer(
  b: Uint8Array,
): { start: number; end: number; row: number } | null {
  const digit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
  for (let i = b.indexOf(0x1b); i >= 0; i = b.indexOf(0x1b, i + 1)) {
    let j = i + 1;
    if (b[j++] !== 0x5b || !digit(b[j])) continue;
    let row = 0;
    while (digit(b[j])) row = row * 10 + b[j++] - 0x30;
    if (b[j++] !== 0x3b || !digit(b[j])) continue;
    while (digit(b[j])) j++;
    if (b[j++] === 0x52) return { start: i, end: j, row };
  }
  return null;
}
/**
 * How long after the query its answer is taken out of typed input, ms. It may come after the
 * server has decided the mode (a stock server's first frame can beat the terminal), and must
 * not reach the application then either; a terminal that never answers must not have a
 * cursor report typed much later swallowed.
 */
export const CURSOR_ANSWER_MS = 5000;

/** Puts the terminal's modes that an application may have left back to normal, on the way out. */
const MOUSE_AND_CURSOR_RESET = "\x1b[?1l\x1b[0m\x1b[?25h\x1b[?1003l\x1b[?1002l\x1b[?1001l" +
  "\x1b[?1000l\x1b[?1015l\x1b[?1006l\x1b[?1005l";

/** What the user's terminal can do, from terminfo. */
export interface TerminalCapabilities {
  /** Enter and leave the alternate screen ("" when the terminal has none). */
  smcup: string;
  rmcup: string;
  /** Erase characters (ECH) works. */
  ech: boolean;
  /** Erasing uses the current background colour. */
  bce: boolean;
  /** The terminal takes window titles. */
  titles: boolean;
}

/** The client's settings from its environment (read once by the shell, which keeps no more). */
export interface ClientSettings {
  /** MOSH_ESCAPE_KEY, undefined when unset. */
  escapeKey?: string;
  /** False with MOSH_NO_TERM_INIT: stay on the terminal's main screen. */
  termInit: boolean;
  /** "[mosh] " unless MOSH_TITLE_NOPREFIX. */
  titlePrefix: string;
  /** When to show predictions (MOSH_PREDICTION_DISPLAY); adaptive if absent. */
  predict?: DisplayPreference;
  /** Predicted typing overwrites instead of inserting (MOSH_PREDICTION_OVERWRITE=yes). */
  predictOverwrite?: boolean;
  /**
   * Our protocol extensions to announce to the server (docs/protocol.md §16); by default every
   * one this client implements. 0 announces nothing: the client is then exactly mosh's.
   */
  features?: number;
}

/** The extensions this client implements. */
export const CLIENT_FEATURES = Feature.notice | Feature.history | Feature.altScreen;

/**
 * How the client uses the user's terminal:
 * - `undecided`: with native scrollback announced, until the server says whether it sends
 *   history (its first state); nothing is drawn yet;
 * - `scrollback`: the terminal's main screen, history rows pushed into its own scrollback,
 *   the alternate screen mirrored, nothing that would push a screen into history;
 * - `mosh`: the alternate screen for the session (smcup), no history: mosh's way.
 */
type TerminalMode = "undecided" | "scrollback" | "mosh";

/** What a client session is given at start. */
export interface ClientSessionOptions {
  key: Base64Key;
  /** The time of start-up, ms of the shell's monotonic clock. */
  now: number;
  /** The server's address as given ("127.0.0.1", "::1") and its UDP port. */
  ip: string;
  port: number;
  /** The user's terminal now. */
  width: number;
  height: number;
  caps: TerminalCapabilities;
  settings: ClientSettings;
  /** The AES block cipher, zlib and random bytes (io/platform.ts; tests may seed `random`). */
  platform: Platform;
}

/** One mosh-client session. */
export class ClientSession {
  readonly transport: Transport<UserStream, CompleteTerminal>;
  readonly notifications: NotificationEngine;
  readonly predictions: PredictionEngine;
  readonly #escape: EscapeFilter;
  readonly #display: DisplayOptions;
  readonly #caps: TerminalCapabilities;
  readonly #termInit: boolean;
  readonly #connecting: string;
  readonly #ip: string;
  readonly #port: number;
  #actions: ClientAction[] = [];
  #shown: Framebuffer | null = null;
  #mode: TerminalMode;
  /** The number after the last history row written into the terminal's scrollback. */
  #historyWritten = 0;
  /** The last history row written continues on the screen's top row (a soft wrap). */
  #topRowContinues = false;
  /** The terminal's size: for pushing its screen into its scrollback, and fitting frames. */
  #width: number;
  #height: number;
  /**
   * The row (1-based) of the terminal's cursor when the session began, from its answer to a
   * cursor-position query: how many lines of what it shows are worth keeping; null until it
   * answers (then all of them are pushed).
   */
  #startRow: number | null = null;
  /** When the cursor query went out, while its answer is still to be taken out of input. */
  #cursorAsked: number | null = null;
  /** The last frame drawn with the notification bar, and what it was made of. */
  #barred: { under: Framebuffer; text: string; frame: Framebuffer } | undefined;
  #repaint = true;
  #suspended = false;
  #exited = false;
  #authDrops = 0;

  constructor(options: ClientSessionOptions) {
    const { now, settings } = options;
    this.#ip = options.ip;
    this.#port = options.port;
    this.#caps = options.caps;
    this.#termInit = settings.termInit;
    const announced = (settings.features ?? CLIENT_FEATURES) & CLIENT_FEATURES;
    this.#mode = announced & Feature.history ? "undecided" : "mosh";
    this.#width = options.width;
    this.#height = options.height;
    this.notifications = new NotificationEngine(now);
    this.predictions = new PredictionEngine({
      display: settings.predict,
      overwrite: settings.predictOverwrite,
    });
    this.#escape = new EscapeFilter(escapeConfig(settings.escapeKey));
    this.notifications.setEscapeKeyName(this.#escape.config.keyName);
    this.#connecting = `Nothing received from server on UDP port ${options.port}.`;
    this.#display = {
      ech: options.caps.ech,
      bce: options.caps.bce,
      titles: options.caps.titles,
      titlePrefix: settings.titlePrefix,
    };
    const v6 = options.ip.includes(":");
    this.transport = new Transport<UserStream, CompleteTerminal>({
      key: options.key,
      server: false,
      remote: `${v6 ? `[${options.ip}]` : options.ip}:${options.port}`,
      family: v6 ? "inet6" : "inet",
      initialState: new UserStream(),
      initialRemote: CompleteTerminal.initial(options.width, options.height),
      now,
      sendMinDelay: CLIENT_SEND_MINDELAY_MS,
      platform: options.platform,
    });
    // State 0 is blank on both sides; the first new state carries the window size, or the
    // server would start the shell at 80×24, and what we understand of our extensions.
    const features = (settings.features ?? CLIENT_FEATURES) & CLIENT_FEATURES;
    let first = new UserStream();
    if (features) first = first.announce({ version: EXTENSIONS_VERSION, features });
    this.transport.setCurrentState(first.pushResize(options.width, options.height));
    this.#open(now);
    this.#service(now);
  }

  /** Whether the session is over (an exit action has been given). */
  get exited(): boolean {
    return this.#exited;
  }

  /** The local sockets the transport keeps for receiving; the shell closes the others. */
  get liveSockets(): readonly number[] {
    return this.transport.connection.liveSockets;
  }

  /** The actions of the events so far, in order; the list is emptied. */
  takeActions(): ClientAction[] {
    const out = this.#actions;
    this.#actions = [];
    return out;
  }

  /** The user typed `data`. */
  keys(now: number, data: Uint8Array): void {
    if (this.#exited || this.transport.sender.shutdownInProgress) return;
    if (this.#cursorAsked !== null) {
      data = this.#takeCursorAnswer(now, data);
      if (data.length === 0) return;
    }
    // Every byte is predicted, escape key included, as mosh does; a paste is not.
    const t = this.transport;
    this.predictions.setLocalFrameSent(t.sender.lastSent.num);
    if (data.length > PASTE_BYTES) this.predictions.reset();
    else {
      for (const byte of data) this.predictions.newUserByte(byte, t.latestRemote.state.fb, now);
    }
    this.#filterKeys(now, data);
  }

  /** The user's window is now `width`×`height`. */
  resize(now: number, width: number, height: number): void {
    if (this.#exited || this.transport.sender.shutdownInProgress) return;
    this.#width = width;
    this.#height = height;
    this.transport.setCurrentState(this.transport.currentState.pushResize(width, height));
    this.predictions.reset();
    // What the terminal shows after a resize is its own business (it may reflow, or pull
    // lines back from its history): draw everything again, as mosh does.
    this.#repaint = true;
    this.#service(now);
  }

  /** A datagram arrived from `from`. */
  receive(now: number, data: Uint8Array, from: Address): void {
    if (this.#exited) return;
    if (this.transport.receive(now, data, from)) {
      this.notifications.serverHeard(this.transport.latestRemote.timestamp);
      if (this.notifications.message === this.#connecting) this.notifications.setMessage(0, "");
    }
    this.#service(now);
  }

  /**
   * The shell's last send failed (`error`, and whether the datagram was too long for the path),
   * or worked again (`error` undefined).
   */
  sendResult(now: number, error?: { message: string; tooLong: boolean }): void {
    if (this.#exited) return;
    const c = this.transport.connection;
    if (error) c.reportSendError(error.message, error.tooLong);
    else if (c.sendError === undefined) return;
    else c.clearSendError();
    this.#service(now);
  }

  /**
   * Leave, telling the server: a signal ("Signal received, shutting down..."), the end of the
   * terminal's input ("Exiting..."), or the user's request.
   */
  quit(now: number, message: string): void {
    if (this.#exited || this.transport.sender.shutdownInProgress) return;
    this.notifications.setMessage(now, message, true);
    this.transport.startShutdown(now);
    this.#service(now);
  }

  /** The process runs again after a suspend (SIGCONT): take the terminal back and repaint. */
  resume(now: number): void {
    if (!this.#suspended || this.#exited) return;
    this.#suspended = false;
    this.#open(now);
    this.#draw(now);
  }

  /** Ends at once with the terminal given back: an exception nobody expected. */
  fault(_now: number, error: unknown): void {
    if (this.#exited) return;
    this.#close();
    this.#exit(false, `Error: ${error instanceof Error ? error.message : error}\r\n`);
  }

  /** The timer: whatever is due now. */
  tick(now: number): void {
    if (this.#exited) return;
    this.#service(now);
  }

  /** When the session next needs {@link tick} (Infinity: only on events). */
  wakeAt(now: number): number {
    if (this.#exited) return Infinity;
    const t = this.transport;
    const wait = Math.min(
      t.waitTime(now),
      this.notifications.waitTime(now),
      this.predictions.waitTime(),
    );
    let at = Math.min(now + wait, t.sender.shutdownDeadline);
    const latest = t.latestRemote;
    if (latest.num === 0n && !t.sender.shutdownInProgress) {
      // The "nothing received" notice, then giving up: each just after its moment.
      for (const limit of [CONNECTING_NOTICE_MS, CONNECT_TIMEOUT_MS]) {
        const due = latest.timestamp + limit + 1;
        if (due > now) {
          at = Math.min(at, due);
          break;
        }
      }
    }
    return at;
  }

  /**
   * `data` without the terminal's answer to our cursor query, which comes as input; its row is
   * where the session began, if the mode is still undecided.
   */
  #takeCursorAnswer(now: number, data: Uint8Array): Uint8Array {
    if (now - this.#cursorAsked! > CURSOR_ANSWER_MS) {
      this.#cursorAsked = null;
      return data;
    }
    const answer = findCursorAnswer(data);
    if (!answer) return data;
    this.#cursorAsked = null;
    if (this.#mode === "undecided" && this.#startRow === null) this.#startRow = answer.row;
    const rest = new Uint8Array(data.length - (answer.end - answer.start));
    rest.set(data.subarray(0, answer.start));
    rest.set(data.subarray(answer.end), answer.start);
    return rest;
  }

  #open(now: number): void {
    const smcup = this.#mode === "mosh" && this.#termInit ? this.#caps.smcup : "";
    // Undecided: where is the cursor? (what the terminal shows above it is the user's to keep)
    const ask = this.#mode === "undecided" ? CURSOR_QUERY : "";
    if (ask) this.#cursorAsked = now;
    this.#actions.push(
      { type: "raw", on: true },
      {
        type: "write",
        text: smcup + "\x1b[?1h" + ask + (this.#mode === "scrollback" ? this.#push() : ""),
      },
    );
    this.#repaint = true;
  }

  /** What pushes the terminal's screen, down to where the cursor started, into its scrollback. */
  #push(): string {
    const h = this.#height, lines = Math.min(h, this.#startRow ?? h);
    this.#startRow = h; // after a suspend, whatever the shell printed goes too
    return `\x1b[${h};1H` + "\n".repeat(lines);
  }

  #close(): void {
    // On the main screen the session's last screen stays, as after ssh; off the alternate
    // screen if the application left us on it.
    const end = this.#mode === "mosh"
      ? (this.#termInit ? this.#caps.rmcup : "")
      : this.#shown?.alternate
      ? LEAVE_ALTERNATE
      : "";
    this.#actions.push(
      { type: "write", text: MOUSE_AND_CURSOR_RESET + end },
      { type: "raw", on: false },
    );
    // The terminal is the user's again: what it shows is no longer the session's frame.
    this.#shown = null;
  }

  /**
   * Settles how the terminal is used, once the server's first state says whether it sends
   * history (see {@link TerminalMode}); or, when something must be drawn before that (the
   * "nothing received" notice), mosh's way for now.
   */
  #settleMode(serverHeard: boolean): void {
    if (this.#mode === "scrollback") return;
    const history = serverHeard &&
      (this.transport.latestRemote.state.features & Feature.history) !== 0;
    if (history) {
      // Whatever the terminal showed goes into its scrollback; the session draws below it.
      const leave = this.#mode === "mosh" && this.#termInit ? this.#caps.rmcup : "";
      this.#actions.push({ type: "write", text: leave + this.#push() });
      this.#mode = "scrollback";
      this.#repaint = true;
    } else if (this.#mode === "undecided") {
      if (this.#termInit) this.#actions.push({ type: "write", text: this.#caps.smcup });
      this.#mode = "mosh";
      this.#repaint = true;
    }
  }

  /** Keystrokes through the escape-key filter into the UserStream. */
  #filterKeys(now: number, data: Uint8Array): void {
    const r = this.#escape.feed(data);
    const help = this.#escape.config.help;
    if (r.showHelp) this.notifications.setMessage(now, help, true, false);
    if (r.hideHelp && this.notifications.message === help) this.notifications.setMessage(now, "");
    if (r.send.length) {
      this.transport.setCurrentState(this.transport.currentState.pushKeys(r.send));
    }
    if (r.repaint) this.#repaint = true;
    if (r.quit) return this.quit(now, "Exiting on user request...");
    // A predicted echo goes to the screen before the keys go to the network.
    if (r.send.length && this.predictions.showing) this.#draw(now);
    this.#service(now);
    if (r.suspend && !this.#exited) {
      this.#suspend();
      if (r.rest.length && !this.transport.sender.shutdownInProgress) {
        this.#filterKeys(now, r.rest);
      }
    }
  }

  #suspend(): void {
    this.#close();
    this.#actions.push(
      { type: "write", text: "\n\x1b[37;44m[mosh is suspended.]\x1b[m\n" },
      { type: "suspend" },
    );
    this.#suspended = true;
  }

  /** Ticks the transport and sends what is due, then updates the bar, exits or draws. */
  #service(now: number): void {
    const t = this.transport;
    for (const o of t.tick(now)) {
      this.#actions.push({ type: "send", socket: o.socket, to: o.to, data: o.data });
    }
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
    const outcome = t.shutdownOutcome(now);
    if (outcome) return this.#finish(now, outcome !== "timeout");
    const latest = t.latestRemote;
    if (
      latest.num === 0n && !t.sender.shutdownInProgress &&
      now - latest.timestamp > CONNECTING_NOTICE_MS
    ) {
      if (now - latest.timestamp > CONNECT_TIMEOUT_MS) {
        return this.quit(now, "Timed out waiting for server...");
      }
      this.notifications.setMessage(now, this.#connecting);
    }
    this.#draw(now);
  }

  /** What the terminal should show now: the server's screen and the overlays. */
  #target(now: number, forExit: boolean): Framebuffer {
    const t = this.transport;
    const server = t.latestRemote.state;
    // What mosh tells its engine after network input; only network input changes these.
    this.predictions.setSendInterval(t.sender.sendInterval);
    this.predictions.setLocalFrameLateAcked(server.echoAck);
    this.predictions.cull(server.fb, now);
    let fb = this.predictions.apply(server.fb);
    // Until the server's screen follows a resize, it is drawn cut or extended to the terminal:
    // a frame taller than the terminal would scroll it (pushing lines into its history, or
    // the notification bar off the top).
    if (fb.width !== this.#width || fb.height !== this.#height) {
      fb = fb.resized(this.#width, this.#height);
    }
    const bar = forExit ? null : this.notifications.text(now);
    if (bar === null) return fb;
    // The same frame under the same bar is the frame already made: nothing to draw.
    const last = this.#barred;
    if (last && last.under === fb && last.text === bar) return last.frame;
    const frame = drawNotificationBar(fb, bar);
    this.#barred = { under: fb, text: bar, frame };
    return frame;
  }

  #draw(now: number, forExit = false): void {
    if (this.#suspended) return;
    const heard = this.transport.latestRemote.num !== 0n;
    if (this.#mode !== "scrollback" && (heard || this.#mode === "mosh")) this.#settleMode(heard);
    const target = this.#target(now, forExit);
    if (this.#mode === "undecided") {
      // Nothing to show before the server says how (a blank screen); the notice forces it.
      if (target === this.transport.latestRemote.state.fb) return;
      this.#settleMode(false);
    }
    const history = this.#mode === "scrollback" ? this.#pendingHistory(target.width) : [];
    // Frames are immutable: the one on the terminal needs no drawing (most wake-ups).
    if (target === this.#shown && !this.#repaint && !forExit && !history.length) return;
    const options: DisplayOptions = {
      ...this.#display,
      ...(forExit && { titlePrefix: "" }),
      ...(this.#mode === "scrollback" &&
        { scrollbackSafe: true, topRowContinues: this.#topRowContinues }),
    };
    const from = this.#repaint ? null : this.#shown;
    // A repaint draws from nothing, and drawing from nothing starts on the main screen: the
    // hidden main screen and history are drawn there before the alternate screen is entered.
    // A resize or a repaint request leaves the terminal on the alternate screen the session
    // put it on, so leave it first; else the main screen is drawn onto the alternate one, and
    // the terminal's own main screen (cut or reflowed by the resize) is what the application
    // finds when it leaves the alternate screen.
    let out = from === null && this.#shown?.alternate ? LEAVE_ALTERNATE : "";
    if (history.length) {
      out += historyFrame(from, history, target, options);
      this.#topRowContinues = history[history.length - 1].wrap;
    } else out += newFrame(from, target, options);
    if (out) this.#actions.push({ type: "write", text: out });
    this.#shown = target;
    this.#repaint = false;
  }

  /**
   * The history rows the terminal lacks, oldest first: a marker for what the server left out
   * (a flood, more than a frame carries), then the rows of the newest state's diff.
   */
  #pendingHistory(width: number): Row[] {
    const state = this.transport.latestRemote.state;
    if (state.historyEnd <= this.#historyWritten) return [];
    const d = state.delivered;
    const from = this.#historyWritten;
    const rows: Row[] = [];
    const firstSent = d ? d.start : state.historyEnd;
    if (firstSent > from) {
      // A line cut short by the gap ends here (an empty last piece), so that the marker is a
      // line of its own and not read as the rest of it.
      if (this.#topRowContinues) rows.push(Row.blank(width));
      rows.push(historyMarkerRow(firstSent - from, width));
    }
    if (d) rows.push(...d.rows.slice(Math.max(0, from - d.start)));
    this.#historyWritten = state.historyEnd;
    return rows;
  }

  #finish(now: number, clean: boolean): void {
    const connected = this.transport.latestRemote.num !== 0n;
    let message: string | undefined;
    if (!connected) {
      const ip = this.#ip, port = this.#port;
      message = `\nmosh did not make a successful connection to ${ip}:${port}.\n` +
        `Please verify that UDP port ${port} is not firewalled and can reach the server.\n\n` +
        "(By default, mosh uses a UDP port between 60000 and 61000. The -p option\n" +
        "selects a specific UDP port number.)\n";
    } else if (!clean) {
      message = "\n\nmosh did not shut down cleanly. Please note that the\n" +
        "mosh-server process may still be running on the server.\n";
    }
    // The server said why it ended the session for us (taken over, a fault).
    const notice = this.transport.latestRemote.state.notice;
    if (notice && connected) message = `\n${printable(notice.text)}\n` + (message ?? "");
    this.#draw(now, true);
    this.#close();
    this.#exit(clean && connected, message);
  }

  #exit(clean: boolean, message?: string): void {
    this.#exited = true;
    this.#actions.push({ type: "exit", clean, message });
  }
}

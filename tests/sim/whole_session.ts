/**
 * A whole mosh session in virtual time: a {@link ClientSession} and a {@link ServerSession}
 * (each with its emulator), a scripted application on the server, the user's terminal (an
 * emulator fed with everything the client writes), over the seeded {@link SimNetwork}. Time
 * jumps to the earliest thing due, so a minute of session costs a few milliseconds, and the
 * same seed replays the same session.
 *
 * The application is a tiny shell: it prints a prompt, echoes printable keys, answers Enter
 * with a line about what was typed and a new prompt, and prints scripted output at set times.
 * It records every byte it reads, so the properties can check that each keystroke arrived once
 * and in order.
 */
import { Base64Key } from "../../core/crypto/key.ts";
import type { ClientAction, ServerAction } from "../../core/session/action.ts";
import { ClientSession } from "../../core/session/client_session.ts";
import { ServerSession } from "../../core/session/server_session.ts";
import { Emulator } from "../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../core/terminal/framebuffer.ts";
import type { Row } from "../../core/terminal/row.ts";
import type { DisplayPreference } from "../../core/prediction/prediction.ts";
import { withRandom } from "../_platform.ts";
import {
  type InFlight,
  type NetworkScript,
  SERVER_PORT,
  serverAddress,
  SimNetwork,
} from "./network.ts";

/** A scripted session. Times are virtual ms from the start. */
export interface WholeScenario extends NetworkScript {
  seed: number;
  /** The user's window at the start. */
  width: number;
  height: number;
  /** What the user types, when (never the escape key, Ctrl-^). */
  typing: { at: number; keys: string }[];
  /** The user resizes the window. */
  resizes: { at: number; width: number; height: number }[];
  /** The application prints by itself. */
  output: { at: number; text: string }[];
  /**
   * A new client takes the session over (reattach, with a fresh key on a new port); the user
   * types into it from then on, on a terminal of its own.
   */
  attach?: { at: number };
  /** One side ends the session: the user's quit, or SIGTERM to the server. */
  shutdown?: { at: number; by: "client" | "server" };
  /** Times at which the user's screen is looked at (its text is recorded). */
  observe?: number[];
  /** Record the user's screen after every change (in {@link WholeResult.screens}). */
  recordScreens?: boolean;
  predict?: DisplayPreference;
  /** The session is stopped here. */
  end: number;
  /** Lines of history the server keeps (default: the session's default). */
  historyLimit?: number;
  /** History rows a frame carries at most (default: the session's). */
  historyRowsPerFrame?: number;
  /** The client's extensions (default: all it has: native scrollback). */
  features?: number;
}

/** How a side left. */
export interface SideExit {
  at: number;
  /** The client's "clean"; the server's exit code 0. */
  clean: boolean;
  message?: string;
}

/** What happened. */
export interface WholeResult {
  /** Every byte the user typed, in order. */
  typed: string;
  /** What was typed into the first client before the new one attached (with `attach`). */
  typedBeforeAttach: string;
  /** Every byte the application read, in order. */
  received: string;
  /** True if what the application read was ever not a prefix of what was typed. */
  orderViolation: boolean;
  /** The user's terminal and the server's screen at the end. */
  userScreen: Framebuffer;
  serverScreen: Framebuffer;
  /** The user's screen at each observation time: its rows as text. */
  observations: { at: number; rows: string[] }[];
  /** With `recordScreens`: the user's screen after each change, and when. */
  screens: { at: number; rows: string[] }[];
  /**
   * The user's terminal's own history (what scrolled off its top: its scrollback) and the
   * server's, at the end: as rows, and as logical lines (soft-wrapped rows joined).
   */
  userHistoryRows: Row[];
  serverHistoryRows: Row[];
  userHistory: string[];
  serverHistory: string[];
  /** How each side left: the (newest) client, the one taken over, and the server. */
  exits: { client?: SideExit; oldClient?: SideExit; server?: SideExit };
  steps: number;
  /** The application's start and its size. */
  started?: { at: number; width: number; height: number };
}

const KEY = Base64Key.fromBytes(new Uint8Array(16).fill(9));
/** Lines of scrollback the user's terminal keeps: all of a simulated session's. */
const USER_SCROLLBACK = 1_000_000;
const MAX_STEPS = 400_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The scripted application: a line-editing shell that echoes. */
class ScriptedShell {
  received = "";
  #line = "";
  /** The bytes it has written since last asked. */
  #out = "";

  start(): void {
    this.#out += "$ ";
  }

  input(bytes: Uint8Array): void {
    const text = dec.decode(bytes);
    this.received += text;
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if (ch === "\r") {
        this.#out += `\r\nran: ${this.#line}\r\n$ `;
        this.#line = "";
      } else if (c >= 0x20 && c !== 0x7f) {
        this.#out += ch;
        this.#line += ch;
      }
    }
  }

  print(text: string): void {
    this.#out += text;
  }

  /** What it wrote since the last call. */
  take(): string {
    const out = this.#out;
    this.#out = "";
    return out;
  }
}

/** A client and the user's terminal it draws on. */
interface SimClient {
  readonly session: ClientSession;
  readonly user: Emulator;
  readonly index: number;
}

/** Runs one scenario to its end. */
export function runWholeSession(s: WholeScenario): WholeResult {
  const net = new SimNetwork(s.seed, s);
  const platform = withRandom((b: Uint8Array) => net.rng.fill(b));
  let width = s.width, height = s.height;
  const clients: SimClient[] = [];
  const newClient = (now: number, key: Base64Key, serverSocket: number): SimClient => {
    const c: SimClient = {
      session: new ClientSession({
        key,
        now,
        ip: "10.0.0.1",
        port: SERVER_PORT + serverSocket,
        width,
        height,
        caps: { smcup: "\x1b[?1049h", rmcup: "\x1b[?1049l", ech: true, bce: true, titles: true },
        settings: {
          termInit: true,
          titlePrefix: "[mosh] ",
          predict: s.predict ?? "adaptive",
          features: s.features,
        },
        platform,
      }),
      // The user's terminal keeps a scrollback and has an alternate screen, as real ones do.
      // Its resizes are mosh's (rows cut or added at the bottom), not those of xterm.js or
      // tmux, which push rows into their scrollback on a shrink and tmux pulls them back on
      // growth: the properties judge the client's drawing, not that (docs/scrollback.md,
      // known limits).
      user: new Emulator(width, height, { historyLimit: USER_SCROLLBACK, altScreen: true }),
      index: clients.length,
    };
    clients.push(c);
    return c;
  };
  let client = newClient(0, KEY, 0);
  const server = new ServerSession({
    key: KEY,
    now: 0,
    width: 80,
    height: 24,
    platform,
    historyLimit: s.historyLimit,
    historyRowsPerFrame: s.historyRowsPerFrame,
  });
  const app = new ScriptedShell();
  let appRunning = false;
  const result: WholeResult = {
    typed: "",
    typedBeforeAttach: "",
    received: "",
    orderViolation: false,
    userScreen: client.user.snapshot(),
    serverScreen: server.screen(),
    observations: [],
    screens: [],
    userHistoryRows: [],
    serverHistoryRows: [],
    userHistory: [],
    serverHistory: [],
    exits: {},
    steps: 0,
  };
  const typing = [...s.typing].sort((a, b) => a.at - b.at);
  const resizes = [...s.resizes].sort((a, b) => a.at - b.at);
  const output = [...s.output].sort((a, b) => a.at - b.at);
  const observe = [...(s.observe ?? [])].sort((a, b) => a - b);
  let shutdownDone = false, attachDone = false;

  const clientActions = (now: number) => {
    const replies: [SimClient, Uint8Array][] = [];
    for (const c of clients) {
      for (const a of c.session.takeActions() as ClientAction[]) {
        if (a.type === "send") net.transmit(now, true, a.data, a.socket, a.to, c.index);
        else if (a.type === "write") {
          c.user.write(enc.encode(a.text));
          // The terminal answers the client's questions (where is the cursor?) as input.
          const answer = c.user.takeReplies();
          if (answer.length) replies.push([c, answer]);
          if (s.recordScreens && c === client) {
            result.screens.push({ at: now, rows: c.user.snapshot().rows.map((r) => r.toText()) });
          }
        } else if (a.type === "exit") {
          const exit = { at: now, clean: a.clean, message: a.message };
          if (c === client) result.exits.client = exit;
          else result.exits.oldClient = exit;
        }
      }
    }
    for (const [c, answer] of replies) {
      if (!c.session.exited) c.session.keys(now, answer);
    }
    if (replies.length) clientActions(now);
  };
  const serverActions = (now: number) => {
    for (let list = server.takeActions(); list.length; list = server.takeActions()) {
      for (const a of list as ServerAction[]) {
        switch (a.type) {
          case "send":
            net.transmit(now, false, a.data, a.socket, a.to);
            break;
          case "start":
            result.started = { at: now, width: a.width, height: a.height };
            appRunning = true;
            app.start();
            break;
          case "input":
            if (appRunning) app.input(a.bytes);
            result.received = app.received;
            if (!attachDone && !result.typed.startsWith(app.received)) result.orderViolation = true;
            break;
          case "exit":
            result.exits.server = { at: now, clean: a.code === 0 };
            break;
        }
      }
      // The application answers at once; its output is an event of the same instant.
      const out = app.take();
      if (out && !server.exited) server.output(now, enc.encode(out));
    }
  };
  const deliver = (now: number, p: InFlight) => {
    if (p.toServer) {
      if (!server.exited) server.receive(now, p.data, p.from, p.serverSocket);
      return;
    }
    const c = clients[p.client];
    if (c && !c.session.exited && net.reachesClient(p, c.session.liveSockets)) {
      c.session.receive(now, p.data, serverAddress(p.serverSocket));
    }
  };

  let now = 0;
  clientActions(now);
  serverActions(now);
  for (; result.steps < MAX_STEPS && now <= s.end; result.steps++) {
    net.advance(now);
    if (s.attach && !attachDone && s.attach.at <= now) {
      attachDone = true;
      result.typedBeforeAttach = result.typed;
      const key = Base64Key.fromBytes(new Uint8Array(16).fill(11));
      if (server.attach(now, key, 1, "the new client")) client = newClient(now, key, 1);
      clientActions(now);
      serverActions(now);
    }
    while (typing.length && typing[0].at <= now) {
      const k = typing.shift()!;
      const c = client.session;
      if (c.exited || c.transport.sender.shutdownInProgress) continue;
      result.typed += k.keys;
      c.keys(now, enc.encode(k.keys));
    }
    while (resizes.length && resizes[0].at <= now) {
      const r = resizes.shift()!;
      width = r.width;
      height = r.height;
      client.user.resize(r.width, r.height); // the user's terminal changes first, as a real one does
      if (!client.session.exited) client.session.resize(now, r.width, r.height);
    }
    while (output.length && output[0].at <= now) {
      const o = output.shift()!;
      if (appRunning) app.print(o.text);
    }
    if (s.shutdown && !shutdownDone && s.shutdown.at <= now) {
      shutdownDone = true;
      if (s.shutdown.by === "client") {
        client.session.quit(now, "Signal received, shutting down...");
      } else server.signal(now, "SIGTERM");
    }
    // Everything due at this instant, datagrams sent and received in it included, happens in
    // it (a bounded number of rounds).
    for (let round = 0; round < 20; round++) {
      for (const p of net.due(now)) {
        deliver(now, p);
        clientActions(now);
        serverActions(now);
      }
      for (const c of clients) if (!c.session.exited) c.session.tick(now);
      if (!server.exited) server.tick(now);
      clientActions(now);
      serverActions(now);
      if (net.nextEvent() > now) break;
    }
    while (observe.length && observe[0] <= now) {
      observe.shift();
      result.observations.push({
        at: now,
        rows: client.user.snapshot().rows.map((r) => r.toText()),
      });
    }
    if (clients.every((c) => c.session.exited) && server.exited) break;

    let next = Math.min(
      ...clients.map((c) => c.session.exited ? Infinity : c.session.wakeAt(now)),
      server.exited ? Infinity : server.wakeAt(now),
      net.nextEvent(),
      typing.length ? typing[0].at : Infinity,
      resizes.length ? resizes[0].at : Infinity,
      output.length ? output[0].at : Infinity,
      observe.length ? observe[0] : Infinity,
      s.shutdown && !shutdownDone ? s.shutdown.at : Infinity,
      s.attach && !attachDone ? s.attach.at : Infinity,
      s.end + 1,
    );
    if (next <= now) next = now + 1; // a due timer that tick() declined: move on a millisecond
    now = next;
  }
  result.userScreen = client.user.snapshot();
  result.serverScreen = server.screen();
  const user = client.user;
  result.userHistoryRows = user.historyRows(user.historyStart, user.historyEnd);
  result.serverHistoryRows = server.historyRows();
  result.userHistory = logicalLines(result.userHistoryRows);
  result.serverHistory = logicalLines(result.serverHistoryRows);
  return result;
}

/** Rows as text lines, a soft-wrapped row joined with the next. */
function logicalLines(rows: readonly Row[]): string[] {
  const out: string[] = [];
  let line = "";
  for (const r of rows) {
    const text = r.toText();
    line += r.wrap ? text : text.trimEnd();
    if (!r.wrap) {
      out.push(line);
      line = "";
    }
  }
  if (line) out.push(line.trimEnd());
  return out;
}

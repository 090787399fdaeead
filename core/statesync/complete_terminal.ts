/**
 * `CompleteTerminal`, the host-to-client state: the screen (a `Framebuffer`) and the echo ack
 * (the newest client state whose input the application has had time to echo). mosh's
 * `Terminal::Complete` (docs/protocol.md §6.3). For a client that announced our extensions it
 * also carries the server's answer (the features in use) and a notice (docs/protocol.md §16);
 * for a stock client those stay empty, so its diffs are mosh's.
 *
 * The diff from a state the client is assumed to have is a HostMessage: an EchoAck instruction
 * if the ack changed, then, if the screens differ, a Resize if the size changed and HostBytes
 * with `newFrame(old screen, new screen)`. Applying a diff feeds the host bytes to an emulator
 * that holds the base state's screen, and takes its snapshot.
 *
 * The client's states share one emulator through a {@link TerminalContext}: applying to the
 * state the emulator last produced continues from there; applying to any other state first
 * loads that state's screen into the emulator (which the transport needs when it falls back to
 * an older base).
 *
 * @module
 */

import type { SyncState } from "./state.ts";
import { decodeHostMessage, encodeHostMessage, type HostInstruction } from "./host_message.ts";
import { Emulator } from "../terminal/emulator.ts";
import { Framebuffer } from "../terminal/framebuffer.ts";
import { newFrame } from "../terminal/display.ts";
import {
  EXTENSIONS_VERSION,
  Feature,
  type HistoryChunk,
  type Notice,
  sameNotice,
} from "./extensions.ts";
import {
  checkHistoryRows,
  decodeHistoryRows,
  encodeHistoryRows,
  HistoryEncoder,
} from "../terminal/history_codec.ts";
import type { Row } from "../terminal/row.ts";

/** Sizes beyond this many columns or rows are taken as a malformed diff. */
const MAX_DIMENSION = 4096;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** The emulator a client's states apply diffs with, created when first needed. */
export class TerminalContext {
  #emulator: Emulator | null = null;
  /** The screen the emulator holds, when that is a known state's screen. */
  #holds: Framebuffer | null = null;

  /**
   * The emulator, holding `fb`: as it is if it last produced `fb`; else moved there from the
   * state it holds by drawing the difference (the server often bases a diff on an older state
   * than the newest, which mosh's prospective resend prefers when it is no longer); else
   * loaded with it.
   */
  emulatorAt(fb: Framebuffer): Emulator {
    // Able to mirror the alternate screen, for a server that uses it with us (a stock one
    // never draws it: its frames are mosh's).
    if (!this.#emulator) this.#emulator = new Emulator(fb.width, fb.height, { altScreen: true });
    const held = this.#holds;
    this.#holds = null; // the caller is about to change it
    if (held !== fb && !(held && this.#emulator.moveTo(held, fb))) this.#emulator.load(fb);
    return this.#emulator;
  }

  /** The emulator's screen after a change, remembered as what it holds. */
  snapshot(): Framebuffer {
    if (!this.#emulator) throw new Error("TerminalContext.snapshot before emulatorAt");
    this.#holds = this.#emulator.snapshot();
    return this.#holds;
  }
}

/** What a state holds besides its screen. */
interface Extras {
  readonly echoAck: bigint;
  /** The features the server uses with this client (docs/protocol.md §16); 0 for a stock one. */
  readonly features: number;
  readonly notice: Notice | null;
  /** How many lines of history there are at this state (with {@link Feature.history}). */
  readonly historyEnd: number;
}

const NO_EXTRAS: Extras = { echoAck: 0n, features: 0, notice: null, historyEnd: 0 };

/** Where the server's states take the history rows their diffs carry: its emulator. */
export interface HistorySource {
  /** Lines kept at most. */
  readonly historyLimit: number;
  /** The oldest line kept, and the number after the newest. */
  readonly historyStart: number;
  readonly historyEnd: number;
  historyRows(from: number, to: number): Row[];
  /** Rows a frame carries at most (default {@link HISTORY_ROWS_PER_FRAME}). */
  readonly historyRowsPerFrame?: number;
}

/**
 * History rows a frame carries at most. A frame carries the newest rows since the client's
 * state, so that the lines just above the screen always join it and the scrollback never has a
 * silent gap; what does not fit (a flood) is left out and marked. The output of an ordinary
 * command (`seq 1 3000`, a long `ls`, a `cat` of a few thousand lines) fits whole.
 */
export const HISTORY_ROWS_PER_FRAME = 5000;
/** Bytes of encoded history rows a frame carries at most (before zlib, which takes 5-10x). */
export const HISTORY_BYTES_PER_FRAME = 256 * 1024;
/**
 * Bytes of history the first frame of a connection may carry (from state 0: a new client, or
 * one that attached): everything kept, within this bound.
 */
export const HISTORY_BYTES_FIRST_FRAME = 1024 * 1024;

/** History rows fetched from the source at a time while a frame's history is encoded. */
const HISTORY_FETCH_ROWS = 256;

/**
 * The history rows a client received with a state: rows `start` onwards. They are checked when
 * the state arrives and decoded the first time they are asked for: until the client's
 * acknowledgement reaches the server, every frame brings the same rows again, and the client
 * draws only the newest state's.
 */
export class DeliveredHistory {
  readonly start: number;
  #bytes: Uint8Array | null;
  #rows: readonly Row[] | null = null;

  /** @param bytes a message that `checkHistoryRows` has taken */
  constructor(start: number, bytes: Uint8Array) {
    this.start = start;
    this.#bytes = bytes;
  }

  get rows(): readonly Row[] {
    if (this.#rows === null) {
      this.#rows = decodeHistoryRows(this.#bytes!)!;
      this.#bytes = null;
    }
    return this.#rows;
  }
}

/** The screen and echo ack, synchronized from host to client. Immutable. */
export class CompleteTerminal implements SyncState<CompleteTerminal> {
  readonly fb: Framebuffer;
  readonly #extras: Extras;
  readonly #context: TerminalContext;
  /** The server's history (its emulator), or null on a client. */
  readonly #source: HistorySource | null;
  /** State 0: the peer holds nothing yet, so a diff from it may carry all the kept history. */
  readonly #fresh: boolean;
  /**
   * This state shows state 0's screen (state 0, or it with only an echo ack, features, notice
   * or history length changed): a blank screen at this side's starting size, which the other
   * side's state 0 need not share (see {@link diffFrom}).
   */
  readonly #startScreen: boolean;
  /**
   * On a client, the history rows that came with this state's diff (not part of the state:
   * equal states may have come with different rows).
   */
  readonly delivered: DeliveredHistory | null;
  /** The last history chunk made for a diff of this state (see #historySince). */
  #historyMemo: { from: number; maxBytes: number; chunk: HistoryChunk } | null = null;

  private constructor(
    fb: Framebuffer,
    extras: Extras,
    context: TerminalContext,
    source: HistorySource | null,
    marks: { fresh?: boolean; startScreen?: boolean; delivered?: DeliveredHistory | null } = {},
  ) {
    this.fb = fb;
    this.#extras = extras;
    this.#context = context;
    this.#source = source;
    this.#fresh = marks.fresh ?? false;
    this.#startScreen = marks.startScreen ?? this.#fresh;
    this.delivered = marks.delivered ?? null;
  }

  /**
   * A blank screen of the given size with echo ack 0 and no history: state 0 on both sides.
   * @param context where the client applies diffs; the server never needs one
   * @param source the server's history, which its diffs carry to a client that wants it
   */
  static initial(
    width: number,
    height: number,
    context: TerminalContext = new TerminalContext(),
    source: HistorySource | null = null,
  ): CompleteTerminal {
    const blank = Framebuffer.blank(width, height);
    return new CompleteTerminal(blank, NO_EXTRAS, context, source, { fresh: true });
  }

  /** The newest client state whose input the application has had time to echo. */
  get echoAck(): bigint {
    return this.#extras.echoAck;
  }

  /**
   * The features of our extensions in use with this client: the server's answer to the
   * client's announcement. 0 with a stock client (nothing of ours is sent to it).
   */
  get features(): number {
    return this.#extras.features;
  }

  /** What the server has to say to this client, if anything (needs {@link Feature.notice}). */
  get notice(): Notice | null {
    return this.#extras.notice;
  }

  /** How many lines of history there are at this state. */
  get historyEnd(): number {
    return this.#extras.historyEnd;
  }

  #with(extras: Partial<Extras>): CompleteTerminal {
    const all = { ...this.#extras, ...extras };
    const startScreen = this.#startScreen; // the same screen
    return new CompleteTerminal(this.fb, all, this.#context, this.#source, { startScreen });
  }

  /** This state with another screen (the server's newest snapshot). */
  withFramebuffer(fb: Framebuffer): CompleteTerminal {
    return fb === this.fb
      ? this
      : new CompleteTerminal(fb, this.#extras, this.#context, this.#source);
  }

  /** This state with `end` lines of history (the server's, taken with the snapshot). */
  withHistoryEnd(end: number): CompleteTerminal {
    return end === this.historyEnd ? this : this.#with({ historyEnd: end });
  }

  /** This state with another echo ack. */
  withEchoAck(echoAck: bigint): CompleteTerminal {
    return echoAck === this.echoAck ? this : this.#with({ echoAck });
  }

  /** This state using `features` with the client. */
  withFeatures(features: number): CompleteTerminal {
    return features === this.features ? this : this.#with({ features });
  }

  /** This state with a notice for the client (only sent if it announced notices). */
  withNotice(notice: Notice | null): CompleteTerminal {
    return sameNotice(notice, this.notice) ? this : this.#with({ notice });
  }

  /** The HostMessage that turns `existing` into this state; empty when they are equal. */
  diffFrom(existing: CompleteTerminal): Uint8Array {
    const list: HostInstruction[] = [];
    if (existing.features !== this.features) {
      list.push({ serverCapabilities: { version: EXTENSIONS_VERSION, features: this.features } });
    }
    if (existing.echoAck !== this.echoAck) list.push({ echoAck: this.echoAck });
    const a = existing.fb, b = this.fb;
    // State 0 is blank at each side's own starting size: the server's terminal's, the client's
    // window's. They need not agree (a window that is not 80x24, a client that attaches), and
    // the sender diffs from state 0 again until the client acknowledges a state, by when the
    // server's screen may be back at its starting size. So a diff from state 0's screen always
    // says the size; mosh's says it only when the server's two sizes differ, which leaves such
    // a client applying this diff, and every later one, to a screen of the wrong size.
    const sizeUnsaid = existing.#startScreen && !this.#startScreen;
    if (sizeUnsaid || !a.equals(b)) {
      if (sizeUnsaid || a.width !== b.width || a.height !== b.height) {
        list.push({ resize: { width: b.width, height: b.height } });
      }
      const bytes = newFrame(a, b);
      if (bytes !== "") list.push({ hostBytes: encoder.encode(bytes) });
    }
    if (
      this.notice && this.features & Feature.notice && !sameNotice(existing.notice, this.notice)
    ) {
      list.push({ notice: this.notice });
    }
    if (this.features & Feature.history && this.historyEnd > existing.historyEnd) {
      list.push({ history: this.#historySince(existing) });
    }
    return list.length === 0 ? EMPTY : encodeHostMessage(list);
  }

  /**
   * The history rows from `existing`'s end to ours, bounded: the newest that fit in a frame
   * (all that are kept, from state 0), so that the newest lines always join the screen and a
   * flood costs a bounded amount; the client marks what was left out.
   */
  #historySince(existing: CompleteTerminal): HistoryChunk {
    const end = this.historyEnd, source = this.#source;
    if (!source) return { start: end, end, rows: encodeHistoryRows([]) };
    const first = existing.#fresh;
    const maxRows = first
      ? source.historyLimit
      : source.historyRowsPerFrame ?? HISTORY_ROWS_PER_FRAME;
    const maxBytes = first ? HISTORY_BYTES_FIRST_FRAME : HISTORY_BYTES_PER_FRAME;
    let start = Math.min(end, Math.max(existing.historyEnd, source.historyStart, end - maxRows));
    // The sender diffs from two states per frame (mosh's prospective resend); after a flood
    // both chunks are the newest rows, the same: made once.
    const memo = this.#historyMemo;
    if (memo && memo.from === start && memo.maxBytes === maxBytes) return memo.chunk;
    const from = start;
    // A history end held back during a flood may have left the kept lines: all skipped.
    // Fetched a batch at a time (see HistoryEncoder); then the oldest quarter goes until the
    // rest fits the frame and the message's bounds.
    const rows = new HistoryEncoder();
    for (let at = start; at < end; at += HISTORY_FETCH_ROWS) {
      for (const row of source.historyRows(at, Math.min(end, at + HISTORY_FETCH_ROWS))) {
        rows.add(row);
      }
    }
    let dropped = 0;
    while (dropped < rows.count && (rows.size(dropped) > maxBytes || !rows.fits(dropped))) {
      dropped += Math.ceil((rows.count - dropped) / 4);
    }
    start += dropped;
    const bytes = rows.message(dropped);
    const chunk = { start, end, rows: bytes };
    this.#historyMemo = { from, maxBytes, chunk };
    return chunk;
  }

  /**
   * This state with a HostMessage applied.
   * @returns the new state, or null when the diff does not parse, an echo ack goes backwards,
   *   or a resize is out of range. Answers the host bytes provoke are dropped (mosh asserts
   *   there are none; a server must never ask the client's terminal anything).
   */
  apply(diff: Uint8Array): CompleteTerminal | null {
    const list = decodeHostMessage(diff);
    if (!list) return null;
    let extras = this.#extras;
    let drawn = false;
    let delivered: DeliveredHistory | null = null;
    for (const item of list) {
      if ("echoAck" in item) {
        if (item.echoAck < extras.echoAck) return null;
        extras = { ...extras, echoAck: item.echoAck };
      } else if ("resize" in item) {
        const { width, height } = item.resize;
        if (!(width >= 1 && height >= 1 && width <= MAX_DIMENSION && height <= MAX_DIMENSION)) {
          return null;
        }
        drawn = true;
      } else if ("serverCapabilities" in item) {
        extras = { ...extras, features: item.serverCapabilities.features };
      } else if ("notice" in item) {
        extras = { ...extras, notice: item.notice };
      } else if ("history" in item) {
        const { start, end } = item.history;
        if (end < extras.historyEnd) return null; // history never goes back
        if (checkHistoryRows(item.history.rows) !== end - start) return null;
        extras = { ...extras, historyEnd: end };
        delivered = new DeliveredHistory(start, item.history.rows);
      } else drawn = true;
    }
    if (!drawn) {
      const startScreen = this.#startScreen;
      return new CompleteTerminal(this.fb, extras, this.#context, null, { startScreen, delivered });
    }
    const emulator = this.#context.emulatorAt(this.fb);
    for (const item of list) {
      if ("hostBytes" in item) emulator.write(item.hostBytes);
      else if ("resize" in item) emulator.resize(item.resize.width, item.resize.height);
    }
    emulator.takeReplies();
    const fb = this.#context.snapshot();
    return new CompleteTerminal(fb, extras, this.#context, null, { delivered });
  }

  /**
   * The same screen, echo ack, features, notice and history length; and both or neither
   * showing state 0's screen, since a diff between those is never empty (see {@link diffFrom}).
   */
  equals(other: CompleteTerminal): boolean {
    const a = this.#extras, b = other.#extras;
    return this.#startScreen === other.#startScreen &&
      a.echoAck === b.echoAck && a.features === b.features &&
      a.historyEnd === b.historyEnd && sameNotice(a.notice, b.notice) && this.fb.equals(other.fb);
  }

  /** A screen is not a stream: nothing to drop. */
  subtract(_prefix: CompleteTerminal): CompleteTerminal {
    return this;
  }
}

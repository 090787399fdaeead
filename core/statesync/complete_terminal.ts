/**
 * `CompleteTerminal`, the host-to-client state: the screen (a `Framebuffer`) and the echo ack
 * (the newest client state whose input the application has had time to echo). mosh's
 * `Terminal::Complete` (docs/protocol.md §6.3).
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
    if (!this.#emulator) this.#emulator = new Emulator(fb.width, fb.height);
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

/** The screen and echo ack, synchronized from host to client. Immutable. */
export class CompleteTerminal implements SyncState<CompleteTerminal> {
  readonly fb: Framebuffer;
  readonly echoAck: bigint;
  readonly #context: TerminalContext;

  private constructor(fb: Framebuffer, echoAck: bigint, context: TerminalContext) {
    this.fb = fb;
    this.echoAck = echoAck;
    this.#context = context;
  }

  /**
   * A blank screen of the given size with echo ack 0: state 0 on both sides.
   * @param context where the client applies diffs; the server never needs one
   */
  static initial(
    width: number,
    height: number,
    context: TerminalContext = new TerminalContext(),
  ): CompleteTerminal {
    return new CompleteTerminal(Framebuffer.blank(width, height), 0n, context);
  }

  /** This state with another screen (the server's newest snapshot). */
  withFramebuffer(fb: Framebuffer): CompleteTerminal {
    return fb === this.fb ? this : new CompleteTerminal(fb, this.echoAck, this.#context);
  }

  /** This state with another echo ack. */
  withEchoAck(echoAck: bigint): CompleteTerminal {
    return echoAck === this.echoAck ? this : new CompleteTerminal(this.fb, echoAck, this.#context);
  }

  /** The HostMessage that turns `existing` into this state; empty when they are equal. */
  diffFrom(existing: CompleteTerminal): Uint8Array {
    const list: HostInstruction[] = [];
    if (existing.echoAck !== this.echoAck) list.push({ echoAck: this.echoAck });
    const a = existing.fb, b = this.fb;
    if (!a.equals(b)) {
      if (a.width !== b.width || a.height !== b.height) {
        list.push({ resize: { width: b.width, height: b.height } });
      }
      const bytes = newFrame(a, b);
      if (bytes !== "") list.push({ hostBytes: encoder.encode(bytes) });
    }
    return list.length === 0 ? EMPTY : encodeHostMessage(list);
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
    let echoAck = this.echoAck;
    for (const item of list) {
      if ("echoAck" in item) {
        if (item.echoAck < echoAck) return null;
        echoAck = item.echoAck;
      } else if ("resize" in item) {
        const { width, height } = item.resize;
        if (!(width >= 1 && height >= 1 && width <= MAX_DIMENSION && height <= MAX_DIMENSION)) {
          return null;
        }
      }
    }
    if (!list.some((i) => !("echoAck" in i))) return this.withEchoAck(echoAck);
    const emulator = this.#context.emulatorAt(this.fb);
    for (const item of list) {
      if ("hostBytes" in item) emulator.write(item.hostBytes);
      else if ("resize" in item) emulator.resize(item.resize.width, item.resize.height);
    }
    emulator.takeReplies();
    return new CompleteTerminal(this.#context.snapshot(), echoAck, this.#context);
  }

  /** The same screen and the same echo ack. */
  equals(other: CompleteTerminal): boolean {
    return this.echoAck === other.echoAck && this.fb.equals(other.fb);
  }

  /** A screen is not a stream: nothing to drop. */
  subtract(_prefix: CompleteTerminal): CompleteTerminal {
    return this;
  }
}

/**
 * The sending half of SSP, mosh 1.4.0's `TransportSender`, as a state machine: it keeps the
 * states it has sent, assumes what the receiver holds, and decides when a frame, a delayed ack
 * or a heartbeat is due. See docs/protocol.md §8, §10.
 *
 * Pacing in brief: new data waits for the frame interval (half the smoothed round trip, 20 to
 * 250 ms) since the last frame, and at least `sendMinDelay` since it appeared, so a burst of
 * output or keys becomes one frame; unacknowledged data is resent every frame interval while
 * the peer has been heard within 10 s; an ack for received data goes out within 100 ms; an
 * idle side sends an empty heartbeat every 3 s. Every heartbeat is a new state number.
 *
 * @module
 */

import type { SyncState } from "../statesync/state.ts";
import type { Connection, Outgoing } from "../network/connection.ts";
import type { Platform } from "../platform.ts";
import { encodeFragment, Fragmenter } from "../network/fragment.ts";
import { encodeInstruction, type Instruction, PROTOCOL_VERSION } from "../network/instruction.ts";
import { allocBytes } from "../bytes.ts";

/** mosh's ACK_INTERVAL: the idle heartbeat, ms. */
export const ACK_INTERVAL = 3000;
/** mosh's ACK_DELAY: how long an ack of new data may wait for data to ride on, ms. */
export const ACK_DELAY = 100;
/** mosh's ACTIVE_RETRY_TIMEOUT: resend eagerly only while the peer was heard this recently (ms). */
export const ACTIVE_RETRY_TIMEOUT = 10_000;
/** mosh's SHUTDOWN_RETRIES. */
export const SHUTDOWN_RETRIES = 16;
/** The state number that means "shutting down": 2^64 - 1. */
export const SHUTDOWN_NUM = (1n << 64n) - 1n;
/** The sent-state list is cut back when it grows past this. */
const SENT_STATES_CAP = 32;
/** mosh's chaff: 0 to 16 random bytes. */
const CHAFF_MAX = 16;

/** A numbered state and when it was sent (or received). */
export interface TimestampedState<S> {
  timestamp: number;
  num: bigint;
  state: S;
}

/** Options of a {@link TransportSender}. */
export interface SenderOptions<S> {
  connection: Connection;
  initialState: S;
  now: number;
  /** Minimum collection delay: 8 ms on the server (mosh's default), 1 ms on the client. */
  sendMinDelay?: number;
  /** zlib for the instructions, and random bytes for the chaff (tests pass a seeded one). */
  platform: Pick<Platform, "zlib" | "random">;
}

/** The sending side of one synchronized state. */
export class TransportSender<S extends SyncState<S>> {
  readonly #connection: Connection;
  readonly #fragmenter = new Fragmenter();
  readonly #platform: Pick<Platform, "zlib" | "random">;
  /**
   * The minimum collection delay, ms. Mutable: mosh-server shortens it for the echo of typed
   * characters (see server/server.ts).
   */
  sendMinDelay: number;
  #current: S;
  /** Front: the newest state the receiver acknowledged. Back: the last one sent. */
  #sent: TimestampedState<S>[];
  #assumed = 0;
  #nextAckTime: number;
  #nextSendTime: number;
  #mindelayClock = -1;
  /** The peer moved: resend what it has not acknowledged at the next tick ({@link peerMoved}). */
  #resendNow = false;
  #shutdownInProgress = false;
  #shutdownTries = 0;
  #shutdownStart = -1;
  #ackNum = 0n;
  #pendingDataAck = false;
  #lastHeard = -Infinity;
  #lastAckSent: bigint | undefined;

  constructor(options: SenderOptions<S>) {
    this.#connection = options.connection;
    this.#current = options.initialState;
    this.#sent = [{ timestamp: options.now, num: 0n, state: options.initialState }];
    this.#nextAckTime = options.now;
    this.#nextSendTime = options.now;
    this.sendMinDelay = options.sendMinDelay ?? 8;
    this.#platform = options.platform;
  }

  /** The state we want the receiver to have. */
  get currentState(): S {
    return this.#current;
  }

  /** Replaces the state to synchronize (it is sent when the pacing allows). */
  setCurrentState(state: S): void {
    this.#current = state;
  }

  /** About two frames per round trip. */
  get sendInterval(): number {
    return this.#connection.rtt.sendInterval;
  }

  /** The newest state of ours the receiver acknowledged, and when we sent it. */
  get acked(): Readonly<TimestampedState<S>> {
    return this.#sent[0];
  }

  /** Whether the current state is one we have not sent yet. */
  get hasUnsentState(): boolean {
    return !this.#current.equals(this.lastSent.state);
  }

  /** The last state we sent. */
  get lastSent(): Readonly<TimestampedState<S>> {
    return this.#sent[this.#sent.length - 1];
  }

  /** What we acknowledge to the peer: its newest state received in order. */
  get ackNum(): bigint {
    return this.#ackNum;
  }

  /** Whether a shutdown was started here. */
  get shutdownInProgress(): boolean {
    return this.#shutdownInProgress;
  }

  /** The receiver acknowledged our shutdown state. */
  get shutdownAcknowledged(): boolean {
    return this.#sent[0].num === SHUTDOWN_NUM;
  }

  /** We have sent an ack of the peer's shutdown state. */
  get counterpartyShutdownAckSent(): boolean {
    return this.#lastAckSent === SHUTDOWN_NUM;
  }

  /** Our shutdown went unacknowledged for 16 tries or 10 s. */
  shutdownAckTimedOut(now: number): boolean {
    if (!this.#shutdownInProgress) return false;
    return this.#shutdownTries >= SHUTDOWN_RETRIES ||
      now - this.#shutdownStart >= ACTIVE_RETRY_TIMEOUT;
  }

  /**
   * When {@link shutdownAckTimedOut} turns true by the clock alone (Infinity when no shutdown
   * was started here): the shells wake up then to leave.
   */
  get shutdownDeadline(): number {
    return this.#shutdownInProgress ? this.#shutdownStart + ACTIVE_RETRY_TIMEOUT : Infinity;
  }

  /** Starts the shutdown handshake (idempotent). */
  startShutdown(now: number): void {
    if (this.#shutdownInProgress) return;
    this.#shutdownStart = now;
    this.#shutdownInProgress = true;
  }

  /** A new peer state arrived in order: acknowledge it. */
  setAckNum(num: bigint): void {
    this.#ackNum = num;
  }

  /** The new peer state carried data: ack within {@link ACK_DELAY}. */
  setDataAck(): void {
    this.#pendingDataAck = true;
  }

  /** A new peer state arrived at `now`. */
  remoteHeard(now: number): void {
    this.#lastHeard = now;
  }

  /** The peer acknowledged `ack`: forget older states, if we still know that one. */
  processAcknowledgmentThrough(ack: bigint): void {
    if (!this.#sent.some((s) => s.num === ack)) return;
    const assumed = this.#sent[this.#assumed];
    this.#sent = this.#sent.filter((s) => s.num >= ack);
    this.#assumed = Math.max(0, this.#sent.indexOf(assumed));
  }

  /** Milliseconds until {@link tick} has something to do (Infinity without a peer address). */
  waitTime(now: number): number {
    this.#calculateTimers(now);
    if (!this.#connection.hasRemoteAddr) return Infinity;
    return Math.max(0, Math.min(this.#nextAckTime, this.#nextSendTime) - now);
  }

  /**
   * The peer now sends from another address (it roamed, or a NAT rebound it): what it has not
   * acknowledged went to the old one, so the next tick sends it again, from the last state it
   * acknowledged, at once rather than at the retransmission timer (a quarter second later on
   * loopback; mosh waits for the timer).
   */
  peerMoved(): void {
    this.#resendNow = true;
  }

  /** Sends a frame, an ack or a heartbeat if one is due. */
  tick(now: number): Outgoing[] {
    this.#calculateTimers(now);
    if (!this.#connection.hasRemoteAddr) return [];
    if (now < this.#nextAckTime && now < this.#nextSendTime) return [];
    if (this.#resendNow) {
      this.#resendNow = false;
      this.#assumed = 0;
    }
    let diff = this.#current.diffFrom(this.#sent[this.#assumed].state);
    diff = this.#attemptProspectiveResend(diff);
    if (diff.length === 0) {
      const out: Outgoing[] = [];
      if (now >= this.#nextAckTime) {
        out.push(...this.#sendEmptyAck(now));
        this.#mindelayClock = -1;
      }
      if (now >= this.#nextSendTime) {
        this.#nextSendTime = Infinity;
        this.#mindelayClock = -1;
      }
      return out;
    }
    const out = this.#sendToReceiver(now, diff);
    this.#mindelayClock = -1;
    return out;
  }

  #calculateTimers(now: number): void {
    this.#updateAssumedReceiverState(now);
    this.#rationalizeStates();
    if (this.#pendingDataAck && this.#nextAckTime > now + ACK_DELAY) {
      this.#nextAckTime = now + ACK_DELAY;
    }
    const back = this.lastSent;
    const interval = this.sendInterval;
    const active = this.#lastHeard + ACTIVE_RETRY_TIMEOUT > now;
    if (!this.#current.equals(back.state)) {
      if (this.#mindelayClock === -1) this.#mindelayClock = now;
      this.#nextSendTime = Math.max(
        this.#mindelayClock + this.sendMinDelay,
        back.timestamp + interval,
      );
    } else if (!this.#current.equals(this.#sent[this.#assumed].state) && active) {
      this.#nextSendTime = back.timestamp + interval;
      if (this.#mindelayClock !== -1) {
        this.#nextSendTime = Math.max(this.#nextSendTime, this.#mindelayClock + this.sendMinDelay);
      }
    } else if (!this.#current.equals(this.#sent[0].state) && active) {
      this.#nextSendTime = back.timestamp + this.#connection.timeout + ACK_DELAY;
    } else {
      this.#nextSendTime = Infinity;
    }
    if (this.#shutdownInProgress || this.#ackNum === SHUTDOWN_NUM) {
      this.#nextAckTime = back.timestamp + interval;
    }
    if (this.#resendNow) {
      if (this.#current.equals(this.#sent[0].state)) this.#resendNow = false; // all acknowledged
      else this.#nextSendTime = now;
    }
  }

  /** Assume the receiver got every state sent less than RTO + 100 ms ago, in order. */
  #updateAssumedReceiverState(now: number): void {
    const limit = this.#connection.timeout + ACK_DELAY;
    this.#assumed = 0;
    for (let i = 1; i < this.#sent.length; i++) {
      if (now - this.#sent[i].timestamp < limit) this.#assumed = i;
      else return;
    }
  }

  /** Drop from every state what the receiver is known to hold. */
  #rationalizeStates(): void {
    const known = this.#sent[0].state;
    this.#current = this.#current.subtract(known);
    for (let i = this.#sent.length - 1; i >= 0; i--) {
      this.#sent[i].state = this.#sent[i].state.subtract(known);
    }
  }

  /** mosh's prophylactic resend: base the diff on the acked state when that costs little. */
  #attemptProspectiveResend(diff: Uint8Array): Uint8Array {
    if (this.#assumed === 0) return diff;
    const resend = this.#current.diffFrom(this.#sent[0].state);
    if (
      resend.length <= diff.length ||
      (resend.length < 1000 && resend.length - diff.length < 100)
    ) {
      this.#assumed = 0;
      return resend;
    }
    return diff;
  }

  #sendEmptyAck(now: number): Outgoing[] {
    const num = this.#shutdownInProgress ? SHUTDOWN_NUM : this.lastSent.num + 1n;
    this.#addSentState(now, num, this.#current);
    const out = this.#sendInFragments(now, new Uint8Array(0), num);
    this.#nextAckTime = now + ACK_INTERVAL;
    this.#nextSendTime = Infinity;
    return out;
  }

  #sendToReceiver(now: number, diff: Uint8Array): Outgoing[] {
    const back = this.#sent[this.#sent.length - 1];
    let num = this.#current.equals(back.state) ? back.num : back.num + 1n;
    if (this.#shutdownInProgress) num = SHUTDOWN_NUM;
    if (num === back.num) back.timestamp = now;
    else this.#addSentState(now, num, this.#current);
    const out = this.#sendInFragments(now, diff, num);
    this.#assumed = this.#sent.length - 1;
    this.#nextAckTime = now + ACK_INTERVAL;
    this.#nextSendTime = Infinity;
    return out;
  }

  #addSentState(now: number, num: bigint, state: S): void {
    this.#sent.push({ timestamp: now, num, state });
    if (this.#sent.length > SENT_STATES_CAP) {
      // Keep the acknowledged state and the newest ones; drop one from the middle.
      const victim = this.#sent.length - 16;
      this.#sent.splice(victim, 1);
      if (this.#assumed >= victim) this.#assumed = Math.max(0, this.#assumed - 1);
    }
  }

  #sendInFragments(now: number, diff: Uint8Array, newNum: bigint): Outgoing[] {
    const inst: Instruction = {
      protocolVersion: PROTOCOL_VERSION,
      oldNum: this.#sent[this.#assumed].num,
      newNum,
      ackNum: this.#ackNum,
      throwawayNum: this.#sent[0].num,
      diff,
      chaff: this.#makeChaff(),
    };
    if (newNum === SHUTDOWN_NUM) this.#shutdownTries++;
    const fragments = this.#fragmenter.makeFragments(
      inst,
      encodeInstruction(inst, this.#platform.zlib),
      this.#connection.mtu,
    );
    this.#lastAckSent = inst.ackNum;
    const out: Outgoing[] = [];
    for (const f of fragments) {
      const o = this.#connection.send(now, encodeFragment(f));
      if (o) out.push(o);
    }
    this.#pendingDataAck = false;
    return out;
  }

  #makeChaff(): Uint8Array {
    const len = this.#platform.random(allocBytes(1))[0] % (CHAFF_MAX + 1);
    return this.#platform.random(allocBytes(len));
  }
}

/**
 * One end of an SSP session, sans-IO: mosh 1.4.0's `Transport`. It sends our state
 * (`My`) and receives the peer's (`Remote`), and touches no socket and no clock:
 *
 * ```ts
 * t.receive(now, datagram, from);   // authenticate, reassemble, apply or drop
 * t.setCurrentState(state);         // a new local state to synchronize
 * const out = t.tick(now);          // datagrams due now, each with its destination
 * const wait = t.waitTime(now);     // ms until tick() has work (Infinity: none)
 * ```
 *
 * The receiver keeps the numbered states the peer may still base diffs on. A diff whose base it
 * lacks is ignored (the peer falls back to an older base after its timeout); a state that
 * arrives out of order is stored but not acknowledged. See mosh-protocol.md §4.5.
 *
 * @module
 */

import type { SyncState } from "../statesync/state.ts";
import type { Base64Key } from "../crypto/key.ts";
import type { Platform } from "../platform.ts";
import { type Address, Connection, type Outgoing } from "../network/connection.ts";
import { decodeFragment, FragmentAssembly } from "../network/fragment.ts";
import { decodeInstruction } from "../network/instruction.ts";
import { DropCounter, type DropReason } from "../network/drop.ts";
import { type TimestampedState, TransportSender } from "./sender.ts";

/** The receiver stops taking new states past this many (mosh's limit)... */
const RECEIVED_STATES_CAP = 1024;
/** ...for this long at a time. */
const RECEIVER_QUENCH_MS = 15_000;

/** Options of a {@link Transport}. */
export interface TransportOptions<My, Remote> {
  key: Base64Key;
  /** The block cipher, zlib and randomness (see core/platform.ts); tests may seed `random`. */
  platform: Platform;
  /** True for mosh-server, false for mosh-client. */
  server: boolean;
  /** The client's server address. */
  remote?: Address;
  family?: "inet" | "inet6";
  initialState: My;
  initialRemote: Remote;
  now: number;
  /** 8 ms by default (mosh-server); mosh-client uses 1. */
  sendMinDelay?: number;
}

/** One end of a session. */
export class Transport<My extends SyncState<My>, Remote extends SyncState<Remote>> {
  readonly connection: Connection;
  readonly sender: TransportSender<My>;
  /** Datagrams and instructions dropped, by reason. */
  readonly drops: DropCounter = new DropCounter();
  readonly #assembly = new FragmentAssembly();
  readonly #platform: Platform;
  #received: TimestampedState<Remote>[];
  #lastReceiverState: Remote;
  #quenchUntil = 0;

  constructor(options: TransportOptions<My, Remote>) {
    this.#platform = options.platform;
    this.connection = new Connection(options);
    this.sender = new TransportSender({
      connection: this.connection,
      initialState: options.initialState,
      now: options.now,
      sendMinDelay: options.sendMinDelay,
      platform: options.platform,
    });
    this.#received = [{ timestamp: options.now, num: 0n, state: options.initialRemote }];
    this.#lastReceiverState = options.initialRemote;
  }

  /**
   * Takes in one datagram.
   * @param from the source address (the server roams to it if it is authentic and newest)
   * @param congestion the datagram was marked ECN "congestion experienced"
   * @returns true when it completed an instruction that brought a new peer state
   */
  receive(now: number, wire: Uint8Array, from: Address, congestion = false): boolean {
    const payload = this.connection.receive(now, wire, from, congestion);
    if (typeof payload === "string") return this.#drop(payload);
    const fragment = decodeFragment(payload);
    if (typeof fragment === "string") return this.#drop(fragment);
    const whole = this.#assembly.add(fragment);
    if (whole === null) return false;
    if (typeof whole === "string") return this.#drop(whole);
    const inst = decodeInstruction(whole, this.#platform.zlib);
    if (typeof inst === "string") return this.#drop(inst);

    this.sender.processAcknowledgmentThrough(inst.ackNum);
    this.connection.setLastRoundtripSuccess(this.sender.acked.timestamp);

    if (this.#received.some((s) => s.num === inst.newNum)) return false;
    const reference = this.#received.find((s) => s.num === inst.oldNum);
    if (!reference) return false;

    // Forget states the sender will not base diffs on any more, but never all of them.
    const keep = this.#received.filter((s) => s.num >= inst.throwawayNum);
    this.#received = keep.length ? keep : [this.#received[this.#received.length - 1]];

    if (this.#received.length > RECEIVED_STATES_CAP) {
      if (now < this.#quenchUntil) return false;
      this.#quenchUntil = now + RECEIVER_QUENCH_MS;
    }

    let state = reference.state;
    if (inst.diff.length) {
      const applied = state.apply(inst.diff);
      if (applied === null) return this.#drop("diff");
      state = applied;
    }
    const entry: TimestampedState<Remote> = { timestamp: now, num: inst.newNum, state };
    const later = this.#received.findIndex((s) => s.num > inst.newNum);
    if (later !== -1) {
      this.#received.splice(later, 0, entry); // out of order: stored, not acknowledged
      return false;
    }
    this.#received.push(entry);
    this.sender.setAckNum(inst.newNum);
    this.sender.remoteHeard(now);
    if (inst.diff.length) this.sender.setDataAck();
    return true;
  }

  /** Our state as it will be sent. */
  get currentState(): My {
    return this.sender.currentState;
  }

  /** Replaces our state; it goes out when the pacing allows. */
  setCurrentState(state: My): void {
    this.sender.setCurrentState(state);
  }

  /** The peer's newest state received in order, with its number and arrival time. */
  get latestRemote(): Readonly<TimestampedState<Remote>> {
    return this.#received[this.#received.length - 1];
  }

  /**
   * The diff from the last peer state this was called for to the newest one (mosh's
   * `get_remote_diff`, used by the server to read new keystrokes), and drops what all kept
   * states share.
   */
  takeRemoteDiff(): Uint8Array {
    const latest = this.latestRemote.state;
    let diff: Uint8Array;
    try {
      diff = latest.diffFrom(this.#lastReceiverState);
    } catch {
      // Only a key holder can make the newest state disagree with the last one read (a state
      // based on an older one that does not extend the newest); mosh-server aborts. Skip it.
      this.drops.add("diff");
      this.#lastReceiverState = latest;
      return new Uint8Array(0);
    }
    const oldest = this.#received[0].state;
    for (const s of this.#received) s.state = s.state.subtract(oldest);
    this.#lastReceiverState = this.latestRemote.state;
    return diff;
  }

  /** Datagrams due now. */
  tick(now: number): Outgoing[] {
    return this.sender.tick(now);
  }

  /** Milliseconds until {@link tick} has work; Infinity when there is no peer address. */
  waitTime(now: number): number {
    return this.sender.waitTime(now);
  }

  /**
   * Wipes the session key's schedule when the session is over; sealing or opening a datagram
   * afterwards throws.
   */
  destroy(): void {
    this.connection.destroy();
  }

  /** Starts the shutdown handshake. */
  startShutdown(now: number): void {
    this.sender.startShutdown(now);
  }

  #drop(reason: DropReason): false {
    this.drops.add(reason);
    return false;
  }
}

/**
 * `UserStream`, the client-to-host state: the user's keystrokes and window resizes, in order.
 *
 * mosh keeps one event per byte so that any state is an event-prefix of every later one, which
 * is what diffs and acknowledgements rely on. We keep the same model in a compact form: all
 * keystroke bytes in one array, and each resize with the number of bytes typed before it. A
 * state's events are its bytes and resizes merged by position, resizes first at a tie only
 * when they came first (positions are exact, so order is never ambiguous).
 *
 * @module
 */

import type { SyncState } from "./state.ts";
import { decodeUserMessage, encodeUserMessage, type UserInstruction } from "./user_message.ts";
import { bytesEqual } from "../bytes.ts";

/** A window resize, placed after the first `at` keystroke bytes of the stream. */
export interface Resize {
  readonly at: number;
  readonly width: number;
  readonly height: number;
}

const EMPTY = new Uint8Array(0);

/** The user's input stream. */
export class UserStream implements SyncState<UserStream> {
  /** Every keystroke byte, in order. */
  readonly bytes: Uint8Array;
  /** Every resize, in order, each with the count of bytes typed before it. */
  readonly resizes: readonly Resize[];

  constructor(bytes: Uint8Array = EMPTY, resizes: readonly Resize[] = []) {
    this.bytes = bytes;
    this.resizes = resizes;
  }

  /** The number of events (bytes plus resizes). */
  get size(): number {
    return this.bytes.length + this.resizes.length;
  }

  /** This stream with `keys` typed at the end. */
  pushKeys(keys: Uint8Array): UserStream {
    if (keys.length === 0) return this;
    const bytes = new Uint8Array(this.bytes.length + keys.length);
    bytes.set(this.bytes);
    bytes.set(keys, this.bytes.length);
    return new UserStream(bytes, this.resizes);
  }

  /** This stream with a resize at the end. */
  pushResize(width: number, height: number): UserStream {
    return new UserStream(this.bytes, [
      ...this.resizes,
      { at: this.bytes.length, width, height },
    ]);
  }

  /** This stream with the instructions of a UserMessage appended. */
  pushAll(list: readonly UserInstruction[]): UserStream {
    return list.reduce<UserStream>(
      (s, u) => "keys" in u ? s.pushKeys(u.keys) : s.pushResize(u.resize.width, u.resize.height),
      this,
    );
  }

  /** Whether `other`'s events are a prefix of this stream's. */
  hasPrefix(other: UserStream): boolean {
    const n = other.bytes.length;
    if (n > this.bytes.length || other.resizes.length > this.resizes.length) return false;
    for (let i = 0; i < n; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    for (let i = 0; i < other.resizes.length; i++) {
      const a = this.resizes[i], b = other.resizes[i];
      if (a.at !== b.at || a.width !== b.width || a.height !== b.height) return false;
    }
    // A resize of ours that the prefix lacks must come after all of the prefix's bytes.
    const next = this.resizes[other.resizes.length];
    return next === undefined || next.at >= n;
  }

  /**
   * The events after `old`, as UserMessage instructions: runs of bytes coalesced into one
   * keystroke, each resize on its own.
   * @throws {Error} when `old` is not a prefix of this stream (a broken local invariant)
   */
  eventsSince(old: UserStream): UserInstruction[] {
    if (!this.hasPrefix(old)) throw new Error("UserStream: diff base is not a prefix");
    const out: UserInstruction[] = [];
    let pos = old.bytes.length;
    for (let r = old.resizes.length; r < this.resizes.length; r++) {
      const { at, width, height } = this.resizes[r];
      if (at > pos) out.push({ keys: this.bytes.subarray(pos, at) });
      pos = Math.max(pos, at);
      out.push({ resize: { width, height } });
    }
    if (pos < this.bytes.length) out.push({ keys: this.bytes.subarray(pos) });
    return out;
  }

  diffFrom(existing: UserStream): Uint8Array {
    const events = this.eventsSince(existing);
    return events.length ? encodeUserMessage(events) : EMPTY;
  }

  apply(diff: Uint8Array): UserStream | null {
    if (diff.length === 0) return this;
    const list = decodeUserMessage(diff);
    return list === null ? null : this.pushAll(list);
  }

  equals(other: UserStream): boolean {
    if (this === other) return true;
    if (this.resizes.length !== other.resizes.length) return false;
    if (!bytesEqual(this.bytes, other.bytes)) return false;
    return this.resizes.every((r, i) => {
      const o = other.resizes[i];
      return r.at === o.at && r.width === o.width && r.height === o.height;
    });
  }

  subtract(prefix: UserStream): UserStream {
    if (prefix.size === 0) return this;
    if (!this.hasPrefix(prefix)) throw new Error("UserStream: subtracting a non-prefix");
    const n = prefix.bytes.length;
    return new UserStream(
      this.bytes.subarray(n),
      this.resizes.slice(prefix.resizes.length).map((r) => ({ ...r, at: r.at - n })),
    );
  }
}

/**
 * A deliberately naive UserStream for the property tests: the implementation before
 * core/statesync/user_stream.ts shared its arrays, where every append copies the whole stream
 * (quadratic, and obviously right).
 */
import {
  decodeUserMessage,
  encodeUserMessage,
  type UserInstruction,
} from "../../../core/statesync/user_message.ts";
import { bytesEqual } from "../../../core/bytes.ts";
import type { Resize } from "../../../core/statesync/user_stream.ts";

const EMPTY = new Uint8Array(0);

/** The reference: every append copies everything. */
export class NaiveUserStream {
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
  pushKeys(keys: Uint8Array): NaiveUserStream {
    if (keys.length === 0) return this;
    const bytes = new Uint8Array(this.bytes.length + keys.length);
    bytes.set(this.bytes);
    bytes.set(keys, this.bytes.length);
    return new NaiveUserStream(bytes, this.resizes);
  }

  /** This stream with a resize at the end. */
  pushResize(width: number, height: number): NaiveUserStream {
    return new NaiveUserStream(this.bytes, [
      ...this.resizes,
      { at: this.bytes.length, width, height },
    ]);
  }

  /** This stream with the instructions of a UserMessage appended. */
  pushAll(list: readonly UserInstruction[]): NaiveUserStream {
    return list.reduce<NaiveUserStream>(
      (s, u) =>
        "keys" in u
          ? s.pushKeys(u.keys)
          : "resize" in u
          ? s.pushResize(u.resize.width, u.resize.height)
          : s,
      this,
    );
  }

  /** Whether `other`'s events are a prefix of this stream's. */
  hasPrefix(other: NaiveUserStream): boolean {
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
  eventsSince(old: NaiveUserStream): UserInstruction[] {
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

  diffFrom(existing: NaiveUserStream): Uint8Array {
    const events = this.eventsSince(existing);
    return events.length ? encodeUserMessage(events) : EMPTY;
  }

  apply(diff: Uint8Array): NaiveUserStream | null {
    if (diff.length === 0) return this;
    const list = decodeUserMessage(diff);
    return list === null ? null : this.pushAll(list);
  }

  equals(other: NaiveUserStream): boolean {
    if (this === other) return true;
    if (this.resizes.length !== other.resizes.length) return false;
    if (!bytesEqual(this.bytes, other.bytes)) return false;
    return this.resizes.every((r, i) => {
      const o = other.resizes[i];
      return r.at === o.at && r.width === o.width && r.height === o.height;
    });
  }

  subtract(prefix: NaiveUserStream): NaiveUserStream {
    if (prefix.size === 0) return this;
    if (!this.hasPrefix(prefix)) throw new Error("UserStream: subtracting a non-prefix");
    const n = prefix.bytes.length;
    return new NaiveUserStream(
      this.bytes.subarray(n),
      this.resizes.slice(prefix.resizes.length).map((r) => ({ ...r, at: r.at - n })),
    );
  }
}

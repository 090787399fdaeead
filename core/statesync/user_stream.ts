/**
 * `UserStream`, the client-to-host state: the user's keystrokes and window resizes, in order.
 *
 * mosh keeps one event per byte so that any state is an event-prefix of every later one, which
 * is what diffs and acknowledgements rely on. We keep the same model in a compact form: all
 * keystroke bytes in one array, and each resize with the number of bytes typed before it. A
 * state's events are its bytes and resizes merged by position, resizes first at a tie only
 * when they came first (positions are exact, so order is never ambiguous).
 *
 * Streams are immutable values, yet appending is amortized O(1) per event: a stream is a window
 * on append-only arrays that it shares with the streams it grew from and into (a {@link Store}),
 * and an append writes in place when the stream ends where the store does, else copies the
 * window to a new store with room to spare. A key holder's UserMessage of 60,000 one-byte
 * keystrokes therefore applies in linear time (mosh 1.4.0 copies its whole deque per event).
 * Subtracting an acknowledged prefix moves the window's start; streams on the same store
 * compare in O(1).
 *
 * @module
 */

import type { SyncState } from "./state.ts";
import { decodeUserMessage, encodeUserMessage, type UserInstruction } from "./user_message.ts";
import type { Capabilities } from "./extensions.ts";

/** A window resize, placed after the first `at` keystroke bytes of the stream. */
export interface Resize {
  readonly at: number;
  readonly width: number;
  readonly height: number;
}

/** Room a store starts with beyond what it is made for, in bytes and in resizes. */
const SLACK = 64;

/**
 * Append-only arrays shared by streams: bytes below `fill` and resizes already pushed never
 * change, so every stream's window on them stays valid. A resize's `at` is an index into
 * `bytes` here.
 */
class Store {
  readonly bytes: Uint8Array;
  fill = 0;
  readonly resizes: Resize[] = [];
  /** Past this many resizes the store is compacted into a new one instead of growing. */
  readonly resizeCapacity: number;

  constructor(byteCapacity: number, resizeCapacity: number) {
    this.bytes = new Uint8Array(byteCapacity);
    this.resizeCapacity = resizeCapacity;
  }
}

const NO_BYTES = new Uint8Array(0);
const NO_RESIZES: readonly Resize[] = [];

/** Never written to: its capacities are 0, so the first append makes a store of its own. */
const EMPTY_STORE = new Store(0, 0);

/**
 * The user's input stream.
 *
 * @example
 * ```ts
 * import { UserStream } from "./user_stream.ts";
 *
 * const sent = new UserStream().pushResize(80, 24);
 * const now = sent.pushKeys(new TextEncoder().encode("ls\r"));
 * const diff = now.diffFrom(sent); // a UserMessage: one Keystroke "ls\r"
 * const received = sent.apply(diff);
 * if (!received?.equals(now) || now.subtract(sent).size !== 3) throw new Error();
 * ```
 */
export class UserStream implements SyncState<UserStream> {
  #store: Store = EMPTY_STORE;
  /** The window: bytes `#store.bytes[#b0, #b1)` and resizes `#store.resizes[#r0, #r1)`. */
  #b0 = 0;
  #b1 = 0;
  #r0 = 0;
  #r1 = 0;
  /** What the client announced (docs/protocol.md §16), or null: a stock mosh client's stream. */
  #announced: Capabilities | null = null;

  /** A stream of `bytes` with `resizes` among them (both copied); empty by default. */
  constructor(bytes: Uint8Array = NO_BYTES, resizes: readonly Resize[] = NO_RESIZES) {
    if (bytes.length === 0 && resizes.length === 0) return;
    const store = new Store(bytes.length, resizes.length);
    store.bytes.set(bytes);
    store.fill = bytes.length;
    for (const { at, width, height } of resizes) store.resizes.push({ at, width, height });
    this.#store = store;
    this.#b1 = bytes.length;
    this.#r1 = resizes.length;
  }

  static #window(
    store: Store,
    b0: number,
    b1: number,
    r0: number,
    r1: number,
    announced: Capabilities | null,
  ): UserStream {
    const s = new UserStream();
    s.#store = store;
    s.#b0 = b0;
    s.#b1 = b1;
    s.#r0 = r0;
    s.#r1 = r1;
    s.#announced = announced;
    return s;
  }

  /**
   * What the client announced with this stream (our extension, docs/protocol.md §16); null for
   * a stock client. It is a property of the whole stream, not an event: it goes out in the
   * first diff that reaches a peer without it, and acknowledging a prefix keeps it.
   */
  get announced(): Capabilities | null {
    return this.#announced;
  }

  /** This stream, announcing `capabilities`. */
  announce(capabilities: Capabilities): UserStream {
    const s = this.#announced;
    if (s && s.version === capabilities.version && s.features === capabilities.features) {
      return this;
    }
    return UserStream.#window(this.#store, this.#b0, this.#b1, this.#r0, this.#r1, capabilities);
  }

  /** Every keystroke byte, in order (a view: do not write to it). */
  get bytes(): Uint8Array {
    return this.#store.bytes.subarray(this.#b0, this.#b1);
  }

  /** Every resize, in order, each with the count of bytes typed before it. */
  get resizes(): readonly Resize[] {
    const out: Resize[] = [];
    for (let i = this.#r0; i < this.#r1; i++) out.push(this.#resize(i));
    return out;
  }

  /** The number of events (bytes plus resizes). */
  get size(): number {
    return this.#b1 - this.#b0 + this.#r1 - this.#r0;
  }

  /** The store's resize `i`, with its position relative to this stream. */
  #resize(i: number): Resize {
    const r = this.#store.resizes[i];
    return { at: r.at - this.#b0, width: r.width, height: r.height };
  }

  /** This stream with `keys` typed at the end. */
  pushKeys(keys: Uint8Array): UserStream {
    return this.#append([{ keys }]);
  }

  /** This stream with a resize at the end. */
  pushResize(width: number, height: number): UserStream {
    return this.#append([{ resize: { width, height } }]);
  }

  /** This stream with the instructions of a UserMessage appended, in time linear in them. */
  pushAll(list: readonly UserInstruction[]): UserStream {
    return this.#append(list);
  }

  #append(list: readonly UserInstruction[]): UserStream {
    let bytes = 0, resizes = 0;
    let announcement: Capabilities | null = null;
    for (const u of list) {
      if ("keys" in u) bytes += u.keys.length;
      else if ("resize" in u) resizes++;
      else announcement = u.capabilities;
    }
    const announced = announcement ? this.announce(announcement) : this;
    if (bytes === 0 && resizes === 0) return announced;
    const base = announced.#roomFor(bytes, resizes);
    const store = base.#store;
    let at = base.#b1;
    for (const u of list) {
      if ("keys" in u) {
        store.bytes.set(u.keys, at);
        at += u.keys.length;
      } else if ("resize" in u) {
        store.resizes.push({ at, width: u.resize.width, height: u.resize.height });
      }
    }
    store.fill = Math.max(store.fill, at);
    return UserStream.#window(store, base.#b0, at, base.#r0, base.#r1 + resizes, base.#announced);
  }

  /**
   * This stream, on a store where it can append `bytes` bytes and `resizes` resizes in place:
   * its own if it ends where the store does and there is room, else a copy with room to spare.
   */
  #roomFor(bytes: number, resizes: number): UserStream {
    const s = this.#store;
    const bytesFit = bytes === 0 || (this.#b1 === s.fill && s.fill + bytes <= s.bytes.length);
    const resizesFit = resizes === 0 ||
      (this.#r1 === s.resizes.length && s.resizes.length + resizes <= s.resizeCapacity);
    if (bytesFit && resizesFit) return this;
    const liveBytes = this.#b1 - this.#b0, liveResizes = this.#r1 - this.#r0;
    const copy = new Store(2 * (liveBytes + bytes) + SLACK, 2 * (liveResizes + resizes) + SLACK);
    copy.bytes.set(this.bytes);
    copy.fill = liveBytes;
    for (let i = this.#r0; i < this.#r1; i++) copy.resizes.push(this.#resize(i));
    return UserStream.#window(copy, 0, liveBytes, 0, liveResizes, this.#announced);
  }

  /** Whether `other`'s events are a prefix of this stream's. */
  hasPrefix(other: UserStream): boolean {
    const n = other.#b1 - other.#b0, rn = other.#r1 - other.#r0;
    if (n > this.#b1 - this.#b0 || rn > this.#r1 - this.#r0) return false;
    const shared = other.#store === this.#store && other.#b0 === this.#b0 &&
      other.#r0 === this.#r0;
    if (!shared) {
      // Different arrays: compare. (On one store the same indexes hold the same events.)
      const a = this.#store.bytes, b = other.#store.bytes;
      for (let i = 0; i < n; i++) if (a[this.#b0 + i] !== b[other.#b0 + i]) return false;
      for (let i = 0; i < rn; i++) {
        const x = this.#resize(this.#r0 + i), y = other.#resize(other.#r0 + i);
        if (x.at !== y.at || x.width !== y.width || x.height !== y.height) return false;
      }
    }
    // A resize of ours that the prefix lacks must come after all of the prefix's bytes.
    const next = this.#r0 + rn;
    return next === this.#r1 || this.#resize(next).at >= n;
  }

  /**
   * The events after `old`, as UserMessage instructions: the announcement first if `old` lacks
   * it, then runs of bytes coalesced into one keystroke, each resize on its own.
   * @throws {Error} when `old` is not a prefix of this stream (a broken local invariant)
   */
  eventsSince(old: UserStream): UserInstruction[] {
    if (!this.hasPrefix(old)) throw new Error("UserStream: diff base is not a prefix");
    const out: UserInstruction[] = [];
    if (this.#announced && !sameCapabilities(this.#announced, old.#announced)) {
      out.push({ capabilities: this.#announced });
    }
    const bytes = this.#store.bytes;
    let pos = this.#b0 + (old.#b1 - old.#b0);
    for (let r = this.#r0 + (old.#r1 - old.#r0); r < this.#r1; r++) {
      const { at, width, height } = this.#store.resizes[r];
      if (at > pos) out.push({ keys: bytes.subarray(pos, at) });
      pos = Math.max(pos, at);
      out.push({ resize: { width, height } });
    }
    if (pos < this.#b1) out.push({ keys: bytes.subarray(pos, this.#b1) });
    return out;
  }

  diffFrom(existing: UserStream): Uint8Array {
    const events = this.eventsSince(existing);
    return events.length ? encodeUserMessage(events) : NO_BYTES;
  }

  apply(diff: Uint8Array): UserStream | null {
    if (diff.length === 0) return this;
    const list = decodeUserMessage(diff);
    return list === null ? null : this.pushAll(list);
  }

  equals(other: UserStream): boolean {
    if (this === other) return true;
    return this.size === other.size && sameCapabilities(this.#announced, other.#announced) &&
      this.hasPrefix(other);
  }

  subtract(prefix: UserStream): UserStream {
    if (prefix.size === 0) return this;
    if (!this.hasPrefix(prefix)) throw new Error("UserStream: subtracting a non-prefix");
    const n = prefix.#b1 - prefix.#b0, rn = prefix.#r1 - prefix.#r0;
    return UserStream.#window(
      this.#store,
      this.#b0 + n,
      this.#b1,
      this.#r0 + rn,
      this.#r1,
      this.#announced,
    );
  }
}

function sameCapabilities(a: Capabilities | null, b: Capabilities | null): boolean {
  return a === b || (a !== null && b !== null && a.version === b.version &&
    a.features === b.features);
}

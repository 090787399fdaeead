/**
 * The one contract the transport needs from a synchronized state, after mosh's: a diff from a
 * state the peer is assumed to have, applying a diff, equality, and dropping a prefix the peer
 * has acknowledged. The transport is generic over it; `UserStream` (client to host) and
 * `CompleteTerminal` (host to client) implement it.
 *
 * States are immutable values: every operation returns a new state and leaves its inputs
 * alone, so the transport can keep the states it has sent or received without copying them.
 *
 * @module
 */

/** A state that SSP can synchronize. */
export interface SyncState<S> {
  /**
   * The serialized diff that turns `existing` into this state (a UserMessage or HostMessage);
   * empty when the two are equal.
   */
  diffFrom(existing: S): Uint8Array;

  /**
   * This state with a diff applied.
   * @returns the new state, or null when the diff is malformed (the caller drops it and counts
   *   the reason "diff"; mosh would abort)
   */
  apply(diff: Uint8Array): S | null;

  /** Whether the two states are the same for synchronization. */
  equals(other: S): boolean;

  /**
   * This state without what `prefix` already holds, once the peer has acknowledged `prefix`
   * (mosh's `subtract`). For a stream of events it drops the common prefix; for a screen it is
   * the identity.
   */
  subtract(prefix: S): S;
}

/**
 * Why an incoming datagram was dropped. Hostile or broken input never throws out of the
 * network code: each stage returns one of these, and a {@link DropCounter} tallies them so tests,
 * benchmarks and a `-v` log can say what arrived.
 *
 * @module
 */

/** Every reason the receive path can drop a datagram or an instruction. */
export type DropReason =
  /** Longer than mosh's 2,048-byte receive buffer. */
  | "oversize"
  /** Shorter than the 8-byte nonce plus the 16-byte tag. */
  | "short"
  /** The OCB tag did not match: another key, a forgery, or corruption. */
  | "auth"
  /** Authentic, but carrying our own direction bit: a reflection of our own datagram. */
  | "direction"
  /** Authentic, but too short for the two timestamps and a fragment header. */
  | "truncated"
  /** A fragment number inconsistent with the instruction's final fragment. */
  | "fragment"
  /** The assembled instruction is larger than any mosh would send. */
  | "assembly-size"
  /** Not a zlib stream, or one that inflates past the 4 MiB limit. */
  | "inflate"
  /** Not a parsable TransportBuffers.Instruction. */
  | "protobuf"
  /** An Instruction whose protocol_version is not 2. */
  | "version"
  /** A diff that is not a parsable UserMessage or HostMessage, or breaks its rules. */
  | "diff"
  /**
   * A new state refused while the receiver holds new states back (flow control: the peer
   * keeps it and sends it again). Not hostile.
   */
  | "held";

/** Counts of dropped input by reason. */
export class DropCounter {
  readonly counts: Partial<Record<DropReason, number>> = {};

  /** Records one drop. */
  add(reason: DropReason): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }

  /** Drops of one reason, or of all reasons when none is given. */
  total(reason?: DropReason): number {
    if (reason) return this.counts[reason] ?? 0;
    return Object.values(this.counts).reduce((a, b) => a + (b ?? 0), 0);
  }
}

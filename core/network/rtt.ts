/**
 * Round-trip time from echoed timestamps, exactly as mosh 1.4.0 computes it: RFC 6298's
 * smoothing in doubles, samples of 5 s or more ignored (a peer that was suspended), and the
 * two quantities derived from it that pace everything: the retransmission timeout and the
 * frame interval (about two frames per round trip).
 *
 * @module
 */

/** The least retransmission timeout, ms. */
export const MIN_RTO = 50;
/** The greatest retransmission timeout, ms. */
export const MAX_RTO = 1000;
/** The least send interval, ms. */
export const SEND_INTERVAL_MIN = 20;
/** The greatest send interval, ms. */
export const SEND_INTERVAL_MAX = 250;
/** Samples at or above this are ignored, ms. */
export const MAX_RTT_SAMPLE = 5000;

/** SRTT and RTTVAR, starting at mosh's 1000 ms and 500 ms. */
export class RttEstimator {
  srtt = 1000;
  rttvar = 500;
  #hit = false;

  /** Folds in one measured round trip `r` (ms). */
  sample(r: number): void {
    if (r >= MAX_RTT_SAMPLE) return;
    if (!this.#hit) {
      this.srtt = r;
      this.rttvar = r / 2;
      this.#hit = true;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
  }

  /** Whether any sample has been taken. */
  get measured(): boolean {
    return this.#hit;
  }

  /** `ceil(SRTT + 4·RTTVAR)` within [50, 1000] ms. */
  get rto(): number {
    return Math.min(MAX_RTO, Math.max(MIN_RTO, Math.ceil(this.srtt + 4 * this.rttvar)));
  }

  /** `ceil(SRTT / 2)` within [20, 250] ms: about two frames per round trip. */
  get sendInterval(): number {
    return Math.min(SEND_INTERVAL_MAX, Math.max(SEND_INTERVAL_MIN, Math.ceil(this.srtt / 2)));
  }
}

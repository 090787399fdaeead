/**
 * mosh's NotificationEngine: the bar across the top of the screen that says the server has
 * gone quiet ("mosh: Last contact 12 seconds ago.") or carries a message, with mosh 1.4.0's
 * texts and timings. Pure and driven by the caller's clock; the drawing is done elsewhere.
 *
 * @module
 */

import { ACK_INTERVAL } from "../transport/sender.ts";

/** The server counts as late after this long without a new state from it, ms. */
export const SERVER_LATE_MS = 6500;
/** Our newest acknowledged state counts as late after this long, ms. */
export const REPLY_LATE_MS = 10_000;
/** Non-permanent messages last this long, ms. */
const MESSAGE_MS = 1000;

/** "N seconds" (or "N s"), "M:SS" or "H:MM:SS". */
export function humanDuration(seconds: number, unit: string): string {
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s} ${unit}`;
  if (s < 3600) return `${Math.floor(s / 60)}:${pad(s % 60)}`;
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** The notification state of one client. */
export class NotificationEngine {
  #lastWordFromServer: number;
  #lastAckedState: number;
  #message = "";
  #messageIsNetworkError = false;
  #expiration = Infinity;
  #showQuitKeystroke = true;
  #quitString = "";

  /** @param now the client's start: nothing counts as late before it */
  constructor(now: number) {
    this.#lastWordFromServer = now;
    this.#lastAckedState = now;
  }

  /** " [To quit: NAME .]" after every notification, or nothing when escapes are off. */
  setEscapeKeyName(name: string): void {
    this.#quitString = name ? ` [To quit: ${name} .]` : "";
  }

  /** A new server state arrived at `t`. */
  serverHeard(t: number): void {
    this.#lastWordFromServer = t;
  }

  /** Our newest acknowledged state was sent at `t`. */
  serverAcked(t: number): void {
    this.#lastAckedState = t;
  }

  /** The current message ("" if none). */
  get message(): string {
    return this.#message;
  }

  /** Shows a message for a second, or until replaced when `permanent`. */
  setMessage(now: number, message: string, permanent = false, showQuitKeystroke = true): void {
    this.#message = message;
    this.#expiration = permanent ? Infinity : now + MESSAGE_MS;
    this.#messageIsNetworkError = false;
    this.#showQuitKeystroke = showQuitKeystroke;
  }

  /** Shows a send error for a little over the heartbeat interval. */
  setNetworkError(now: number, message: string): void {
    this.#message = message;
    this.#messageIsNetworkError = true;
    this.#expiration = now + ACK_INTERVAL + 100;
  }

  /** Sends work again: let a network error fade within a second. */
  clearNetworkError(now: number): void {
    if (this.#messageIsNetworkError) this.#expiration = Math.min(this.#expiration, now + 1000);
  }

  #serverLate(now: number): boolean {
    return now - this.#lastWordFromServer > SERVER_LATE_MS;
  }

  #replyLate(now: number): boolean {
    return now - this.#lastAckedState > REPLY_LATE_MS;
  }

  /** Whether the bar counts the time since contact. */
  needCountup(now: number): boolean {
    return this.#serverLate(now) || this.#replyLate(now);
  }

  /** Drops an expired message. */
  adjustMessage(now: number): void {
    if (now >= this.#expiration) {
      this.#message = "";
      this.#expiration = Infinity;
    }
  }

  /** The bar's text now, or null when there is no bar. */
  text(now: number): string | null {
    this.adjustMessage(now);
    const countup = this.needCountup(now);
    if (!this.#message && !countup) return null;
    let elapsed = (now - this.#lastWordFromServer) / 1000;
    let explanation = "contact";
    if (this.#replyLate(now) && !this.#serverLate(now)) {
      elapsed = (now - this.#lastAckedState) / 1000;
      explanation = "reply";
    }
    const quit = this.#showQuitKeystroke ? this.#quitString : "";
    if (!this.#message) {
      return `mosh: Last ${explanation} ${humanDuration(elapsed, "seconds")} ago.${quit}`;
    }
    if (!countup) return `mosh: ${this.#message}${quit}`;
    return `mosh: ${this.#message} (${humanDuration(elapsed, "s")} without ${explanation}.)${quit}`;
  }

  /**
   * Milliseconds until the bar may change by itself. A message that has expired but not yet
   * been dropped is due now; once dropped, nothing is due for it. (mosh computes
   * `message_expiration - now` in unsigned arithmetic, so an expiry in the past is "never".)
   */
  waitTime(now: number): number {
    let next = this.#message ? this.#expiration - now : Infinity;
    if (this.needCountup(now)) {
      next = Math.min(next, now - this.#lastWordFromServer > 60_000 ? ACK_INTERVAL : 1000);
    }
    return Math.max(0, next);
  }
}

/**
 * The loop both shells run a session in (server/server.ts, client/client.ts): each event goes
 * to the session with the time, then the actions it gave are carried out in order, then the
 * timer is set to its next wake-up. What must hold whatever the program:
 *
 * - the actions reach the world in the order the session gave them: an event raised while
 *   they are carried out (a send that fails at once) waits for them to finish;
 * - an exception in an event's handling, or in carrying out an action, never escapes: it goes
 *   to the crash log and to the session as a fault (which ends it, telling the peer); if even
 *   that fails, the program is told to give up;
 * - one timer, set again only when the wake-up time changes (floods call this per read).
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/** What the loop needs of a session (`ServerSession`, `ClientSession`). */
export interface LoopSession<A> {
  takeActions(): A[];
  wakeAt(now: number): number;
  tick(now: number): void;
  fault(now: number, error: unknown): void;
}

/** The program's side of the loop. */
export interface SessionLoopOptions<A> {
  session: LoopSession<A>;
  clock: Clock;
  /** Carries out one action. */
  perform(action: A): void;
  /** Whether the program is over (it took the session's exit): no more events. */
  finished(): boolean;
  /** After each round of actions, before the timer is set (e.g. report the pty's backlog). */
  afterActions?(now: number): void;
  /** Before the timer's tick (e.g. a collection once a burst is over). */
  beforeTick?(now: number): void;
  /** Where an unexpected error is logged (the crash log the user can find). */
  faultLog(error: unknown): void;
  /** The session could not take the fault `error` (it threw `again`): the program must end by itself. */
  giveUp(error: unknown, again: unknown): void;
}

/** One session's event loop. */
export class SessionLoop<A> {
  readonly #o: SessionLoopOptions<A>;
  readonly #events: ((now: number) => void)[] = [];
  #dispatching = false;
  #timer: number | undefined;
  #timerAt = Infinity;

  constructor(options: SessionLoopOptions<A>) {
    this.#o = options;
  }

  /** Runs `event` through the session (now, or after the event being handled), then the rest. */
  dispatch(event: (now: number) => void): void {
    this.#events.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next; (next = this.#events.shift()) && !this.#o.finished();) {
        try {
          next(this.#o.clock.now());
        } catch (e) {
          this.#contain(e);
        }
        this.#carryOut();
      }
    } finally {
      this.#dispatching = false;
      this.#events.length = 0;
    }
  }

  /** Stops the timer (the program is over). */
  stop(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #contain(error: unknown): void {
    this.#o.faultLog(error);
    try {
      this.#o.session.fault(this.#o.clock.now(), error);
    } catch (again) {
      this.#o.giveUp(error, again);
    }
  }

  #carryOut(): void {
    const o = this.#o;
    for (let actions = o.session.takeActions(); actions.length;) {
      for (const a of actions) {
        try {
          o.perform(a);
        } catch (e) {
          this.#contain(e);
        }
      }
      actions = o.session.takeActions();
    }
    if (o.finished()) return;
    const now = o.clock.now();
    o.afterActions?.(now);
    this.#arm(now, o.session.wakeAt(now));
  }

  #arm(now: number, at: number): void {
    if (at === this.#timerAt) return;
    this.stop();
    this.#timerAt = at;
    if (!Number.isFinite(at)) return;
    this.#timer = this.#o.clock.setTimer(at - now, () => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#o.beforeTick?.(this.#o.clock.now());
      this.dispatch((t) => this.#o.session.tick(t));
    });
  }
}

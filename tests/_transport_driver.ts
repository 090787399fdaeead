/**
 * A bare {@link Transport} on a real datagram socket, for tests that speak SSP to a real peer
 * (Debian's mosh-server or mosh-client) with a state of their own making: it ticks the
 * transport on every event and on its wake-up timer, and sends what it produces. The programs
 * themselves run their sessions through server/server.ts and client/client.ts instead.
 */
import type { SyncState } from "../core/statesync/state.ts";
import type { Transport } from "../core/transport/transport.ts";
import { monotonicNow, systemClock } from "../io/clock.ts";
import { type DatagramSocket, udpNetwork } from "../io/datagram.ts";

/** Options of a {@link TransportDriver}. */
export interface TransportDriverOptions {
  /** The socket to use; a client leaves it out and gets one on `bindHost`, port 0. */
  socket?: DatagramSocket;
  bindHost?: string;
  /** Called after each datagram that brought a new peer state. */
  onRemoteState?: () => void;
}

/** Drives a transport over one socket in real time until closed. */
export class TransportDriver<My extends SyncState<My>, Remote extends SyncState<Remote>> {
  readonly transport: Transport<My, Remote>;
  readonly #socket: DatagramSocket;
  readonly #onRemoteState?: () => void;
  #timer: number | undefined;
  #closed = false;

  constructor(transport: Transport<My, Remote>, options: TransportDriverOptions = {}) {
    this.transport = transport;
    this.#socket = options.socket ?? udpNetwork.bind(options.bindHost ?? "127.0.0.1", 0);
    this.#onRemoteState = options.onRemoteState;
    this.#receive();
    this.service();
  }

  /** Replaces the local state and services the transport. */
  setCurrentState(state: My): void {
    this.transport.setCurrentState(state);
    this.service();
  }

  /** Ticks the transport, sends what is due and re-arms the timer. */
  service(): void {
    if (this.#closed) return;
    const now = monotonicNow();
    for (const o of this.transport.tick(now)) this.#socket.send(o.data, o.to).catch(() => {});
    if (this.#timer !== undefined) systemClock.clearTimer(this.#timer);
    const wait = this.transport.waitTime(monotonicNow());
    if (Number.isFinite(wait)) this.#timer = systemClock.setTimer(wait, () => this.service());
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) systemClock.clearTimer(this.#timer);
    this.#socket.close();
  }

  async #receive(): Promise<void> {
    while (!this.#closed) {
      let d;
      try {
        d = await this.#socket.receive();
      } catch {
        if (this.#closed) return;
        continue;
      }
      if (this.transport.receive(monotonicNow(), d.data, d.from)) this.#onRemoteState?.();
      this.service();
    }
  }
}

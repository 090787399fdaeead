/**
 * Drives a PredictionEngine the way mosh-client does, on a virtual clock: keystrokes go out in
 * numbered client states, the server's frames and echo acks come back when the test says.
 */
import { type DisplayPreference, PredictionEngine } from "../../../core/prediction/prediction.ts";
import { Emulator } from "../../../core/terminal/emulator.ts";
import type { Framebuffer } from "../../../core/terminal/framebuffer.ts";

const encoder = new TextEncoder();

/** The screen an emulator of `width`×`height` shows after `output`. */
export function frame(width: number, height: number, output: string): Framebuffer {
  const e = new Emulator(width, height);
  e.write(encoder.encode(output));
  return e.snapshot();
}

/** A client's side of prediction: the engine, its frame numbers, the server's last frame. */
export class Driver {
  readonly engine: PredictionEngine;
  /** The server's newest frame as the client has it. */
  server: Framebuffer;
  /** The number of the last client state sent. */
  sent = 0n;
  now = 1000;

  constructor(
    server: Framebuffer,
    opts: { display?: DisplayPreference; overwrite?: boolean; sendInterval?: number } = {},
  ) {
    this.server = server;
    this.engine = new PredictionEngine({ display: opts.display, overwrite: opts.overwrite });
    this.engine.setSendInterval(opts.sendInterval ?? 150);
    this.draw();
  }

  /** Types `keys` as one read, sent as one new client state; returns that state's number. */
  type(keys: string | Uint8Array): bigint {
    const bytes = typeof keys === "string" ? encoder.encode(keys) : keys;
    this.engine.setLocalFrameSent(this.sent);
    for (const b of bytes) this.engine.newUserByte(b, this.server, this.now);
    return ++this.sent;
  }

  /** Types each character as its own read and state. */
  typeEach(keys: string): void {
    for (const ch of keys) this.type(ch);
  }

  /** The server's frame `fb` arrives, with an echo ack covering client states up to `ack`. */
  receive(fb: Framebuffer, ack: bigint = this.sent): void {
    this.server = fb;
    this.engine.setLocalFrameLateAcked(ack);
  }

  /** What the client draws now: the server's frame with the predictions. */
  draw(): Framebuffer {
    this.engine.cull(this.server, this.now);
    return this.engine.apply(this.server);
  }

  /** The drawn text of row `row`, trailing spaces cut. */
  line(row: number): string {
    return this.draw().rows[row].toText().trimEnd();
  }

  advance(ms: number): void {
    this.now += ms;
  }
}

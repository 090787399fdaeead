/**
 * A simple host-to-client state for the simulator: a string that only the server changes. Its
 * diff is the new text after the common prefix, so diffs stay small and any base works.
 */
import type { SyncState } from "../../core/statesync/state.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export class TextState implements SyncState<TextState> {
  constructor(readonly text: string = "") {}

  diffFrom(existing: TextState): Uint8Array {
    if (existing.text === this.text) return new Uint8Array(0);
    let common = 0;
    const max = Math.min(existing.text.length, this.text.length);
    while (common < max && existing.text[common] === this.text[common]) common++;
    return enc.encode(`${common}:${this.text.slice(common)}`);
  }

  apply(diff: Uint8Array): TextState | null {
    const s = dec.decode(diff);
    const colon = s.indexOf(":");
    const keep = Number(s.slice(0, colon));
    if (colon < 0 || !Number.isInteger(keep) || keep > this.text.length) return null;
    return new TextState(this.text.slice(0, keep) + s.slice(colon + 1));
  }

  equals(other: TextState): boolean {
    return this.text === other.text;
  }

  subtract(_prefix: TextState): TextState {
    return this;
  }
}

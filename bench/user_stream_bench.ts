/**
 * Applying a large UserMessage: 60,000 one-event instructions (one-byte keystrokes, resizes, or
 * both in turn) in one diff, as a key holder may send. Linear since UserStream shares its arrays;
 * before, each event copied the history (mosh 1.4.0 does the same).
 *
 * - `deno bench -A bench/user_stream_bench.ts` (part of `deno task bench`): time per apply.
 * - `deno run -A bench/user_stream_bench.ts`: a table of medians (5 trials), with the part that
 *   is decoding the message.
 */
import { UserStream } from "../core/statesync/user_stream.ts";
import {
  decodeUserMessage,
  encodeUserMessage,
  type UserInstruction,
} from "../core/statesync/user_message.ts";
import { median } from "./_measure.ts";

const EVENTS = 60_000;

/** A UserMessage of EVENTS instructions of one kind, or of both in turn. */
function message(kind: "keys" | "resizes" | "both"): Uint8Array {
  const list: UserInstruction[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const key = kind === "keys" || (kind === "both" && i % 2 === 0);
    list.push(
      key ? { keys: Uint8Array.of(97 + i % 26) } : { resize: { width: 80 + i % 9, height: 24 } },
    );
  }
  return encodeUserMessage(list);
}

const KINDS = ["keys", "resizes", "both"] as const;

for (const kind of KINDS) {
  const diff = message(kind);
  Deno.bench(`apply 60,000 one-event instructions: ${kind}`, { group: "apply" }, () => {
    new UserStream().apply(diff);
  });
}

if (import.meta.main) {
  console.log(
    "| 60,000 one-event instructions | apply | of which decoding |\n| --- | ---: | ---: |",
  );
  for (const kind of KINDS) {
    const diff = message(kind);
    const apply: number[] = [], decode: number[] = [];
    for (let t = 0; t < 5; t++) {
      let start = performance.now();
      if (new UserStream().apply(diff)?.size !== EVENTS) throw new Error("not applied");
      apply.push(performance.now() - start);
      start = performance.now();
      decodeUserMessage(diff);
      decode.push(performance.now() - start);
    }
    console.log(`| ${kind} | ${median(apply).toFixed(0)} ms | ${median(decode).toFixed(0)} ms |`);
  }
}

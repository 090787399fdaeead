/**
 * The client loop with a stand-in terminal: what it writes on the way in and on every way out.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { type ClientTty, MoshClient } from "../../client/client.ts";
import type { TermCaps } from "../../client/terminfo.ts";
import type { PredictMode } from "../../cli/client_options.ts";
import { platform } from "../_platform.ts";

const CAPS: TermCaps = {
  smcup: "<smcup>",
  rmcup: "<rmcup>",
  ech: true,
  bce: true,
  colors: 256,
  titles: true,
};

function fakeTty() {
  const writes: string[] = [];
  const raw: boolean[] = [];
  let feed: ((b: Uint8Array | null) => void) | undefined;
  const tty: ClientTty = {
    size: () => ({ columns: 40, rows: 10 }),
    setRaw: (r) => void raw.push(r),
    write: (t) => void writes.push(t),
    read: () => new Promise((resolve) => (feed = resolve)),
  };
  return {
    tty,
    writes,
    raw,
    type: (s: string | null) => feed?.(s === null ? null : new TextEncoder().encode(s)),
  };
}

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A client for a server that will never answer (127.0.0.1:9), on a stand-in terminal. */
function newClient(tty: ClientTty, predict?: PredictMode): MoshClient {
  return new MoshClient({
    ip: "127.0.0.1",
    port: 9,
    key: Base64Key.generate(platform),
    caps: CAPS,
    env: {},
    tty,
    predict,
  });
}

Deno.test({
  name: "the client takes the terminal raw with smcup and application cursor keys",
  ...opts,
  async fn() {
    const t = fakeTty();
    const client = newClient(t.tty);
    try {
      assert.deepEqual(t.raw, [true]);
      assert.equal(t.writes[0], "<smcup>\x1b[?1h");
    } finally {
      client.abort(new Error("test over"));
      await client.exited;
    }
  },
});

Deno.test({
  name: "an exception restores the terminal and reports the error",
  ...opts,
  async fn() {
    const t = fakeTty();
    const client = newClient(t.tty);
    client.abort(new Error("boom"));
    const exit = await client.exited;
    assert.deepEqual(t.raw, [true, false]);
    assert.ok(t.writes.at(-1)!.endsWith("<rmcup>"));
    assert.ok(t.writes.at(-1)!.includes("\x1b[?1l\x1b[0m\x1b[?25h"));
    assert.equal(exit.clean, false);
    assert.match(exit.message!, /Error: boom/);
  },
});

Deno.test({
  name: "end of input starts the shutdown; with no server it ends uncleanly, terminal restored",
  ...opts,
  async fn() {
    const t = fakeTty();
    const client = newClient(t.tty);
    t.type(null);
    const exit = await Promise.race([
      client.exited,
      new Promise<never>((_, no) => setTimeout(() => no(new Error("no exit")), 15_000)),
    ]);
    assert.equal(exit.clean, false);
    assert.match(exit.message!, /did not make a successful connection to 127\.0\.0\.1:9/);
    assert.deepEqual(t.raw, [true, false]);
    assert.ok(t.writes.some((w) => w.includes("Exiting...")), "the bar said Exiting...");
  },
});

Deno.test({
  name: "keystrokes go through the prediction engine; a paste does not; never predicts nothing",
  ...opts,
  async fn() {
    const start = (predict?: "never" | "always") => {
      const t = fakeTty();
      const client = newClient(t.tty, predict);
      return { t, client };
    };
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const { t, client } = start("always");
    try {
      t.type("ab");
      await tick();
      assert.equal(client.predictions.active, true, "typing is predicted");
      t.type("x".repeat(101));
      await tick();
      assert.equal(client.predictions.active, false, "a paste resets the predictions");
      t.type("c");
      await tick();
      assert.equal(client.predictions.active, true);
    } finally {
      client.abort(new Error("test over"));
      await client.exited;
    }
    const never = start("never");
    try {
      never.t.type("ab");
      await tick();
      assert.equal(never.client.predictions.active, false);
    } finally {
      never.client.abort(new Error("test over"));
      await never.client.exited;
    }
  },
});

/**
 * The server loop in this process, for the rules whose real timings are too long for a test.
 */
import assert from "node:assert/strict";
import { Base64Key } from "../../core/crypto/key.ts";
import { MoshServer } from "../../server/server.ts";
import { platform } from "../_platform.ts";

Deno.test({
  name: "with no client at all, the server ends after its no-client timeout (mosh: 60 s)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const lines: string[] = [];
    const started = performance.now();
    const server = new MoshServer({
      key: Base64Key.generate(platform),
      socket,
      family: "inet",
      program: "/bin/true",
      argv: ["true"],
      env: {},
      cwd: "/",
      width: 80,
      height: 24,
      preamble: new Uint8Array(0),
      networkTimeout: 0,
      signalTimeout: 0,
      log: (l) => lines.push(l),
      noClientTimeout: 600,
    });
    const code = await Promise.race([
      server.done,
      new Promise<number>((_, no) => setTimeout(() => no(new Error("still running")), 5000)),
    ]);
    const took = performance.now() - started;
    assert.equal(code, 0);
    assert.ok(took >= 550 && took < 3000, `ended after ${took} ms`);
    assert.ok(lines.includes("No connection within 0.6 seconds."), lines.join("\n"));
  },
});

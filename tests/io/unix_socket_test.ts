/**
 * Unix stream sockets over libc, on real sockets in a temporary directory: a line each way,
 * the peer's credentials (of this process and of another one), every way a line can fail to
 * arrive (timeout, too long, end of stream, not UTF-8, closed), close() ending pending waits
 * and releasing every fd, connect failures, and random lines of every size round trip.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConnectionError, UnixConnection, UnixListener } from "../../io/unix_socket.ts";
import { SystemError } from "../../io/libc.ts";

/** A listener in a fresh directory, a client connected to it and the accepted end. */
async function pair(): Promise<{
  dir: string;
  listener: UnixListener;
  client: UnixConnection;
  server: UnixConnection;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const dir = Deno.makeTempDirSync({ prefix: "unix-socket-test-" });
  const listener = UnixListener.listen(`${dir}/s`);
  const client = await UnixConnection.connect(`${dir}/s`, 1000);
  const server = (await listener.accept())!;
  return {
    dir,
    listener,
    client,
    server,
    [Symbol.asyncDispose]: async () => {
      client.close();
      server.close();
      listener.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The number of fds this process has open. */
function openFds(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** The ConnectionError reason `promise` rejects with. */
async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof ConnectionError) return e.reason;
    throw e;
  }
  assert.fail("it did not fail");
}

Deno.test("a line each way, and the peer is this process", async () => {
  await using p = await pair();
  await p.client.writeLine("hello, daemon ✓", 1000);
  assert.equal(await p.server.readLine({ maxBytes: 100, timeoutMs: 1000 }), "hello, daemon ✓");
  await p.server.writeLine("hello, client", 1000);
  assert.equal(await p.client.readLine({ maxBytes: 100, timeoutMs: 1000 }), "hello, client");
  const me = { pid: Deno.pid, uid: Deno.uid(), gid: Deno.gid() };
  assert.deepEqual(p.server.peerCredentials(), me);
  assert.deepEqual(p.client.peerCredentials(), me);
});

Deno.test("the peer's credentials are those of the other process", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "unix-socket-test-" });
  using listener = UnixListener.listen(`${dir}/s`);
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); " +
      "s.sendall(b'hi\\n'); s.recv(10)",
      `${dir}/s`,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    using conn = (await listener.accept())!;
    assert.equal(await conn.readLine({ maxBytes: 10, timeoutMs: 5000 }), "hi");
    assert.deepEqual(conn.peerCredentials(), { pid: child.pid, uid: Deno.uid(), gid: Deno.gid() });
    await conn.writeLine("bye", 1000);
  } finally {
    assert.equal((await child.status).code, 0);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("bytes after a newline wait for the next readLine", async () => {
  await using p = await pair();
  await p.client.writeLine("one", 1000);
  await p.client.writeLine("two", 1000);
  await new Promise((r) => setTimeout(r, 20)); // both in one read, most likely
  assert.equal(await p.server.readLine({ maxBytes: 10, timeoutMs: 1000 }), "one");
  assert.equal(await p.server.readLine({ maxBytes: 10, timeoutMs: 1000 }), "two");
});

Deno.test("a peer that sends nothing: readLine times out", async () => {
  await using p = await pair();
  const start = Date.now();
  assert.equal(await reasonOf(p.server.readLine({ maxBytes: 10, timeoutMs: 150 })), "timeout");
  assert.ok(Date.now() - start >= 140, "it waited");
});

Deno.test("a line of exactly maxBytes passes; one byte more is too long, newline or not", async () => {
  await using p = await pair();
  await p.client.writeLine("x".repeat(100), 1000);
  assert.equal(await p.server.readLine({ maxBytes: 100, timeoutMs: 1000 }), "x".repeat(100));
  await p.client.writeLine("y".repeat(101), 1000);
  assert.equal(await reasonOf(p.server.readLine({ maxBytes: 100, timeoutMs: 1000 })), "too long");

  await using q = await pair();
  q.client.writeLine("z".repeat(10_000), 1000).catch(() => {}); // no newline reaches it in time
  assert.equal(await reasonOf(q.server.readLine({ maxBytes: 100, timeoutMs: 1000 })), "too long");
});

Deno.test("a peer that ends the stream in mid-line; a line that is not UTF-8", async () => {
  await using p = await pair();
  await p.client.writeLine("ok", 1000);
  p.client.close();
  assert.equal(await p.server.readLine({ maxBytes: 10, timeoutMs: 1000 }), "ok");
  assert.equal(
    await reasonOf(p.server.readLine({ maxBytes: 10, timeoutMs: 1000 })),
    "end of stream",
  );

  const dir = Deno.makeTempDirSync();
  using listener = UnixListener.listen(`${dir}/s`);
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); " +
      "s.sendall(b'\\xff\\xfe\\n')",
      `${dir}/s`,
    ],
  }).spawn();
  using conn = (await listener.accept())!;
  assert.equal(await reasonOf(conn.readLine({ maxBytes: 10, timeoutMs: 5000 })), "not UTF-8");
  await child.status;
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("writing to a peer that has gone fails with EPIPE, and nothing dies", async () => {
  await using p = await pair();
  p.server.close();
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(
    async () => {
      for (let i = 0; i < 100; i++) await p.client.writeLine("x".repeat(1000), 1000);
    },
    (e) => e instanceof SystemError && ["EPIPE", "errno 104"].includes(e.code),
  );
});

Deno.test("close() ends a pending accept and a pending read, and releases every fd", async () => {
  const before = openFds();
  const dir = Deno.makeTempDirSync();
  const listener = UnixListener.listen(`${dir}/s`);
  const client = await UnixConnection.connect(`${dir}/s`, 1000);
  const server = (await listener.accept())!;
  const accepting = listener.accept();
  // Its rejection is observed from the start: the two waits end in either order, and a
  // rejection nobody has observed by the end of its turn fails the whole test module.
  const reading = reasonOf(server.readLine({ maxBytes: 10, timeoutMs: 60_000 }));
  await new Promise((r) => setTimeout(r, 20)); // both are polling on worker threads now
  const start = Date.now();
  listener.close();
  server.close();
  assert.equal(await accepting, null);
  assert.equal(await reading, "closed");
  assert.ok(Date.now() - start < 5000);
  client.close();
  client.close(); // idempotent
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(openFds(), before);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("connect fails after its deadline when nobody listens, with the cause", async () => {
  const dir = Deno.makeTempDirSync();
  await assert.rejects(
    UnixConnection.connect(`${dir}/missing`, 100),
    (e) => e instanceof SystemError && e.code === "ENOENT" && e.message.includes(`${dir}/missing`),
  );
  // A socket file whose listener has gone: refused.
  UnixListener.listen(`${dir}/dead`).close();
  await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(
    UnixConnection.connect(`${dir}/dead`, 100),
    (e) => e instanceof SystemError && e.message.includes("Connection refused"),
  );
  assert.throws(() => UnixListener.listen(`${dir}/${"x".repeat(120)}`), RangeError);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("property: random lines of every size up to 64 KiB arrive whole, in order", async () => {
  await using p = await pair();
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.string({ unit: "grapheme-ascii", minLength: 10_000, maxLength: 65_000 }),
        ).map((s) => s.replaceAll("\n", " ")),
        { minLength: 1, maxLength: 4 },
      ),
      async (lines) => {
        const encoded = lines.filter((l) => new TextEncoder().encode(l).length <= 65536);
        const sending = (async () => {
          for (const l of encoded) await p.client.writeLine(l, 5000);
        })();
        for (const l of encoded) {
          assert.equal(await p.server.readLine({ maxBytes: 65536, timeoutMs: 5000 }), l);
        }
        await sending;
      },
    ),
    { numRuns: 60 },
  );
});

import assert from "node:assert/strict";
import fc from "fast-check";
import { bindServer, isNumericHost } from "../../server/bind.ts";

Deno.test("binds the first free port of a range on the asked-for address", () => {
  const a = bindServer("127.0.0.1", [0, 0]);
  assert.ok("socket" in a);
  const port = a.port;
  try {
    const b = bindServer("127.0.0.1", [port, port + 1]);
    assert.ok("socket" in b, "the next port of the range");
    assert.equal(b.port, port + 1);
    b.socket.close();
  } finally {
    a.socket.close();
  }
});

Deno.test("a port in use on every address is a clear error naming the port", () => {
  const taken = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const r = bindServer("127.0.0.1", [port, port]);
    assert.ok("messages" in r && !("socket" in r));
    const text = r.messages.join("\n");
    assert.match(text, new RegExp(`Failed binding to 127.0.0.1:${port}`));
    assert.match(text, /Error binding to any interface: bind: .*in use/i);
    assert.match(text, new RegExp(`could not bind a UDP socket on port ${port}.*-p`));
  } finally {
    taken.close();
  }
});

Deno.test("an address that is not ours falls back to any interface, saying so", () => {
  const r = bindServer("203.0.113.7", [0, 0]);
  assert.ok("socket" in r);
  assert.equal(r.hostname, "0.0.0.0");
  assert.match(r.messages.join("\n"), /Error binding to IP 203\.0\.113\.7: bind: /);
  r.socket.close();
});

/** glibc's answer: does getaddrinfo(host, "0", AI_PASSIVE|AI_NUMERICHOST|AI_NUMERICSERV) work? */
const glibc = Deno.dlopen("libc.so.6", {
  getaddrinfo: { parameters: ["buffer", "buffer", "buffer", "buffer"], result: "i32" },
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
}).symbols;
function glibcNumeric(host: string): boolean {
  const hints = new Uint8Array(new ArrayBuffer(48)); // struct addrinfo, 64-bit glibc
  const view = new DataView(hints.buffer);
  view.setInt32(0, 0x1 | 0x4 | 0x400, true); // AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV
  view.setInt32(8, 2, true); // SOCK_DGRAM
  const res = new BigUint64Array(new ArrayBuffer(8));
  const node = new TextEncoder().encode(host + "\0");
  const ok =
    glibc.getaddrinfo(node, new TextEncoder().encode("0\0"), hints, new Uint8Array(res.buffer)) ===
      0;
  if (ok) glibc.freeaddrinfo(Deno.UnsafePointer.create(res[0]));
  return ok;
}

Deno.test("isNumericHost agrees with glibc's getaddrinfo(AI_NUMERICHOST) on random hosts", () => {
  const fixed = [
    "127.0.0.1",
    "127.1",
    "0x7f.1",
    "2130706433",
    "0177.0.0.1",
    "256.1.1.1",
    "1.2.3.4.5",
    "",
    "list",
    "-x",
    "::1",
    "::ffff:1.2.3.4",
    "fe80::1%lo",
    "fe80::1%",
    "::1]/x[",
    "1..2",
    "0x",
    "08.1.1.1",
    "1.2.3.256",
    "1.2.65535",
    "1.2.65536",
    "localhost",
    "0.0.0.0",
    ":::",
  ];
  for (const host of fixed) {
    assert.equal(isNumericHost(host), glibcNumeric(host), JSON.stringify(host));
  }
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: fc.constantFrom(..."0123456789.xX"), maxLength: 16 }),
        fc.string({ unit: fc.constantFrom(..."0123456789abcdef:.%"), maxLength: 20 }),
        fc.tuple(fc.nat(300), fc.nat(300), fc.nat(70000)).map((p) => p.join(".")),
      ),
      (host) => isNumericHost(host) === glibcNumeric(host),
    ),
    { numRuns: 3000 },
  );
});

Deno.test("a name for the address is refused at once in mosh's words; any interface follows", () => {
  const r = bindServer("list", [0, 0]);
  assert.ok("socket" in r);
  try {
    assert.deepEqual(r.messages, [
      "Error binding to IP list: Bad IP address (list): Name or service not known: Success",
    ]);
    assert.equal(r.hostname, "0.0.0.0");
  } finally {
    r.socket.close();
  }
});

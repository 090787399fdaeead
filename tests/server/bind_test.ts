import assert from "node:assert/strict";
import { bindServer } from "../../server/bind.ts";

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

/**
 * `mosh-server new -i ADDR` listens on ADDR only: the daemon's one UDP socket is bound to it
 * (as `/proc/net/udp` shows), and a valid datagram sent to another local address of this
 * machine (127.0.0.2 is loopback too; the machine's other interfaces) reaches nothing, while
 * the same datagram sent to ADDR gets an answer. Debian's mosh-server is held to the same.
 */
import assert from "node:assert/strict";
import { type StartedServer, startServer } from "../e2e/_programs.ts";
import { moshMissing } from "../_debian_mosh.ts";
import { udpSocketsOf } from "./_proc.ts";
import { firstDatagram, listen, sleep, udpSocket } from "./_client.ts";
import { hasIpv6Loopback } from "../_ipv6.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** This machine's addresses other than `but`, of one family. */
function otherAddresses(family: "IPv4" | "IPv6", but: string): string[] {
  const mine = Deno.networkInterfaces()
    .filter((i) => i.family === family && i.address !== but && !i.address.startsWith("fe80"))
    .map((i) => i.address);
  return family === "IPv4" ? [...new Set(["127.0.0.2", ...mine])] : [...new Set(mine)];
}

let probes = 0n;

/**
 * Whether a valid datagram sent to `host` gets an answer within `ms`. Each probe is numbered
 * past the last and brings a new state, so that, were it delivered, the server would move to
 * its source (a client roaming) and acknowledge it there.
 */
async function answers(server: StartedServer, host: string, ms: number): Promise<boolean> {
  const socket = udpSocket(host.includes(":") ? "::" : "0.0.0.0");
  const heard = listen(socket);
  try {
    await socket.send(firstDatagram(server.key, ++probes, probes + 1n), {
      transport: "udp",
      hostname: host,
      port: server.port,
    })
      .catch(() => {});
    const deadline = Date.now() + ms;
    while (heard.datagrams.length === 0 && Date.now() < deadline) await sleep(20);
    return heard.datagrams.length > 0;
  } finally {
    socket.close();
  }
}

async function checkBinding(which: "ours" | "debian", address: string): Promise<void> {
  const family = address.includes(":") ? "IPv6" : "IPv4";
  const server = await startServer(which, ["-i", address, "-p", "0"], ["/bin/sh"]);
  try {
    const sockets = udpSocketsOf(server.pid);
    assert.deepStrictEqual(
      sockets.map((s) => [s.address, s.port]),
      [[address, server.port]],
      `${which} mosh-server's sockets: ${JSON.stringify(sockets)}`,
    );
    // Elsewhere first: the datagram is valid, and the first one to arrive would start the session.
    for (const other of otherAddresses(family, address)) {
      assert.equal(
        await answers(server, other, 400),
        false,
        `${which} mosh-server answered on ${other}`,
      );
    }
    assert.equal(
      await answers(server, address, 3000),
      true,
      `${which} mosh-server is silent on ${address}`,
    );
  } finally {
    server.stop();
  }
}

Deno.test({
  name:
    "mosh-server new -i 127.0.0.1 listens on 127.0.0.1 only, not on 127.0.0.2 or other interfaces",
  ...e2e,
  async fn() {
    await checkBinding("ours", "127.0.0.1");
  },
});

Deno.test({
  name: "mosh-server new -i ::1 listens on ::1 only",
  ignore: !hasIpv6Loopback(),
  ...e2e,
  async fn() {
    await checkBinding("ours", "::1");
  },
});

Deno.test({
  name: "Debian's mosh-server new -i 127.0.0.1 binds the same way (the reference)",
  ignore: moshMissing,
  ...e2e,
  async fn() {
    await checkBinding("debian", "127.0.0.1");
  },
});

/**
 * Records a real mosh 1.4.0 session (Debian's mosh-client against Debian's mosh-server) as a
 * test fixture: the session key and every datagram in both directions, in order.
 *
 * Usage: deno run -A tools/record_mosh_capture.ts tests/fixtures/mosh-1.4.0-session.json
 *
 * How: `mosh-server new` on loopback prints its key; a UDP relay between the client and the
 * server logs each datagram; `mosh-client` runs inside tmux (a real pty) and is typed at with
 * `tmux send-keys`: `echo hi`, Enter, then Ctrl-^ . to quit. Needs mosh and tmux installed.
 */

const out = Deno.args[0] ?? "tests/fixtures/mosh-1.4.0-session.json";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const server = new Deno.Command("mosh-server", {
  args: ["new", "-i", "127.0.0.1", "-p", "0", "-c", "256", "-l", "LANG=C.UTF-8", "--", "/bin/sh"],
  env: { LANG: "C.UTF-8", SHELL: "/bin/sh", PS1: "$ " },
  stdout: "piped",
  stderr: "piped",
}).outputSync();
const text = new TextDecoder().decode(server.stdout);
const m = text.match(/MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})/);
if (!m) throw new Error(`no MOSH CONNECT line in: ${text}`);
const serverPort = Number(m[1]);
const key = m[2];
const pid = new TextDecoder().decode(server.stderr).match(/pid = (\d+)/)?.[1];

const front = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const back = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const relayPort = (front.addr as Deno.NetAddr).port;
const datagrams: { dir: "c2s" | "s2c"; hex: string }[] = [];
let clientAddr: Deno.Addr | undefined;
let running = true;

(async () => {
  while (running) {
    const [data, from] = await front.receive().catch(() => [null, null] as const);
    if (!data || !from) break;
    clientAddr = from;
    datagrams.push({ dir: "c2s", hex: hex(data) });
    await back.send(data, { transport: "udp", hostname: "127.0.0.1", port: serverPort });
  }
})();
(async () => {
  while (running) {
    const [data] = await back.receive().catch(() => [null] as const);
    if (!data) break;
    datagrams.push({ dir: "s2c", hex: hex(data) });
    if (clientAddr) await front.send(data, clientAddr);
  }
})();

const tmux = (...args: string[]) => new Deno.Command("tmux", { args }).outputSync();
const session = `capture${Deno.pid}`;
tmux(
  "new-session",
  "-d",
  "-s",
  session,
  "-x",
  "80",
  "-y",
  "24",
  `env MOSH_KEY=${key} LANG=C.UTF-8 TERM=xterm-256color mosh-client 127.0.0.1 ${relayPort}`,
);
await sleep(1500);
tmux("send-keys", "-t", session, "-l", "echo hi");
await sleep(300);
tmux("send-keys", "-t", session, "Enter");
await sleep(1500);
tmux("send-keys", "-t", session, "C-^");
tmux("send-keys", "-t", session, "-l", ".");
await sleep(1500);
tmux("kill-session", "-t", session);
running = false;
front.close();
back.close();
if (pid) {
  try {
    Deno.kill(Number(pid), "SIGTERM");
  } catch { /* already gone */ }
}

const fixture = {
  note: "A real mosh 1.4.0 session recorded by tools/record_mosh_capture.ts: Debian's " +
    "mosh-client typed `echo hi`, Enter, then Ctrl-^ . against Debian's mosh-server running " +
    "/bin/sh. Datagrams are in relay order; c2s = client to server.",
  key,
  datagrams,
};
Deno.writeTextFileSync(out, JSON.stringify(fixture, null, 1) + "\n");
console.log(`recorded ${datagrams.length} datagrams to ${out}`);

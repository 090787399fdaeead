/**
 * The recorded screens of real programs (tests/fixtures/screens) replayed on the server's pty
 * and drawn through each pair of programs: Debian's mosh-client and mosh-server, ours, and the
 * two mixed pairs. What the user's terminal (tmux) shows must be the same for all four.
 */
import assert from "node:assert/strict";
import { moshMissing } from "../_debian_mosh.ts";
import { shellQuote, Tmux } from "../e2e/_tmux.ts";
import { clientCommand, startServer } from "../e2e/_programs.ts";

type Kind = "ours" | "debian";
const FIXTURES: [string, number, number][] = [
  ["vi.bin", 80, 24],
  ["less.bin", 80, 24],
  ["top.bin", 80, 24],
  ["ls.bin", 80, 24],
  ["utf8.bin", 40, 12],
];
const dir = new URL("../fixtures/screens/", import.meta.url).pathname;

async function replay(client: Kind, server: Kind, file: string, w: number, h: number) {
  const marker = "REPLAY-DONE";
  // Recordings hold queries (vi asks for the cursor position): each emulator answers on the
  // pty, and with echo on the answer would land on screen wherever the replay happened to be.
  const command = [
    "/bin/sh",
    "-c",
    `stty -echo; cat ${shellQuote(dir + file)}; sleep 0.5; printf ${marker}; sleep 30`,
  ];
  const s = await startServer(server, ["-i", "127.0.0.1", "-p", "0", "-c", "256"], command);
  // Our client without native scrollback is mosh's client: these screens are mosh's own pair's.
  // (With it, the alternate screen is real: tests/e2e/scrollback_test.ts.)
  const env: Record<string, string> = client === "ours" ? { MOSH_NO_SCROLLBACK: "1" } : {};
  const tmux = await Tmux.start(
    `sh -c ${shellQuote(clientCommand(client, s, env) + "; sleep 30")}`,
    {
      width: w,
      height: h,
    },
  );
  try {
    await tmux.waitFor((x) => x.includes(marker), 10_000, `${client}/${server} ${file}`);
    return await tmux.settled();
  } finally {
    await tmux.close();
    s.stop();
  }
}

for (const [file, w, h] of FIXTURES) {
  Deno.test({
    name: `${file}: the four client/server pairs show the same screen`,
    ignore: moshMissing,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const pairs: [Kind, Kind][] = [["debian", "debian"], ["debian", "ours"], ["ours", "debian"], [
        "ours",
        "ours",
      ]];
      const screens = await Promise.all(pairs.map(([c, s]) => replay(c, s, file, w, h)));
      for (let i = 1; i < pairs.length; i++) {
        assert.equal(screens[i], screens[0], `${pairs[i][0]} client / ${pairs[i][1]} server`);
      }
    },
  });
}

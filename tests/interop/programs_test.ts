/**
 * Interop with Debian's mosh 1.4.0, programs against programs: Debian's mosh-client with our
 * mosh-server, ours with Debian's, and for one typed script the screens of each mixed pair
 * (tmux `capture-pane -e`: text and colours) equal those of Debian's own pair.
 */
import assert from "node:assert/strict";
import { moshMissing } from "../_debian_mosh.ts";
import { shellQuote, sleep, Tmux } from "../e2e/_tmux.ts";
import { clientCommand, SHELL, SHELL_ENV, startServer, waitGone } from "../e2e/_programs.ts";

type Kind = "ours" | "debian";
const COLORS =
  String.raw`printf '\e[1;31mbold red\e[0m \e[38;5;200mpink\e[0m \e[38;2;10;20;30mrgb\e[0m ` +
  String.raw`\e[4;44munder blue\e[0m \e[7minverse\e[0m\n'`;
const UTF8 = "echo 'héllo wörld 漢字 ½ ünïcödé'";

/** Runs the script on a `client`/`server` pair; returns the screens after each step. */
async function script(client: Kind, server: Kind): Promise<string[]> {
  const s = await startServer(
    server,
    ["-i", "127.0.0.1", "-p", "0", "-c", "256"],
    SHELL,
    SHELL_ENV,
  );
  const after = `; echo "exit=$?"; sleep 30`;
  const tmux = await Tmux.start(`sh -c ${shellQuote(clientCommand(client, s) + after)}`);
  const screens: string[] = [];
  try {
    await tmux.waitFor((x) => /^\$\s*$/m.test(x), 10_000, `${client}/${server}: the prompt`);
    await tmux.type(COLORS);
    await tmux.keys("Enter");
    await tmux.type(UTF8);
    await tmux.keys("Enter");
    await tmux.waitFor((x) => x.includes("ünïcödé\n"), 5000, "the output");
    screens.push(await tmux.settled());
    await tmux.resize(100, 30);
    await sleep(300);
    await tmux.type("stty size");
    await tmux.keys("Enter");
    await tmux.waitFor((x) => x.includes("30 100"), 5000, `${client}/${server}: the resize`);
    screens.push(await tmux.settled());
    await tmux.keys("C-^");
    await tmux.type(".");
    const end = await tmux.waitFor((x) => x.includes("exit="), 10_000, `${client}/${server}: exit`);
    assert.match(end, /exit=0/, `${client} client / ${server} server did not exit cleanly`);
    assert.ok(await waitGone(s.pid, 5000), `${server} server still running after the quit`);
    return screens;
  } finally {
    await tmux.close();
    s.stop();
  }
}

const interop = { ignore: moshMissing, sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "mixed pairs show exactly the screens of Debian's own pair (colours, UTF-8, resize)",
  ...interop,
  async fn() {
    const reference = await script("debian", "debian");
    assert.match(reference[0], /bold red/);
    for (
      const [client, server] of [["debian", "ours"], ["ours", "debian"], ["ours", "ours"]] as const
    ) {
      const screens = await script(client, server);
      for (let i = 0; i < reference.length; i++) {
        assert.equal(
          screens[i],
          reference[i],
          `${client} client / ${server} server, screen ${i + 1} differs from Debian's pair`,
        );
      }
    }
  },
});

Deno.test({
  name: "terminal queries are answered by our server, and Debian's client is never asked",
  ...interop,
  async fn() {
    // The application asks for device attributes and the cursor position and prints the
    // answers. Debian's mosh-client aborts if host bytes make its emulator reply.
    const probe = String.raw`stty raw -echo; printf '\033[c'; IFS= read -r -d c a; ` +
      String.raw`printf '\033[3;5H\033[6n'; IFS= read -r -d R b; stty sane; ` +
      String.raw`printf '\r\nDA=%q CPR=%q\r\n' "$a" "$b"; sleep 30`;
    const s = await startServer("ours", ["-i", "127.0.0.1", "-p", "0"], ["/bin/bash", "-c", probe]);
    const tmux = await Tmux.start(`sh -c ${shellQuote(clientCommand("debian", s) + "; sleep 30")}`);
    try {
      const screen = await tmux.waitFor((x) => x.includes("CPR="), 10_000, "the answers");
      assert.ok(
        screen.includes(String.raw`DA=$'\E[?62'`),
        "device attributes answered by the server",
      );
      assert.ok(
        screen.includes(String.raw`CPR=$'\E[3;5'`),
        "cursor position answered by the server",
      );
      assert.ok(s.alive(), "our server is running");
      assert.doesNotMatch(await tmux.screen(), /Assertion|abort|mosh is exiting/i);
    } finally {
      await tmux.close();
      s.stop();
    }
  },
});

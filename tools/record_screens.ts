/**
 * Records the raw pty output of real programs as fixtures for `tests/core/terminal/
 * fixtures_test.ts`: vi editing a file, less paging one, interactive top refreshing, a coloured
 * `ls -l`, and a UTF-8 text with wide characters, emoji and combining marks.
 *
 * Usage: deno run -A tools/record_screens.ts [out-dir]   (default tests/fixtures/screens)
 *
 * How: each program runs in its own tmux server (socket `denomosh-rec`, so no other tmux is
 * touched) with TERM=xterm-256color and LANG=C.UTF-8, like a shell under mosh-server. The pane
 * waits for a key before starting the program; `pipe-pane -o` then copies everything the program
 * writes to the pty into `<name>.bin`, and `send-keys` types at it with pauses, so the output
 * arrives in the bursts a real session has. A note of what was typed goes into
 * `<out-dir>/README.md`. Needs tmux, vim, less, procps.
 */

const OUT = Deno.args[0] ?? "tests/fixtures/screens";
const SOCKET = "denomosh-rec";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A key press for `tmux send-keys`, or a pause in milliseconds. */
type Key = string | number;

interface Recording {
  name: string;
  what: string;
  width: number;
  height: number;
  command: string;
  keys: Key[];
}

function tmux(...args: string[]): string {
  const out = new Deno.Command("tmux", {
    args: ["-L", SOCKET, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  if (!out.success) {
    throw new Error(`tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A text file to look at: prose, a long line, numbers, and some UTF-8. */
function sampleText(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 120; i++) {
    if (i % 17 === 0) {
      lines.push(`${i}: ${"a long line that wraps around the right margin ".repeat(3)}`);
    } else if (i % 11 === 0) lines.push(`${i}: naïve café — 日本語のテキスト 😀 e\u0301 ñ`);
    else lines.push(`${i}: The quick brown fox jumps over the lazy dog.`);
  }
  return lines.join("\n") + "\n";
}

function utf8Text(): string {
  return [
    "Wide: 中文字符 日本語 한국어 ＦＵＬＬＷＩＤＴＨ",
    "Emoji: 😀 🎉 👍🏽 🇫🇷 👨‍👩‍👧 ❤️",
    "Combining: e\u0301 a\u0308 o\u0303\u0301 Z\u0335\u0321\u0334a\u0336\u0317l\u0338go \u0301alone",
    "Mixed at the margin: " + "中".repeat(30),
    "Box: ┌─┬─┐ │ │ │ └─┴─┘ ░▒▓█",
    "Latin-1: ¡¿ ÀÉÎÕÜ ß ÿ, symbols: € ™ ∑ √ ∞ ≠",
  ].join("\n") + "\n";
}

function stopServer(): void {
  try {
    tmux("kill-server");
  } catch { /* not running */ }
}

async function record(r: Recording, dir: string, tmp: string): Promise<void> {
  const file = `${dir}/${r.name}.bin`;
  const script = `${tmp}/${r.name}.sh`;
  await Deno.writeTextFile(script, r.command + "\n");
  stopServer();
  tmux(
    "-f",
    "/dev/null",
    "new-session",
    "-d",
    "-s",
    "rec",
    "-x",
    String(r.width),
    "-y",
    String(r.height),
    "-e",
    "TERM=xterm-256color",
    "-e",
    "LANG=C.UTF-8",
    `sh -c 'read go; sh ${script}; sleep 5'`,
  );
  tmux("set-option", "-g", "default-terminal", "xterm-256color");
  tmux("pipe-pane", "-o", "-t", "rec", `cat > '${file}'`);
  await sleep(200);
  tmux("send-keys", "-t", "rec", "Enter");
  await sleep(800);
  for (const k of r.keys) {
    if (typeof k === "number") await sleep(k);
    else tmux("send-keys", "-t", "rec", k);
  }
  await sleep(1000);
  tmux("pipe-pane", "-t", "rec");
  stopServer();
  console.log(`${file}: ${(await Deno.stat(file)).size} bytes`);
}

const dir = OUT;
await Deno.mkdir(dir, { recursive: true });
const tmp = await Deno.makeTempDir({ prefix: "denomosh-rec-" });
await Deno.writeTextFile(`${tmp}/sample.txt`, sampleText());
await Deno.writeTextFile(`${tmp}/utf8.txt`, utf8Text());

const recordings: Recording[] = [
  {
    name: "vi",
    what:
      "vim (no vimrc) editing a 120-line file: paging, search, line numbers, an insert, undo, quit",
    width: 80,
    height: 24,
    command: `vim -u NONE -N -c 'syntax on' ${tmp}/sample.txt`,
    keys: [
      "C-d",
      300,
      "C-d",
      300,
      "/lazy",
      "Enter",
      300,
      ":set nu",
      "Enter",
      300,
      "G",
      300,
      "gg",
      300,
      "15j",
      300,
      "o",
      "inserted line 日本 😀",
      "Escape",
      300,
      "u",
      300,
      "C-u",
      300,
      ":q!",
      "Enter",
    ],
  },
  {
    name: "less",
    what: "less on the same file: page down, search, wrapped long lines, end, start, quit",
    width: 80,
    height: 24,
    command: `less ${tmp}/sample.txt`,
    keys: ["Space", 300, "Space", 300, "/wraps", "Enter", 300, "G", 300, "g", 300, "b", 300, "q"],
  },
  {
    name: "top",
    what: "interactive top refreshing every 0.4 s for about 2 s, then q",
    width: 80,
    height: 24,
    command: "top -d 0.4",
    keys: [2000, "q"],
  },
  {
    name: "ls",
    what: "`ls --color=always -l /usr/bin | head -40` (its last 24 lines stay on screen)",
    width: 80,
    height: 24,
    command: "ls --color=always -l /usr/bin | head -40",
    keys: [],
  },
  {
    name: "utf8",
    what:
      "`cat` of a UTF-8 text (wide CJK, emoji with modifiers and ZWJ, combining marks, a mark " +
      "on its own, wide characters wrapping at the margin) in a 40x12 window",
    width: 40,
    height: 12,
    command: `cat ${tmp}/utf8.txt`,
    keys: [],
  },
];

for (const r of recordings) await record(r, dir, tmp);
await Deno.remove(tmp, { recursive: true });

const notes = [
  "# Screens of real programs",
  "",
  "Raw pty output (bytes exactly as the program wrote them), recorded with",
  "`deno run -A tools/record_screens.ts` on Debian 12 (tmux 3.3a, vim 9.0, less 590, procps top),",
  "TERM=xterm-256color, LANG=C.UTF-8. `tests/core/terminal/fixtures_test.ts` feeds each file in",
  "chunks through a server emulator, `newFrame` and a client emulator, and checks that the client",
  "holds the server's frame after every chunk.",
  "",
  "| file | size | what |",
  "| --- | --- | --- |",
  ...recordings.map((r) =>
    `| ${r.name}.bin | ${r.width}x${r.height} | ${r.what.replaceAll("|", "\\|")} |`
  ),
  "",
];
await Deno.writeTextFile(`${dir}/README.md`, notes.join("\n"));

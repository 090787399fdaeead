/**
 * Records what Debian's `mosh` (mosh 1.4.0's Perl wrapper) does for each row of two tables, as
 * the fixture tests/fixtures/mosh-1.4.0-wrapper.json that the tests of cli/ssh_command.ts and
 * cli/bootstrap_line.ts check us against:
 *
 * - `ssh`: for mosh's arguments and environment, the ssh command line it runs (or, for
 *   `--local`, the mosh-server arguments), and SHELL and friends in ssh's environment;
 * - `bootstrap`: for the lines ssh prints, what mosh shows, what it says on stderr, and the
 *   address, port and key it starts the client with.
 *
 * Usage: deno run -A tools/record_mosh_wrapper.ts [tests/fixtures/mosh-1.4.0-wrapper.json]
 *
 * How: stand-ins for ssh, mosh-server and mosh-client record how they were run (see
 * tests/interop/_record_mosh.ts). Needs Debian's mosh. tests/interop/mosh_wrapper_test.ts
 * records every row again and compares.
 */

import {
  type BootstrapInput,
  recordBootstrapCase,
  recordSshCase,
  type SshInput,
} from "../tests/interop/_record_mosh.ts";

const U = { LANG: "C.UTF-8" };
const KEY = "4NeCCgvZFe2RnPgrcU1PQw";

export const SSH_INPUTS: SshInput[] = [
  { name: "the defaults", args: ["host"], env: {} },
  { name: "user@host and LANG", args: ["user@host"], env: U },
  { name: "--ssh with an option", args: ["--ssh=ssh -p 2222", "host"], env: U },
  {
    name: "--ssh split with double quotes",
    args: [`--ssh=ssh -o "ProxyJump=a b" -i "my key"`, "host"],
    env: U,
  },
  {
    name: "--ssh split with single quotes and a backslash",
    args: [`--ssh=ssh -o 'User=x\\'y' -i a\\ b`, "host"],
    env: U,
  },
  {
    name: "--ssh with a backslash in double quotes",
    args: [`--ssh=ssh -F "c:\\cfg"`, "host"],
    env: U,
  },
  {
    name: "--ssh with a quoted empty word and spaces around",
    args: [`--ssh=  "ssh"  -l ""  `, "host"],
    env: U,
  },
  { name: "--ssh as a separate argument", args: ["--ssh", "ssh -4 -v", "host"], env: U },
  { name: "--no-ssh-pty", args: ["--no-ssh-pty", "host"], env: U },
  { name: "--nossh-pty", args: ["--nossh-pty", "host"], env: U },
  { name: "-4 goes to the proxy", args: ["-4", "host"], env: U },
  { name: "-6 goes to the proxy", args: ["-6", "host"], env: U },
  { name: "--family is lower-cased", args: ["--family=INET6", "host"], env: U },
  { name: "--family=auto", args: ["--family=auto", "host"], env: U },
  { name: "--family=all", args: ["--family=all", "host"], env: U },
  { name: "--family=prefer-inet6", args: ["--family=prefer-inet6", "host"], env: U },
  {
    name: "remote IP: no proxy, SSH_CONNECTION printed",
    args: ["--experimental-remote-ip=remote", "host"],
    env: U,
  },
  { name: "remote IP with -4", args: ["--experimental-remote-ip=remote", "-4", "host"], env: U },
  { name: "remote IP with -6", args: ["--experimental-remote-ip=remote", "-6", "host"], env: U },
  {
    name: "remote IP with --family=INET",
    args: ["--experimental-remote-ip=remote", "--family=INET", "host"],
    env: U,
  },
  {
    name: "remote IP with --family=all",
    args: ["--experimental-remote-ip=remote", "--family=all", "host"],
    env: U,
  },
  {
    name: "local IP: no proxy, no -4",
    args: ["--experimental-remote-ip=local", "-4", "me@192.0.2.7"],
    env: U,
  },
  {
    name: "local IP resolves the host",
    args: ["--experimental-remote-ip=local", "-4", "me@localhost"],
    env: U,
    userhost: "me@127.0.0.1",
  },
  { name: "-p PORT", args: ["-p", "60001", "host"], env: U },
  { name: "--port=RANGE", args: ["--port=60001:60010", "host"], env: U },
  { name: "--port=0", args: ["--port=0", "host"], env: U },
  { name: "--bind-server=any", args: ["--bind-server=any", "host"], env: U },
  { name: "--bind-server=ANY", args: ["--bind-server=ANY", "host"], env: U },
  { name: "--bind-server=SSH", args: ["--bind-server=SSH", "host"], env: U },
  { name: "--bind-server=IP", args: ["--bind-server=192.0.2.9", "host"], env: U },
  { name: "--bind-server=IPv6", args: ["--bind-server=::1", "host"], env: U },
  { name: "--server with a tilde", args: ["--server=~/bin/mosh-server", "host"], env: U },
  {
    name: "--server is a shell fragment, not quoted",
    args: ["--server=PATH=$HOME/x:$PATH mosh-server -v 'a b'", "host"],
    env: U,
  },
  { name: "a remote command after --", args: ["host", "--", "ls", "-la"], env: U },
  { name: "a remote command without --", args: ["host", "top"], env: U },
  {
    name: "a remote command with quotes",
    args: ["--", "host", "sh", "-c", `echo 'hi' "there" $HOME`],
    env: U,
  },
  {
    name: "a remote command with an empty word and UTF-8",
    args: ["host", "--", "printf", "", "héllo ✓"],
    env: U,
  },
  {
    name: "every locale variable, in mosh's order",
    args: ["host"],
    env: {
      LC_ALL: "C.UTF-8",
      LC_IDENTIFICATION: "C",
      LC_MEASUREMENT: "C",
      LC_TELEPHONE: "C",
      LC_ADDRESS: "C",
      LC_NAME: "C",
      LC_PAPER: "C",
      LC_MESSAGES: "C",
      LC_MONETARY: "C",
      LC_COLLATE: "C",
      LC_TIME: "C",
      LC_NUMERIC: "C",
      LC_CTYPE: "C.UTF-8",
      LANGUAGE: "en:fr",
      LANG: "C.UTF-8",
    },
  },
  {
    name: "an empty locale variable is sent",
    args: ["host"],
    env: { LANG: "", LC_CTYPE: "C.UTF-8" },
  },
  {
    name: "other LC_ variables are not sent",
    args: ["host"],
    env: { LC_CTYPE: "C.UTF-8", LC_FOO: "x", LOCALE: "y" },
  },
  { name: "no locale at all", args: ["host"], env: {} },
  { name: "8 colours", args: ["host"], env: U, colors: "8" },
  { name: "no colour count", args: ["host"], env: U, colors: "0" },
  {
    name: "prediction, overwrite, init and client options change nothing here",
    args: ["-a", "-o", "--no-init", "--predict=never", "host"],
    env: { ...U, MOSH_PREDICTION_DISPLAY: "always" },
  },
  {
    name: "SHELL is /bin/sh for the proxy",
    args: ["host"],
    env: { ...U, SHELL: "/bin/zsh", SSH_CONNECTION: "10.0.0.1 5 10.0.0.2 22" },
  },
  {
    name: "SHELL is kept without the proxy",
    args: ["--experimental-remote-ip=remote", "host"],
    env: { ...U, SHELL: "/bin/zsh" },
  },
  {
    name: "everything at once",
    args: [
      "--ssh=ssh -p 2",
      "--no-ssh-pty",
      "-6",
      "--experimental-remote-ip=remote",
      "--bind-server=::1",
      "-p",
      "61000:61010",
      "--server=/opt/mosh-server",
      "user@host",
      "--",
      "top",
      "-d",
      "1",
    ],
    env: { LANG: "C.UTF-8", LC_ALL: "C.UTF-8" },
    colors: "16777216",
  },
  { name: "local: bind to the host given", args: ["--local", "127.0.0.1"], env: U, local: true },
  {
    name: "local: SSH_CONNECTION removed, SHELL kept",
    args: ["--local", "localhost"],
    env: { ...U, SHELL: "/bin/zsh", SSH_CONNECTION: "a b c d" },
    local: true,
  },
  {
    name: "local: --bind-server=any",
    args: ["--local", "--bind-server=any", "127.0.0.1"],
    env: U,
    local: true,
  },
  {
    name: "local: --bind-server=IP, a port and a command",
    args: ["--local", "--bind-server=10.0.0.1", "-p", "60005", "127.0.0.1", "--", "ls", "it's"],
    env: U,
    local: true,
  },
];

export const BOOTSTRAP_INPUTS: BootstrapInput[] = [
  {
    name: "address and port: the client starts",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "other lines are shown; those after MOSH CONNECT are not",
    args: ["h"],
    lines: [
      "Last login: today",
      "",
      "MOSH IP 192.0.2.1",
      "héllo ✓",
      `MOSH CONNECT 60001 ${KEY}`,
      "after",
      "MOSH IP 1.1.1.1",
    ],
  },
  {
    name: "IPv6 address, key with / and +",
    args: ["h"],
    lines: ["MOSH IP 2001:db8::1", "MOSH CONNECT 60999 ab/+CDEFGHIJKLMNOPQRST"],
  },
  {
    name: "trailing whitespace is allowed",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1 \t ", `MOSH CONNECT 60001 ${KEY} \t`],
  },
  {
    name: "a long port is taken as it is",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 6000100 ${KEY}`],
  },
  {
    name: "MOSH IP after MOSH CONNECT is never read",
    args: ["h"],
    lines: [`MOSH CONNECT 60001 ${KEY}`, "MOSH IP 192.0.2.1"],
  },
  {
    name: "a 21-character key",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 60001 ${KEY.slice(1)}`],
  },
  {
    name: "a 23-character key",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 60001 ${KEY}A`],
  },
  {
    name: "a padded key",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 60001 ${KEY}==`],
  },
  {
    name: "a port that is not a number",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 6000a ${KEY}`],
  },
  {
    name: "two spaces before the key",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 60001  ${KEY}`],
  },
  {
    name: "MOSH CONNECT with nothing after it is shown",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", "MOSH CONNECT", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "MOSH CONNECT and a space is malformed",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", "MOSH CONNECT "],
  },
  {
    name: "MOSH IP with two words",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1 x", `MOSH CONNECT 60001 ${KEY}`],
  },
  { name: "MOSH IP with nothing after it", args: ["h"], lines: ["MOSH IP "] },
  {
    name: "a second MOSH IP",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", "MOSH IP 192.0.2.2", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "a malformed second MOSH IP is a redefinition first",
    args: ["h"],
    lines: ["MOSH IP 192.0.2.1", "MOSH IP a b"],
  },
  {
    name: "the first malformed line ends it; later lines are not shown",
    args: ["h"],
    lines: ["MOSH IP a b", "after", "MOSH IP 192.0.2.1"],
  },
  {
    name: "an address resolved here cannot be redefined",
    args: ["--experimental-remote-ip=local", "me@192.0.2.7"],
    lines: ["MOSH IP 192.0.2.1", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "an address resolved here is used",
    args: ["--experimental-remote-ip=local", "me@192.0.2.7"],
    lines: [`MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "the address from SSH_CONNECTION, with a warning",
    args: ["me@h"],
    lines: ["", "MOSH SSH_CONNECTION 198.51.100.1 5555 192.0.2.3 22", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "SSH_CONNECTION with extra whitespace",
    args: ["h"],
    lines: ["MOSH SSH_CONNECTION  198.51.100.1 \t5555 192.0.2.3 22 ", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "SSH_CONNECTION with three words",
    args: ["h"],
    lines: ["MOSH SSH_CONNECTION 198.51.100.1 5555 192.0.2.3"],
  },
  {
    name: "SSH_CONNECTION with five words",
    args: ["h"],
    lines: ["MOSH SSH_CONNECTION 198.51.100.1 5555 192.0.2.3 22 x"],
  },
  {
    name: "MOSH IP wins over SSH_CONNECTION",
    args: ["h"],
    lines: [
      "MOSH SSH_CONNECTION 198.51.100.1 5555 192.0.2.3 22",
      "MOSH IP 192.0.2.1",
      `MOSH CONNECT 60001 ${KEY}`,
    ],
  },
  {
    name: "SSH_CONNECTION without MOSH CONNECT: the warning, then the error",
    args: ["h"],
    lines: ["MOSH SSH_CONNECTION 198.51.100.1 5555 192.0.2.3 22"],
  },
  { name: "nothing at all", args: ["h"], lines: [] },
  { name: "only text", args: ["h"], lines: ["bash: mosh-server: command not found"] },
  { name: "no MOSH CONNECT", args: ["h"], lines: ["MOSH IP 192.0.2.1", "mosh-server: oops"] },
  {
    name: "a refused port range",
    args: ["-p", "60001:60010", "h"],
    lines: ["MOSH IP 192.0.2.1", "Bad UDP port (60001:60010)"],
  },
  {
    name: "Bad UDP port without a range",
    args: ["-p", "60001", "h"],
    lines: ["MOSH IP 192.0.2.1", "Bad UDP port (60001:60010)"],
  },
  {
    name: "Bad UDP port, then MOSH CONNECT",
    args: ["-p", "60001:60010", "h"],
    lines: ["MOSH IP 192.0.2.1", "Bad UDP port", `MOSH CONNECT 60001 ${KEY}`],
  },
  {
    name: "look-alikes are shown",
    args: ["h"],
    lines: [
      "MOSH IPX 1",
      "mosh IP 192.0.2.9",
      " MOSH IP 192.0.2.9",
      "MOSH  IP 192.0.2.9",
      "MOSH IP 192.0.2.1",
      `MOSH CONNECT 60001 ${KEY}`,
    ],
  },
];

if (import.meta.main) {
  const out = Deno.args[0] ?? "tests/fixtures/mosh-1.4.0-wrapper.json";
  const ssh = [];
  for (const input of SSH_INPUTS) ssh.push(await recordSshCase(input));
  const bootstrap = [];
  for (const input of BOOTSTRAP_INPUTS) bootstrap.push(await recordBootstrapCase(input));
  const note = "What Debian's mosh 1.4.0 wrapper (/usr/bin/mosh) did for each row, recorded by " +
    "tools/record_mosh_wrapper.ts with stand-ins for ssh, mosh-server and mosh-client " +
    "(tests/interop/_record_mosh.ts). ssh: argv is what ssh (or, for local, the server) got " +
    "after its own name; mosh's $0 was /usr/bin/mosh and --client printed colors (256 when " +
    "absent). bootstrap: what mosh printed and the client it started.";
  await Deno.writeTextFile(out, JSON.stringify({ note, ssh, bootstrap }, null, 2) + "\n");
  console.log(`${out}: ${ssh.length} ssh rows, ${bootstrap.length} bootstrap rows`);
}

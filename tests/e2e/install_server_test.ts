/**
 * `mosh` installing its server on a host that has none (docs/install.md), through a real sshd
 * on loopback into a second, unprivileged user whose PATH has no mosh-server (see
 * tests/e2e/_remote_user.ts for how: its login shell sets a PATH of links to /usr/bin without
 * mosh's programs, as a profile would; Debian's mosh stays installed for the other tests).
 *
 * The `--ssh` is a small wrapper around the real ssh that logs each session (so a test can
 * count the probes and the copies) and can pass the copy through tests/e2e/_pipe_shim.ts, a
 * slow link (`throttle`) or a bad one (`flip` a byte); it records the copy's ssh pid, so a test
 * can kill exactly that process mid-copy.
 *
 * Needs root (sshd, useradd); skipped with the reason otherwise.
 */
import assert from "node:assert/strict";
import { selfCommand } from "../../cli/self.ts";
import { LAUNCHER_MARK } from "../../cli/launcher.ts";
import { unamePlatform } from "../../cli/install_plan.ts";
import { shellQuote, sleep, Tmux } from "./_tmux.ts";
import { runNoTerminal } from "./_programs.ts";
import { type Sshd, sshdUnavailable, startSshd } from "./_sshd.ts";
import { REMOTE_HOME, type RemoteUser, remoteUser, remoteUserUnavailable } from "./_remote_user.ts";

const why = sshdUnavailable() ?? remoteUserUnavailable();
if (why) console.warn(why);

const LOCAL = `${REMOTE_HOME}/.local`;
/** The flag {@link remoteFiles} adds to the mode of a regular file. */
const REGULAR = 0o1000;
const SHIM = new URL("./_pipe_shim.ts", import.meta.url).pathname;
const AFTER = `; echo "exit=$?"; sleep 60`;
const HERE = unamePlatform(Deno.build.os, Deno.build.arch);

/** The test's `--ssh`: the real ssh, logged, the copy passed through `shim` when given. */
interface SshWrapper {
  /** The `--ssh=` value. */
  ssh: string;
  /** The remote commands of the sessions so far. */
  log(): Promise<string[]>;
  /** The pid of the copy's ssh, once it runs. */
  copyPid(): Promise<number | null>;
}

let wrappers = 0;

async function sshWrapper(work: string, sshd: Sshd, shim?: string[]): Promise<SshWrapper> {
  const dir = `${work}/ssh-${++wrappers}`;
  await Deno.mkdir(dir);
  const pipe = shim
    ? [Deno.execPath(), "run", "-A", SHIM, ...shim].map(shellQuote).join(" ")
    : "cat";
  await Deno.writeTextFile(
    `${dir}/ssh`,
    [
      "#!/bin/sh",
      `echo "$*" >> ${shellQuote(`${dir}/log`)}`,
      'case "$*" in',
      `  *denomosh-install*) ${pipe} | sh -c 'echo $$ > "$0"; exec ssh "$@"' ` +
      `${shellQuote(`${dir}/copy.pid`)} "$@" ;;`,
      '  *) exec ssh "$@" ;;',
      "esac",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return {
    ssh: `${dir}/ssh ${sshd.sshCommand.replace(/^ssh /, "")}`,
    log: async () =>
      (await Deno.readTextFile(`${dir}/log`).catch(() => "")).split("\n").filter((l) => l),
    copyPid: async () => {
      const pid = (await Deno.readTextFile(`${dir}/copy.pid`).catch(() => "")).trim();
      return pid ? Number(pid) : null;
    },
  };
}

const copies = (log: string[]) => log.filter((l) => l.includes("denomosh-install")).length;
const probes = (log: string[]) => log.filter((l) => l.includes("DENOMOSH-PROBE-BEGIN")).length;

function moshWords(user: RemoteUser, wrapper: SshWrapper, options: string[]): string[] {
  const self = selfCommand("mosh", [`--ssh=${wrapper.ssh}`, ...options, `${user.name}@127.0.0.1`]);
  return [self.cmd, ...self.args];
}

/** Every path under the user's ~/.local, with its mode (and 0o1000 for a regular file). */
async function remoteFiles(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      const st = await Deno.lstat(`${dir}/${e.name}`);
      out.set(`${rel}${e.name}`, (st.mode! & 0o777) | (st.isFile ? REGULAR : 0));
      if (e.isDirectory) await walk(`${dir}/${e.name}`, `${rel}${e.name}/`);
    }
  };
  await walk(LOCAL, "").catch(() => {});
  return out;
}

/** What an install left that it should not: temporary names, and files made executable. */
async function strays(): Promise<string[]> {
  const files = await remoteFiles();
  return [...files.keys()].filter((p) => /denomosh-(install|new)/.test(p));
}

/** In a terminal: the shell over mosh answers a command, and Ctrl-^ . ends it with status 0. */
async function useSession(tmux: Tmux, ms: number): Promise<number> {
  const start = Date.now();
  await tmux.waitFor((s) => /^\$ *$/m.test(s), ms, "a shell prompt over mosh");
  const took = Date.now() - start;
  await tmux.type("echo via-mosh $((40+2))");
  await tmux.keys("Enter");
  await tmux.waitFor((s) => s.includes("via-mosh 42"), 10_000, "the command's output");
  await tmux.keys("C-^");
  await tmux.type(".");
  const end = await tmux.waitFor((s) => s.includes("exit="), 15_000, "the exit");
  assert.match(end, /exit=0/);
  return took;
}

async function inTerminal<T>(words: string[], fn: (tmux: Tmux) => Promise<T>): Promise<T> {
  const tmux = await Tmux.start(`sh -c ${shellQuote(words.map(shellQuote).join(" ") + AFTER)}`, {
    width: 100,
  });
  try {
    return await fn(tmux);
  } finally {
    await tmux.close();
  }
}

Deno.test({
  name: "mosh installs its server on a host without one, over a real sshd",
  ignore: why !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const sshd = await startSshd();
    const user = await remoteUser(sshd);
    const work = await Deno.makeTempDir({ prefix: "denomosh-install-e2e-" });
    try {
      await t.step(
        "--install-server, no deno there: runtime and bundle copied, the session starts; the next connection copies nothing",
        async () => {
          await user.reset({ hide: ["deno"] });
          const w = await sshWrapper(work, sshd);
          const words = moshWords(user, w, ["--install-server"]);
          const first = await inTerminal(words, (tmux) => useSession(tmux, 120_000));
          const files = await remoteFiles();
          assert.equal(files.get("bin/mosh-server"), REGULAR | 0o755);
          assert.equal(files.get("lib/denomosh/deno"), REGULAR | 0o755);
          assert.equal(files.get("lib/denomosh/denomosh.js"), REGULAR | 0o644);
          assert.deepEqual(await strays(), []);
          assert.equal(
            (await Deno.stat(`${LOCAL}/lib/denomosh/deno`)).size,
            (await Deno.stat(Deno.execPath())).size,
          );
          assert.equal(copies(await w.log()), 1);
          const installed = (await Deno.stat(`${LOCAL}/bin/mosh-server`)).mtime!.getTime();

          const second = await inTerminal(words, (tmux) => useSession(tmux, 60_000));
          const log = await w.log();
          assert.equal(copies(log), 1, "the second connection copied nothing");
          assert.equal(probes(log), 2);
          assert.equal((await Deno.stat(`${LOCAL}/bin/mosh-server`)).mtime!.getTime(), installed);
          console.log(`  first connection to a prompt ${first} ms, second ${second} ms`);
        },
      );

      await t.step(
        "asked on a terminal, yes: a throttled copy shows its progress bar, then the session",
        async () => {
          await user.reset();
          const w = await sshWrapper(work, sshd, ["throttle", "30000"]);
          await inTerminal(moshWords(user, w, []), async (tmux) => {
            await tmux.waitFor(
              (s) =>
                s.includes(
                  "mosh-server was not found on 127.0.0.1. " +
                    "Install denomosh's server into ~/.local/bin there? [y/N]",
                ),
              60_000,
              "the question",
            );
            await tmux.type("y");
            await tmux.keys("Enter");
            const bar =
              /mosh-server to 127\.0\.0\.1 \[#*-+\] [0-9.]+ MB\/[0-9.]+ MB [0-9.]+ MB\/s [0-9]+:[0-9]{2} left/;
            const seen = await tmux.waitFor((s) => bar.test(s), 30_000, "the progress bar");
            console.log(`  ${bar.exec(seen)![0]}`);
            await useSession(tmux, 60_000);
          });
          assert.equal((await remoteFiles()).get("bin/mosh-server"), REGULAR | 0o755);
          assert.equal((await remoteFiles()).has("lib/denomosh/deno"), false, "deno is there");
        },
      );

      await t.step("asked, no: one line, exit 1, nothing installed", async () => {
        await user.reset();
        const w = await sshWrapper(work, sshd);
        await inTerminal(moshWords(user, w, []), async (tmux) => {
          await tmux.waitFor((s) => s.includes("[y/N]"), 60_000, "the question");
          await tmux.type("n");
          await tmux.keys("Enter");
          const end = await tmux.waitFor((s) => s.includes("exit="), 20_000, "the exit");
          assert.match(
            end,
            /mosh: mosh-server was not found on 127\.0\.0\.1, and was not installed\.\nexit=1/,
          );
        });
        assert.equal((await remoteFiles()).size, 0);
        assert.equal(copies(await w.log()), 0);
      });

      await t.step("killing the ssh mid-copy leaves no ~/.local/bin/mosh-server", async () => {
        await user.reset();
        const w = await sshWrapper(work, sshd, ["throttle", "20000"]);
        const words = moshWords(user, w, ["--install-server"]);
        const mosh = new Deno.Command(words[0], {
          args: words.slice(1),
          env: { LANG: "C.UTF-8" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // Mid-copy: the copy's ssh runs and the host has begun unpacking.
        const deadline = Date.now() + 60_000;
        let pid: number | null = null;
        while (Date.now() < deadline) {
          pid = await w.copyPid();
          if (pid && (await strays()).some((p) => p.startsWith(".denomosh-install"))) break;
          await sleep(50);
        }
        assert.ok(pid, "the copy started");
        await sleep(500);
        assert.equal((await remoteFiles()).has("bin/mosh-server"), false);
        Deno.kill(pid, "SIGKILL");
        const r = await mosh.output();
        const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
        assert.notEqual(r.code, 0);
        assert.match(
          text,
          /mosh: cannot install mosh-server on 127\.0\.0\.1: ssh (exited with 137|was killed by SIGKILL) during the copy; nothing was installed\n/,
        );
        // The host's installer sees its input end, and its trap removes what it unpacked.
        const settled = Date.now() + 15_000;
        while ((await strays()).length && Date.now() < settled) await sleep(100);
        const files = await remoteFiles();
        assert.deepEqual(await strays(), []);
        assert.equal(files.has("bin/mosh-server"), false);
        const executable = [...files].filter(([, m]) => m & REGULAR && m & 0o111);
        assert.deepEqual(executable, []);
      });

      await t.step(
        "a platform mismatch (a uname shim) is refused, naming the platform",
        async () => {
          await user.reset({ hide: ["deno"] });
          await user.shim("uname", "#!/bin/sh\necho Darwin arm64\n");
          const w = await sshWrapper(work, sshd);
          const r = await runNoTerminal(moshWords(user, w, ["--install-server"]));
          assert.equal(r.code, 1);
          assert.ok(
            r.text.endsWith(
              `mosh: cannot install mosh-server on 127.0.0.1: it is Darwin arm64 with no deno, and ` +
                `the Deno runtime here is for ${HERE}; install deno ${Deno.version.deno} or later ` +
                "there (a runtime for Darwin arm64 is needed)\n",
            ),
            r.text,
          );
          assert.equal(copies(await w.log()), 0);
          assert.equal((await remoteFiles()).size, 0);
        },
      );

      await t.step(
        "--no-install-server reports the missing server as today, and looks no further",
        async () => {
          await user.reset();
          const w = await sshWrapper(work, sshd);
          const r = await runNoTerminal(moshWords(user, w, ["--no-install-server"]));
          assert.equal(r.code, 1);
          assert.match(
            r.text,
            /mosh: mosh-server was not found on the remote host\. If it is installed in your home directory, say where: --server=~\/local\/bin\/mosh-server\n$/,
          );
          assert.equal((await w.log()).length, 1, "only the bootstrap");
        },
      );

      await t.step(
        "with no terminal to ask on: today's message and the option, nothing copied",
        async () => {
          await user.reset();
          const w = await sshWrapper(work, sshd);
          const r = await runNoTerminal(moshWords(user, w, []));
          assert.equal(r.code, 1);
          assert.match(
            r.text,
            /was not found on the remote host\. .* Or let mosh install ours: --install-server\n$/,
          );
          const log = await w.log();
          assert.deepEqual([probes(log), copies(log)], [1, 0]);
        },
      );

      await t.step("a home the user cannot write: one line, exit 1", async () => {
        await user.reset();
        await Deno.chown(REMOTE_HOME, 0, 0);
        await Deno.chmod(REMOTE_HOME, 0o755);
        const w = await sshWrapper(work, sshd);
        const r = await runNoTerminal(moshWords(user, w, ["--install-server"]));
        assert.equal(r.code, 1);
        assert.match(
          r.text,
          /mosh: cannot install mosh-server on 127\.0\.0\.1: its home directory is not writable \(~\/\.local\/bin\)\n$/,
        );
        assert.equal(copies(await w.log()), 0);
      });

      await t.step("a full disk (a 512 KiB tmpfs as ~/.local): one line, exit 1", async () => {
        await user.reset({ hide: ["deno"] });
        await Deno.mkdir(LOCAL);
        const mount = await new Deno.Command("mount", {
          args: ["-t", "tmpfs", "-o", `size=512k,uid=${user.uid},gid=${user.gid}`, "tmpfs", LOCAL],
          stderr: "piped",
        }).output();
        assert.ok(mount.success, new TextDecoder().decode(mount.stderr));
        try {
          const w = await sshWrapper(work, sshd);
          const r = await runNoTerminal(moshWords(user, w, ["--install-server"]));
          assert.equal(r.code, 1);
          assert.match(
            r.text,
            /mosh: cannot install mosh-server on 127\.0\.0\.1: not enough space in ~\/\.local there \(0\.5 MB free, [0-9]+ MB needed\)\n$/,
          );
          assert.equal(copies(await w.log()), 0);
        } finally {
          await new Deno.Command("umount", { args: [LOCAL] }).output();
        }
      });

      await t.step(
        "a byte changed on the way (no gzip there): sha256 mismatch, nothing installed",
        async () => {
          await user.reset({ hide: ["gzip"] });
          const w = await sshWrapper(work, sshd, ["flip", "5000"]);
          const r = await runNoTerminal(moshWords(user, w, ["--install-server"]));
          assert.equal(r.code, 1);
          assert.match(
            r.text,
            /mosh: cannot install mosh-server on 127\.0\.0\.1: the copy of lib\/denomosh\/denomosh\.js arrived corrupt \(its sha256 differs\); nothing was installed\n$/,
          );
          assert.equal(copies(await w.log()), 1);
          const files = await remoteFiles();
          assert.deepEqual([...files.keys()].sort(), ["bin", "lib", "lib/denomosh"]);
        },
      );

      await t.step("an older denomosh in ~/.local/bin is upgraded, and serves", async () => {
        await user.reset();
        await Deno.mkdir(`${LOCAL}/bin`, { recursive: true });
        await Deno.writeTextFile(
          `${LOCAL}/bin/mosh-server`,
          '#!/bin/sh\necho "mosh-server (denomosh 0.0.1, compatible with mosh 1.4.0)"\nexit 1\n',
          { mode: 0o755 },
        );
        for (const p of [LOCAL, `${LOCAL}/bin`, `${LOCAL}/bin/mosh-server`]) {
          await Deno.chown(p, user.uid, user.gid);
        }
        const w = await sshWrapper(work, sshd);
        await inTerminal(moshWords(user, w, ["--install-server"]), (t) => useSession(t, 60_000));
        assert.ok((await Deno.readTextFile(`${LOCAL}/bin/mosh-server`)).includes(LAUNCHER_MARK));
        assert.equal(copies(await w.log()), 1);
      });
      await t.step(
        "an upgrade the host cannot take: why, in one line, and the older one is used",
        async () => {
          await user.reset({ hide: ["deno"] });
          await user.shim("uname", "#!/bin/sh\necho Darwin arm64\n");
          await Deno.mkdir(`${LOCAL}/bin`, { recursive: true });
          await Deno.writeTextFile(
            `${LOCAL}/bin/mosh-server`,
            '#!/bin/sh\necho "mosh-server (denomosh 0.0.1, compatible with mosh 1.4.0)"\n',
            { mode: 0o755 },
          );
          const w = await sshWrapper(work, sshd);
          const r = await runNoTerminal(moshWords(user, w, ["--install-server"]));
          assert.match(
            r.text,
            /^mosh: cannot upgrade mosh-server on 127\.0\.0\.1: it is Darwin arm64 with no deno, .*; using 0\.0\.1$/m,
          );
          const log = await w.log();
          assert.equal(copies(log), 0);
          assert.ok(
            log.at(-1)!.includes("~/.local/bin/mosh-server 'new'"),
            "started the older one",
          );
          assert.notEqual(r.code, 0, "which prints no MOSH CONNECT here");
        },
      );
    } finally {
      await Deno.remove(work, { recursive: true }).catch(() => {});
      await user.close();
      await sshd.close();
    }
  },
});

/**
 * Command lines and keys: random argv for `mosh-server`, `mosh-client` and `mosh`, random
 * strings split as shell words, random `MOSH_KEY` values. The parsers never throw (shellWords
 * throws only its documented errors: an unmatched quote, a trailing backslash) and what they return is well formed; a
 * key is accepted exactly when mosh 1.4.0 accepts it, and then prints back as it was given.
 *
 * Replay a failure with the DENOMOSH_FUZZ_SEED it prints (fast-check also prints its own seed
 * and path); DENOMOSH_FUZZ_RUNS=N runs N times as many cases.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parsePortRange,
  parseServerArgs,
  parseTimeoutEnv,
  sshLocalIp,
} from "../../cli/server_options.ts";
import { parseClientArgs } from "../../cli/client_options.ts";
import { checkPortRequest, parseMoshArgs, shellQuote, shellWords } from "../../cli/mosh_options.ts";
import { Base64Key, KeyError } from "../../core/crypto/key.ts";
import { fcParams, seeded, Tally } from "./_fuzz.ts";

/** Any text: ASCII, any code unit (lone surrogates too), whole graphemes. */
const text = (maxLength = 24) =>
  fc.oneof(
    fc.string({ unit: "binary-ascii", maxLength }),
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
  );

const PORTS = [
  "0",
  "1",
  "60001",
  "65535",
  "65536",
  "-1",
  "1:0",
  "0:5",
  ":",
  "1:",
  ":1",
  " 5",
  "5 ",
  "+5",
  "99999999999999999999",
  "1:2:3",
  "60001:60999",
  "0x10",
  "1e3",
  "",
];
const portText = fc.oneof(fc.constantFrom(...PORTS), fc.nat().map(String), text(8));

/** A token a user (or an attacker) might put on mosh-server's command line. */
const serverToken = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "new",
      "-s",
      "-v",
      "-vv",
      "-i",
      "-p",
      "-c",
      "-l",
      "--",
      "-h",
      "--help",
      "--version",
      "-@",
      "-x",
      "-",
      "-sv",
      "-vs",
      "-i127.0.0.1",
      "-p0",
      "-c256",
      "-c",
      "-c-5",
      "-c99999999999999999999",
      "-lLANG=C.UTF-8",
      "-lBAD",
      "-l=",
      "-ipc",
    ),
  },
  { weight: 2, arbitrary: portText },
  { weight: 2, arbitrary: text() },
);

const serverArgv = fc.oneof(
  fc.array(serverToken, { maxLength: 12 }),
  fc.array(serverToken, { maxLength: 12 }).map((a) => ["new", ...a]),
);

function isText(x: unknown): x is string {
  return typeof x === "string";
}

Deno.test("mosh-server's arguments: never a throw; options in range or mosh's message", async () => {
  const name = "args/server";
  await seeded(name, () => {
    const started = performance.now();
    const tally = new Tally();
    const env = fc.option(
      fc.oneof(
        fc.constantFrom(
          "1.2.3.4 5 6.7.8.9 22",
          "::ffff:10.0.0.1 1 ::ffff:10.0.0.2 22",
          "",
          "   ",
          "a b",
        ),
        text(),
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(serverArgv, env, (args, ssh) => {
        const r = parseServerArgs(args, "mosh-server", { SSH_CONNECTION: ssh });
        if ("exit" in r) {
          assert.ok(r.exit === 0 || r.exit === 1, `exit ${r.exit}`);
          assert.ok(isText(r.stdout) && isText(r.stderr));
          if (r.exit === 0) assert.ok(r.stdout.length > 0 && r.stderr === "");
          else assert.ok(r.stderr.length > 0 && r.stdout === "");
          tally.add(`exit-${r.exit}`);
          return;
        }
        const o = r.options;
        const [lo, hi] = o.ports;
        assert.ok(
          Number.isInteger(lo) && Number.isInteger(hi) && 0 <= lo && lo <= hi && hi <= 65535,
          `ports ${lo}:${hi}`,
        );
        assert.ok(lo !== 0 || hi === 0, "port 0 is alone");
        assert.ok(Number.isSafeInteger(o.colors), `colors ${o.colors}`);
        assert.ok(Number.isInteger(o.verbose) && o.verbose >= 0);
        assert.ok(o.locale.every((l) => l.includes("=")), "locale settings are NAME=VALUE");
        assert.ok(o.ip === undefined || isText(o.ip));
        assert.ok(r.warnings.every(isText));
        const dashes = args.indexOf("--");
        if (o.command !== undefined) {
          assert.ok(dashes >= 0 && o.command.length > 0);
          assert.deepStrictEqual(
            o.command,
            args.slice(dashes + 1),
            "the command is what follows --",
          );
        }
        tally.add(o.command ? "options+command" : "options");
      }),
      fcParams(name, 20000),
    );
    fc.assert(
      fc.property(text(30), text(30), (port, env) => {
        const range = parsePortRange(port);
        if (typeof range !== "string") {
          assert.ok(range[0] <= range[1] && range[0] >= 0 && range[1] <= 65535);
        }
        const t = parseTimeoutEnv("X", env);
        assert.ok(Number.isFinite(t.seconds) && t.seconds >= 0, `${t.seconds}`);
        const s = sshLocalIp(env);
        assert.ok(s.ip === undefined || (isText(s.ip) && s.ip.length > 0));
        assert.ok(
          checkPortRequest("mosh", port) === null || isText(checkPortRequest("mosh", port)),
        );
        tally.add("ports-and-env");
      }),
      fcParams(name + "/ports", 5000),
    );
    tally.report(name, started);
  });
});

/** How mosh 1.4.0 judges a printed key: 22 base64 letters that re-encode to themselves. */
function moshAcceptsKey(s: string): boolean {
  if (!/^[A-Za-z0-9+/]{22}$/.test(s)) return false;
  return btoa(atob(s + "==")).slice(0, 22) === s;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Keys, near-keys and junk. */
const keyText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...B64), minLength: 22, maxLength: 22 }),
  fc.string({ unit: fc.constantFrom(...B64), minLength: 20, maxLength: 24 }),
  fc.string({
    unit: fc.constantFrom(...B64, "=", "-", "_", " ", "\n", "\0", "é"),
    minLength: 21,
    maxLength: 25,
  }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => btoa(String.fromCharCode(...b))),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) =>
    btoa(String.fromCharCode(...b)).slice(0, 22)
  ),
  text(40),
);

Deno.test("MOSH_KEY: accepted exactly when mosh accepts it, and then printed back unchanged", async () => {
  const name = "args/key";
  await seeded(name, () => {
    const started = performance.now();
    const tally = new Tally();
    fc.assert(
      fc.property(keyText, (s) => {
        let key: Base64Key | undefined;
        try {
          key = Base64Key.parse(s);
        } catch (e) {
          assert.ok(e instanceof KeyError, `not a KeyError: ${e}`);
          assert.ok(e.message.length > 10, "a message that says what is wrong");
        }
        assert.equal(
          key !== undefined,
          moshAcceptsKey(s),
          `mosh ${moshAcceptsKey(s) ? "accepts" : "refuses"} ${JSON.stringify(s)}`,
        );
        if (key) {
          assert.equal(key.toString(), s, "round trip");
          assert.equal(Base64Key.fromBytes(key.bytes).toString(), s);
        }
        const r = parseClientArgs(["127.0.0.1", "60001"], { MOSH_KEY: s });
        if (key) assert.ok("options" in r && r.options.key.toString() === s);
        else assert.ok("exit" in r && r.exit === 1 && /MOSH_KEY/.test(r.stderr), JSON.stringify(r));
        tally.add(key ? "accepted" : "refused");
      }),
      fcParams(name, 20000),
    );
    tally.report(name, started);
  });
});

const clientToken = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "-#",
      "-# ARGS |",
      "-#x",
      "-c",
      "-v",
      "-vv",
      "-vc",
      "--",
      "--help",
      "--version",
      "-x",
      "-",
      "127.0.0.1",
      "::1",
      "60001",
    ),
  },
  { weight: 2, arbitrary: portText },
  { weight: 1, arbitrary: text() },
);

Deno.test("mosh-client's arguments and environment: never a throw; options well formed or mosh's message", async () => {
  const name = "args/client";
  await seeded(name, () => {
    const started = performance.now();
    const tally = new Tally();
    const env = fc.record({
      MOSH_KEY: fc.option(fc.oneof(fc.constant("vje4frAxzsRihkt2iWg3Zg"), keyText), {
        nil: undefined,
      }),
      MOSH_PREDICTION_DISPLAY: fc.option(
        fc.oneof(fc.constantFrom("always", "never", "adaptive", "experimental"), text(12)),
        { nil: undefined },
      ),
      MOSH_PREDICTION_OVERWRITE: fc.option(fc.oneof(fc.constant("yes"), text(5)), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(fc.array(clientToken, { maxLength: 8 }), env, (args, e) => {
        const r = parseClientArgs(args, e);
        if ("colors" in r) {
          assert.equal(r.colors, true);
          tally.add("colors");
        } else if ("exit" in r) {
          assert.ok(r.exit === 0 || r.exit === 1);
          assert.ok(isText(r.stdout) && isText(r.stderr));
          assert.ok(r.exit === 0 ? r.stdout.length > 0 : r.stderr.length > 0);
          tally.add(`exit-${r.exit}`);
        } else {
          const o = r.options;
          assert.ok(isText(o.ip));
          assert.ok(Number.isInteger(o.port) && o.port >= 0, `port ${o.port}`);
          assert.equal(o.key.toString(), e.MOSH_KEY);
          assert.ok(["always", "never", "adaptive", "experimental"].includes(o.predict));
          assert.equal(o.predictOverwrite, e.MOSH_PREDICTION_OVERWRITE === "yes");
          assert.ok(Number.isInteger(o.verbose) && o.verbose >= 0);
          tally.add(o.port > 65535 ? "options-port-over-65535" : "options");
        }
      }),
      fcParams(name, 20000),
    );
    tally.report(name, started);
  });
});

/** mosh's long option names, for tokens of `mosh`'s command line. */
const MOSH_OPTIONS = [
  "client",
  "server",
  "predict",
  "predict-overwrite",
  "o",
  "port",
  "p",
  "a",
  "n",
  "family",
  "4",
  "6",
  "ssh",
  "ssh-pty",
  "init",
  "local",
  "help",
  "version",
  "fake-proxy",
  "bind-server",
  "experimental-remote-ip",
];
const moshToken = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constantFrom("--", "-", "--no-", "--no", "-no-"),
      fc.constantFrom(...MOSH_OPTIONS).chain((n) =>
        fc.nat({ max: n.length }).map((k) => n.slice(0, Math.max(1, k)))
      ),
      fc.option(
        fc.oneof(
          fc.constantFrom("", "x", "ssh -p 22", "'unmatched", '"a b" c', "always", "60001:60010"),
          text(10),
        ),
        { nil: undefined },
      ),
    ).map(([dash, n, v]) => v === undefined ? dash + n : `${dash}${n}=${v}`),
  },
  { weight: 1, arbitrary: fc.constantFrom("--", "-", "user@host", "host", "ls", "-la") },
  { weight: 1, arbitrary: text() },
);

Deno.test("mosh's arguments and shell words: never a throw but the documented one; words round-trip", async () => {
  const name = "args/mosh";
  await seeded(name, () => {
    const started = performance.now();
    const tally = new Tally();
    fc.assert(
      fc.property(fc.array(moshToken, { maxLength: 10 }), (args) => {
        const r = parseMoshArgs(args);
        if ("error" in r) {
          assert.ok(isText(r.error) && r.error.length > 0);
          tally.add("error");
          return;
        }
        for (const k of ["client", "server", "family", "remoteIp"] as const) {
          assert.ok(isText(r[k]), k);
        }
        for (
          const k of [
            "predictOverwrite",
            "sshPty",
            "init",
            "local",
            "fakeProxy",
            "help",
            "version",
          ] as const
        ) {
          assert.equal(typeof r[k], "boolean", k);
        }
        assert.ok(r.predict === undefined || isText(r.predict));
        assert.ok(r.port === undefined || isText(r.port));
        assert.ok(Array.isArray(r.ssh) && r.ssh.every(isText));
        assert.ok(r.operands.every(isText));
        assert.ok(r.operands.every((w) => args.includes(w)), "operands come from the arguments");
        tally.add("options");
      }),
      fcParams(name, 20000),
    );
    // Shell words: only the documented error; and quoting then splitting gives the words back.
    fc.assert(
      fc.property(
        fc.oneof(
          text(40),
          fc.string({
            unit: fc.constantFrom("a", " ", "\t", "\n", "'", '"', "\\", "$", "`"),
            maxLength: 30,
          }),
        ),
        (s) => {
          try {
            const words = shellWords(s);
            assert.ok(words.every(isText));
            tally.add("shell-words");
          } catch (e) {
            assert.ok(
              e instanceof Error && /^(unmatched ['"]|trailing \\) in /.test(e.message),
              String(e),
            );
            tally.add("shell-words-unmatched");
          }
        },
      ),
      fcParams(name + "/words", 20000),
    );
    // (Without backslashes: mosh's shellwords, Perl's, reads one inside single quotes as an
    // escape, so quoting a word that has one need not give it back; mosh never does that.)
    const noBackslash = text(12).map((w) => w.replaceAll("\\", "/"));
    fc.assert(
      fc.property(fc.array(noBackslash, { maxLength: 6 }), (words) => {
        assert.deepStrictEqual(shellWords(shellQuote(words)), words);
        tally.add("quote-round-trip");
      }),
      fcParams(name + "/quote", 5000),
    );
    tally.report(name, started);
  });
});

Deno.test("shell words without backslashes split as /bin/sh splits them", async () => {
  const name = "args/sh";
  await seeded(name, async () => {
    const started = performance.now();
    const tally = new Tally();
    // Words of letters, blanks and quotes, which sh splits without expanding. (With backslashes
    // mosh's Perl shellwords and sh differ; tests/interop/mosh_wrapper_test.ts holds us to Perl.)
    const cases = fc.sample(
      fc.string({ unit: fc.constantFrom("a", "b", " ", "\t", "'", '"'), maxLength: 16 }),
      fcParams(name, 2000),
    ).filter((s) => {
      try {
        shellWords(s);
        return true;
      } catch {
        return false;
      }
    });
    // One sh for all, reading the script on its stdin: each case, through eval so that a trailing backslash stays its own,
    // prints its words NUL-separated, then a record separator.
    const script = cases.map((s) => `eval ${shellQuote([`printf '%s\\0' ${s}`])}; printf '\\036'`)
      .join("\n");
    const sh = new Deno.Command("/bin/sh", { stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
    const output = sh.output(); // read while writing, or a full pipe stalls both
    const writer = sh.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script + "\n"));
    await writer.close();
    const out = await output;
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const records = new TextDecoder().decode(out.stdout).split("\x1e").slice(0, -1);
    assert.equal(records.length, cases.length);
    cases.forEach((s, i) => {
      // printf with no words still prints one empty word.
      const words = shellWords(s);
      const sh = records[i].split("\0").slice(0, -1);
      assert.deepStrictEqual(words.length ? words : [""], sh, JSON.stringify(s));
      tally.add("compared");
    });
    tally.report(name, started);
  });
});

/**
 * The decisions of an install: reading the probe, telling our server from mosh's, comparing
 * versions, what to do with what is there, what to copy, and when the host cannot take it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  choosePieces,
  compareVersions,
  denoCompatible,
  type HostFacts,
  hostUnfit,
  identify,
  installerError,
  nextStep,
  parseProbe,
  unamePlatform,
} from "../../cli/install_plan.ts";
import { versionBanner } from "../../cli/version.ts";

const FACTS: HostFacts = {
  platform: "Linux x86_64",
  gzip: true,
  deno: "2.9.6",
  checksum: "sha256sum",
  home: "writable",
  freeKiB: 1_000_000,
};

Deno.test("the probe's answers are read between its markers, whatever the login shell says", () => {
  const out = [
    "Last login: yesterday",
    "uname=Not me",
    "DENOMOSH-PROBE-BEGIN",
    "uname=Darwin arm64",
    "server=mosh-server (mosh 1.4.0) [build mosh 1.4.0]",
    "gzip=yes",
    "deno=deno 2.9.7 (stable, release, aarch64-apple-darwin)",
    "sha256=shasum",
    "home=readonly",
    "free=12345",
    "DENOMOSH-PROBE-END",
    "gzip=no",
  ].join("\r\n");
  assert.deepEqual(parseProbe(out), {
    platform: "Darwin arm64",
    server: "mosh-server (mosh 1.4.0) [build mosh 1.4.0]",
    gzip: true,
    deno: "2.9.7",
    checksum: "shasum",
    home: "readonly",
    freeKiB: 12345,
  });
  const bare = parseProbe("DENOMOSH-PROBE-BEGIN\nuname=\nfree=\nDENOMOSH-PROBE-END\n")!;
  assert.deepEqual(bare, { platform: "", gzip: false, home: "missing" });
  assert.equal(parseProbe("DENOMOSH-PROBE-BEGIN\nuname=Linux x86_64\n"), null);
  assert.equal(parseProbe("bash: sh: command not found"), null);
});

Deno.test("--version tells our server from mosh's, and from anything else", () => {
  const ours = versionBanner("mosh-server").split("\n")[0];
  assert.deepEqual(identify(ours), { kind: "denomosh", version: "0.1.0" });
  assert.deepEqual(identify("mosh-server (mosh 1.4.0) [build mosh 1.4.0]"), {
    kind: "mosh",
    version: "1.4.0",
  });
  assert.deepEqual(identify(undefined), { kind: "none" });
  assert.deepEqual(identify("sh: 1: mosh-server: Permission denied"), {
    kind: "unknown",
    said: "sh: 1: mosh-server: Permission denied",
  });
  assert.equal(identify("mosh-server (denomosh) x").kind, "unknown");
});

const version = fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 }).map((p) =>
  p.join(".")
);

Deno.test("versions compare as numbers: an order (reflexive, antisymmetric, transitive)", () => {
  fc.assert(
    fc.property(version, version, version, (a, b, c) => {
      assert.equal(compareVersions(a, a), 0);
      assert.equal(compareVersions(a, b) + compareVersions(b, a), 0);
      if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
        assert.ok(compareVersions(a, c) <= 0, `${a} ${b} ${c}`);
      }
      assert.equal(compareVersions(a, `${a}.0`), 0);
    }),
  );
  assert.equal(compareVersions("0.10.0", "0.9.9"), 1);
  assert.equal(compareVersions("2.9.6", "2.10.0"), -1);
  assert.equal(compareVersions("1.4.0-rc1", "1.4.0"), 0);
});

Deno.test("a host's deno runs our bundle when it is the same major version and not older", () => {
  fc.assert(
    fc.property(fc.nat(5), fc.nat(20), fc.nat(20), fc.nat(5), fc.nat(20), fc.nat(20), (...v) => {
      const [host, ours] = [v.slice(0, 3).join("."), v.slice(3).join(".")];
      const ok = denoCompatible(host, ours);
      assert.equal(ok, v[0] === v[3] && compareVersions(host, ours) >= 0, `${host} ${ours}`);
    }),
  );
  assert.equal(denoCompatible(undefined, "2.9.6"), false);
  assert.equal(denoCompatible("2.9.6", "2.9.6"), true);
  assert.equal(denoCompatible("3.0.0", "2.9.6"), false);
});

Deno.test("uname -sm of Deno's platforms", () => {
  assert.equal(unamePlatform("linux", "x86_64"), "Linux x86_64");
  assert.equal(unamePlatform("linux", "aarch64"), "Linux aarch64");
  assert.equal(unamePlatform("darwin", "aarch64"), "Darwin arm64");
  assert.equal(unamePlatform("darwin", "x86_64"), "Darwin x86_64");
  assert.equal(unamePlatform(Deno.build.os, Deno.build.arch).split(" ").length, 2);
});

Deno.test("what is there decides: offer, upgrade an older one of ours, use, or refuse", () => {
  const at = (server?: string) => nextStep({ ...FACTS, server }, "0.2.0");
  assert.deepEqual(at(undefined), { do: "offer" });
  assert.deepEqual(at("mosh-server (denomosh 0.1.9, compatible with mosh 1.4.0)"), {
    do: "offer",
    from: "0.1.9",
  });
  for (const v of ["0.2.0", "0.10.0", "1.0"]) {
    assert.equal(at(`mosh-server (denomosh ${v}, compatible with mosh 1.4.0)`).do, "use", v);
  }
  assert.equal(at("mosh-server (mosh 1.3.2) [build mosh 1.3.2]").do, "use");
  const odd = at("/home/u/.local/bin/mosh-server: 1: Syntax error");
  assert.equal(odd.do, "refuse");
  assert.match((odd as { reason: string }).reason, /not a mosh-server .*Syntax error.*--server=/);
});

Deno.test("what is copied: ourselves compiled; else the bundle, and the runtime when needed", () => {
  const here = { mode: "source" as const, platform: "Linux x86_64", deno: "2.9.6" };
  assert.deepEqual(choosePieces(here, FACTS), { pieces: ["bundle", "launcher"] });
  assert.deepEqual(choosePieces({ ...here, mode: "bundled" }, { ...FACTS, deno: "2.10.1" }), {
    pieces: ["bundle", "launcher"],
  });
  assert.deepEqual(choosePieces(here, { ...FACTS, deno: undefined }), {
    pieces: ["runtime", "bundle", "launcher"],
  });
  assert.deepEqual(choosePieces(here, { ...FACTS, deno: "2.8.0" }), {
    pieces: ["runtime", "bundle", "launcher"],
  });
  const mac = { ...FACTS, platform: "Darwin arm64", deno: undefined };
  const r = choosePieces(here, mac);
  assert.ok("refuse" in r);
  assert.match(r.refuse, /it is Darwin arm64 with no deno.*runtime here is for Linux x86_64/);
  assert.match(r.refuse, /a runtime for Darwin arm64 is needed/);
  const compiled = { ...here, mode: "compiled" as const };
  assert.deepEqual(choosePieces(compiled, FACTS), { pieces: ["executable"] });
  const r2 = choosePieces(compiled, { ...FACTS, platform: "Linux aarch64" });
  assert.ok("refuse" in r2);
  assert.match(r2.refuse, /executable for Linux x86_64; a mosh built for Linux aarch64 is needed/);
});

Deno.test("a host that cannot take the copy says why in one line", () => {
  assert.equal(hostUnfit(FACTS, 100e6), null);
  assert.match(hostUnfit({ ...FACTS, home: "missing" }, 1)!, /no home directory/);
  assert.match(hostUnfit({ ...FACTS, home: "readonly" }, 1)!, /home directory is not writable/);
  assert.match(hostUnfit({ ...FACTS, checksum: undefined }, 1)!, /sha256sum, shasum or openssl/);
  assert.match(
    hostUnfit({ ...FACTS, freeKiB: 50_000 }, 100e6)!,
    /not enough space in ~\/.local there \(51 MB free, 101 MB needed\)/,
  );
  assert.equal(hostUnfit({ ...FACTS, freeKiB: undefined }, 100e9), null, "df said nothing");
  for (const kind of ["home", "space", "checksum", "copy", "place"]) {
    const line = installerError(kind, "detail");
    assert.ok(!line.includes("\n") && line.includes("detail"), kind);
  }
});

/**
 * Helpers for tests that run Debian's mosh 1.4.0 as a reference peer.
 *
 * When `/usr/bin/mosh-server` is missing these tests are skipped with a printed reason, unless
 * `DENOMOSH_REQUIRE_MOSH=1` (set by .ci/run), which makes a missing mosh a failure.
 */

/** Where Debian installs mosh. */
export const MOSH_SERVER = "/usr/bin/mosh-server";
export const MOSH_CLIENT = "/usr/bin/mosh-client";

function installed(): boolean {
  try {
    return Deno.statSync(MOSH_SERVER).isFile;
  } catch {
    return false;
  }
}

/** Whether a test needing Debian's mosh should be ignored here (and says why once). */
export const moshMissing: boolean = (() => {
  if (installed()) return false;
  if (Deno.env.get("DENOMOSH_REQUIRE_MOSH") === "1") return false; // run, and fail loudly
  console.warn(
    `skipped: interop tests need Debian's mosh 1.4.0 at ${MOSH_SERVER} ` +
      "(apt-get install mosh); .ci/run installs it",
  );
  return true;
})();

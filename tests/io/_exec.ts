/**
 * A program for tests/io/libc_test.ts: tries `exec` of a missing program (which must leave it
 * as it was), then replaces itself with a shell that reports its pid, signal state and
 * environment.
 */
import { exec, SystemError } from "../../io/libc.ts";

try {
  exec("/nonexistent/program", ["program"], {});
} catch (e) {
  console.log(`failed: ${e instanceof SystemError ? e.code : e}`);
}
const status = Deno.readTextFileSync("/proc/self/status");
console.log(`before: ${/^SigIgn:.*$/m.exec(status)![0]}`);
console.log(`pid=${Deno.pid}`);
const report = 'echo "pid=$$"; grep -E "^Sig(Ign|Blk):" /proc/self/status; env';
exec("sh", ["sh", "-c", report], { ONLY: "this", PATH: "/usr/bin:/bin" });

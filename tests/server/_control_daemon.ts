/**
 * A stand-in session daemon for the control tests: a real process with a real control
 * socket, whose session is described by its arguments.
 *
 * `deno run -A _control_daemon.ts DIR SPEC` where SPEC is JSON:
 * `{ command, contactAgoMs?: number | null, lastClient?: string | null, refuse?: string[],
 *    messages?: string[] }`. It prints "ready" once it listens and, for each attach, a line
 * `{"attached": request, "key": key}`; its log goes to stderr. It stops when stdin closes.
 */
import { startControl } from "../../server/control.ts";
import { Base64Key } from "../../core/crypto/key.ts";
import { platform } from "../_platform.ts";

const [dir, specText] = Deno.args;
const spec = JSON.parse(specText);
const started = Date.now() - 3_600_000;
let port = 61000;
const control = startControl(
  {
    info: () => ({
      pid: Deno.pid,
      started,
      command: spec.command,
      lastContact: spec.contactAgoMs == null ? null : Date.now() - spec.contactAgoMs,
      lastClient: spec.lastClient ?? null,
    }),
    attach: (request) => {
      if (spec.refuse) return Promise.resolve({ error: spec.refuse });
      const key = Base64Key.generate(platform).toString();
      console.log(JSON.stringify({ attached: request, key }));
      return Promise.resolve({ port: port++, key, messages: spec.messages });
    },
  },
  dir,
  { log: (line) => console.error(line) },
);
console.log("ready");
await Deno.stdin.readable.pipeTo(new WritableStream());
await control.close();

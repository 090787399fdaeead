/**
 * A program for tests/io/signal_thread_test.ts (under `deno test` JavaScript runs on a thread
 * of its own, which bears the process's name too): prints, as JSON, what {@link SignalThread}
 * says before any signal listener, once one listens, and before and after a signal.
 */

import { SignalThread } from "../../io/signal_thread.ts";

const before = SignalThread.find() !== undefined;
const listener = () => {};
Deno.addSignalListener("SIGUSR2", listener);
const watch = SignalThread.find();
const quiet = watch?.ran();
Deno.kill(Deno.pid, "SIGUSR2");
await new Promise((resolve) => setTimeout(resolve, 100));
const signalled = watch?.ran();
const again = watch?.ran();
watch?.close();
Deno.removeSignalListener("SIGUSR2", listener);
console.log(JSON.stringify({ before, found: watch !== undefined, quiet, signalled, again }));

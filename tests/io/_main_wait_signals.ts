/**
 * A program for tests/io/main_wait_test.ts: its JavaScript runs on the process's main thread
 * (under `deno test` it does not), as mosh-server's daemon does. It starts a {@link MainWait}
 * with a wait that never ends, says "ready", and prints "heard" for each SIGUSR2; after three
 * it stops the loop and exits. With the argument "busy", a timer keeps its JavaScript running
 * two thirds of the time, so that most signals land while it runs, not in poll.
 */

import { MainWait, waitFds } from "../../io/main_wait.ts";
import { pipe, POLLIN } from "../../io/libc.ts";

const never = pipe();
let heard = 0;
const wait = new MainWait();
const listener = () => {
  console.log("heard");
  if (++heard < 3) return;
  Deno.removeSignalListener("SIGUSR2", listener);
  wait.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGUSR2", listener);
wait.start();
waitFds([{ fd: never.read, events: POLLIN }]);
wait.clock.setTimer(10, () => console.log("ready"));
if (Deno.args[0] === "busy") {
  // 4 ms of work every 6 ms: short enough that the loop takes no event-loop turn for being busy.
  const work = () => {
    const end = performance.now() + 4;
    while (performance.now() < end) {
      // JavaScript running: a signal now has no poll to interrupt
    }
    wait.clock.setTimer(2, work);
  };
  wait.clock.setTimer(20, work);
}

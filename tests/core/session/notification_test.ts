import { assertEquals } from "../../_assert.ts";
import { humanDuration, NotificationEngine } from "../../../core/session/notification.ts";

Deno.test("durations read as mosh writes them", () => {
  assertEquals(humanDuration(7.9, "seconds"), "7 seconds");
  assertEquals(humanDuration(65, "s"), "1:05");
  assertEquals(humanDuration(3723, "s"), "1:02:03");
});

Deno.test("the bar counts up after 6.5 s of server silence, with the quit keystroke", () => {
  const n = new NotificationEngine(0);
  n.setEscapeKeyName("Ctrl-^");
  assertEquals(n.text(6500), null);
  assertEquals(n.text(6501), "mosh: Last contact 6 seconds ago. [To quit: Ctrl-^ .]");
  assertEquals(n.waitTime(6501), 1000);
  assertEquals(n.text(125_000), "mosh: Last contact 2:05 ago. [To quit: Ctrl-^ .]");
  assertEquals(n.waitTime(125_000), 3000, "slower refresh after a minute");
  n.serverHeard(125_000);
  n.serverAcked(125_000);
  assertEquals(n.text(125_001), null);
});

Deno.test("only the reply is late: 'Last reply'", () => {
  const n = new NotificationEngine(0);
  n.serverHeard(11_000);
  assertEquals(n.text(11_000), "mosh: Last reply 11 seconds ago.");
});

Deno.test("messages: temporary ones last a second, permanent ones stay, both with the countup", () => {
  const n = new NotificationEngine(0);
  n.setEscapeKeyName("Ctrl-^");
  n.setMessage(100, "Nothing received from server on UDP port 60001.");
  assertEquals(
    n.text(100),
    "mosh: Nothing received from server on UDP port 60001. [To quit: Ctrl-^ .]",
  );
  assertEquals(n.text(1100), null);
  n.setMessage(1200, "Commands: ...", true, false);
  assertEquals(n.text(5000), "mosh: Commands: ...");
  assertEquals(n.text(8000), "mosh: Commands: ... (8 s without contact.)");
  n.setNetworkError(9000, "sendto: Network is unreachable");
  n.clearNetworkError(9500);
  assertEquals(n.text(10_499)?.startsWith("mosh: sendto"), true);
  // As in mosh, a network error does not restore the quit hint the help message turned off.
  assertEquals(n.text(10_500), "mosh: Last contact 10 seconds ago.");
  n.setMessage(10_600, "");
  assertEquals(n.text(10_600), "mosh: Last contact 10 seconds ago. [To quit: Ctrl-^ .]");
});

Deno.test("an expired message asks for no more wake-ups once dropped (mosh's unsigned expiry)", () => {
  const n = new NotificationEngine(0);
  n.setMessage(100, "hello");
  assertEquals(n.waitTime(100), 1000);
  assertEquals(n.waitTime(1100), 0, "due when it expires");
  assertEquals(n.text(1100), null);
  assertEquals(n.waitTime(1100), Infinity, "nothing left to time: no busy wake-ups");
  n.setMessage(2000, "");
  assertEquals(n.text(3500), null);
  assertEquals(n.waitTime(3500), Infinity);
});

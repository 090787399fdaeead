import { assertEquals } from "../../_assert.ts";
import { EchoAckTracker } from "../../../core/session/echo_ack.ts";

Deno.test("the echo ack covers input that arrived at least 50 ms ago, never going back", () => {
  const e = new EchoAckTracker();
  e.registerInputFrame(3n, 1000);
  assertEquals(e.update(1049), false);
  assertEquals(e.echoAck, 0n);
  assertEquals(e.update(1050), true);
  assertEquals(e.echoAck, 3n);
  e.registerInputFrame(5n, 1100);
  e.registerInputFrame(6n, 1120);
  assertEquals(e.waitTime(1100), 50, "wake for the second entry");
  assertEquals(e.update(1160), true);
  assertEquals(e.echoAck, 5n);
  assertEquals(e.update(1170), true);
  assertEquals(e.echoAck, 6n);
  assertEquals(e.update(9999), false);
  assertEquals(e.echoAck, 6n);
});

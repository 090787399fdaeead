import { assertEquals } from "../../_assert.ts";
import { UserInput } from "../../../core/session/user_input.ts";

const t = (u: UserInput, s: string, app: boolean) =>
  new TextDecoder().decode(u.translate(new TextEncoder().encode(s), app));

Deno.test("arrows in SS3 form become CSI form unless the application set DECCKM", () => {
  assertEquals(t(new UserInput(), "\x1bOA\x1bOD", false), "\x1b[A\x1b[D");
  assertEquals(t(new UserInput(), "\x1bOA", true), "\x1bOA");
  assertEquals(t(new UserInput(), "\x1bOP\x1b[Bx", false), "\x1bOP\x1b[Bx", "F1 and CSI pass");
});

Deno.test("the translation survives a sequence split across reads", () => {
  const u = new UserInput();
  assertEquals(t(u, "\x1b", false), "\x1b");
  assertEquals(t(u, "O", false), "");
  assertEquals(t(u, "C", false), "[C");
});

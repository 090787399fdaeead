/**
 * The prediction engine against mosh 1.4.0's behaviour: epochs, confirmation and refutation by
 * the server's frames and echo acks, what is predicted (characters, backspace, arrows, CR), the
 * display triggers with their thresholds, the glitch trigger and its timing, and resets.
 */
import assert from "node:assert/strict";
import { Driver, frame } from "./_driver.ts";
import {
  GLITCH_FLAG_THRESHOLD,
  GLITCH_REPAIR_MININTERVAL,
  GLITCH_THRESHOLD,
  PREDICTION_WAKEUP,
} from "../../../core/prediction/prediction.ts";
import { Attr } from "../../../core/terminal/renditions.ts";
import type { Framebuffer } from "../../../core/terminal/framebuffer.ts";

const W = 20, H = 5;
/** A shell prompt on row 1 (mosh's first row is the newline that released the shell). */
const prompt = (line = "") => frame(W, H, "\r\n$ " + line);
const underlined = (fb: Framebuffer, row: number, col: number) =>
  fb.rows[row].renditions(col).has(Attr.underline);
const cursorOf = (fb: Framebuffer) => [fb.cursor.row, fb.cursor.col];

/** A driver whose current epoch the server has confirmed with "ec". */
function confirmed(opts: ConstructorParameters<typeof Driver>[1] = {}, width = W): Driver {
  const d = new Driver(frame(width, H, "\r\n$ "), opts);
  d.typeEach("ec");
  d.receive(frame(width, H, "\r\n$ ec"));
  d.draw();
  return d;
}

Deno.test("first guesses are hidden until the server confirms one; then they show at once", () => {
  const d = new Driver(prompt());
  d.typeEach("ec");
  assert.equal(d.line(1), "$", "tentative: nothing shown before the first echo");
  d.receive(prompt("ec"));
  assert.equal(d.line(1), "$ ec");
  assert.equal(d.engine.active, false, "confirmed guesses are dropped: the server shows them");
  d.typeEach("ho");
  const fb = d.draw();
  assert.equal(fb.rows[1].toText().trimEnd(), "$ echo");
  assert.deepEqual(cursorOf(fb), [1, 6], "the cursor is predicted too");
  assert.ok(underlined(fb, 1, 4) && underlined(fb, 1, 5), "send interval 150 ms: underlined");
  assert.ok(!underlined(fb, 1, 3), "the server's own cells are not");
  d.receive(prompt("echo"));
  const after = d.draw();
  assert.ok(after.equals(prompt("echo")), "confirmed: exactly the server's frame");
});

Deno.test("an echo ack that does not cover a guess leaves it pending, even if the screen moved", () => {
  const d = confirmed();
  d.typeEach("ho");
  d.receive(prompt("ecX"), d.sent - 2n); // someone else's output, before our keys arrived
  assert.equal(d.line(1), "$ echo", "pending guesses still drawn over the new frame");
  d.receive(prompt("echo"));
  assert.ok(d.draw().equals(prompt("echo")));
});

Deno.test("never predicts nothing; always shows even on a fast link", () => {
  const never = confirmed({ display: "never" });
  never.typeEach("ho");
  assert.equal(never.engine.active, false);
  assert.equal(never.line(1), "$ ec");
  const always = confirmed({ display: "always", sendInterval: 20 });
  always.typeEach("ho");
  const fb = always.draw();
  assert.equal(fb.rows[1].toText().trimEnd(), "$ echo");
  assert.ok(!underlined(fb, 1, 4), "no underline on a fast link");
});

Deno.test("adaptive shows above 30 ms of send interval, and stops at 20 only when idle", () => {
  const d = confirmed({ sendInterval: 20 });
  d.type("h");
  assert.equal(d.line(1), "$ ec", "20 ms: not shown");
  d.engine.setSendInterval(31);
  assert.equal(d.line(1), "$ ech", "31 ms: shown");
  d.engine.setSendInterval(25);
  assert.equal(d.line(1), "$ ech", "hysteresis: still shown at 25 ms");
  d.engine.setSendInterval(20);
  assert.equal(d.line(1), "$ ech", "still shown at 20 ms while a guess is on screen");
  d.receive(prompt("ech"));
  d.draw();
  d.type("o");
  assert.equal(d.line(1), "$ ech", "20 ms and nothing predicted: the trigger went off");
});

Deno.test("underline above 80 ms of send interval, until it is 50 ms or less", () => {
  const d = confirmed({ sendInterval: 60 });
  d.type("h");
  assert.ok(!underlined(d.draw(), 1, 4), "60 ms: shown, not underlined");
  d.engine.setSendInterval(81);
  assert.ok(underlined(d.draw(), 1, 4), "81 ms: underlined");
  d.engine.setSendInterval(51);
  assert.ok(underlined(d.draw(), 1, 4), "51 ms: still underlined");
  d.engine.setSendInterval(50);
  assert.ok(!underlined(d.draw(), 1, 4), "50 ms: not underlined");
});

Deno.test("a refuted guess in a confirmed epoch wipes every guess; what follows is hidden", () => {
  const d = confirmed();
  d.typeEach("ho");
  d.receive(prompt("ech")); // the 'o' never came
  const fb = d.draw();
  assert.ok(fb.equals(prompt("ech")), "back to exactly the server's frame");
  assert.equal(d.engine.active, false);
  d.type("x");
  assert.equal(d.line(1), "$ ech", "a new epoch: hidden until confirmed");
  d.receive(prompt("echx"));
  d.type("y");
  assert.equal(d.line(1), "$ echxy", "confirmed again");
});

Deno.test("a wrong cell under a right cursor also wipes every guess, pending ones too", () => {
  const d = confirmed();
  d.typeEach("ho");
  d.type("x");
  d.receive(frame(W, H, "\r\n$ echX"), d.sent - 1n); // 'o' judged: the program showed 'X'
  assert.ok(d.draw().equals(frame(W, H, "\r\n$ echX")), "the pending 'x' went too");
  d.type("y");
  assert.equal(d.line(1), "$ echX", "a new epoch: hidden");
});

Deno.test("a refuted tentative guess takes its epoch along, and the cursor back to the server's", () => {
  const d = confirmed();
  d.type("\r");
  d.receive(frame(W, H, "\r\n$ ec\r\n"));
  d.typeEach("ab");
  d.receive(frame(W, H, "\r\n$ ec\r\nA"), d.sent - 1n); // 'a' came back as 'A': refuted
  d.type("c"); // predicted from the server's cursor, in a new epoch
  d.receive(frame(W, H, "\r\n$ ec\r\nAb"), d.sent - 1n); // 'b' was right, but was dropped
  assert.equal(d.line(2), "Ab", "nothing of the dead epoch confirms anything");
});

Deno.test("a password prompt: after Enter nothing typed is ever shown", () => {
  const d = confirmed();
  d.typeEach("sudo");
  assert.equal(d.line(1), "$ ecsudo");
  d.type("\r");
  const password = frame(W, H, "\r\n$ ecsudo\r\nPassword: ");
  d.receive(password);
  const shown: string[] = [d.line(2)];
  for (const ch of "secret") {
    d.type(ch);
    shown.push(d.line(2));
    d.advance(100);
    d.receive(password); // no echo, and the ack says the keys have been read
    shown.push(d.line(2));
  }
  assert.deepEqual(new Set(shown), new Set(["Password:"]));
  assert.ok(d.draw().equals(password));
});

Deno.test("a refuted guess in an unconfirmed epoch kills that epoch; the next one is hidden", () => {
  const d = confirmed();
  d.type("h"); // confirmed epoch: shown
  d.type("\x03"); // a control: uncertain from here
  d.type("z");
  assert.equal(d.line(1), "$ ech", "'z' is tentative");
  d.receive(prompt("ech")); // the program took 'h' and swallowed 'z'
  assert.ok(d.draw().equals(prompt("ech")));
  d.type("o");
  assert.equal(d.line(1), "$ ech", "a new epoch, hidden");
  d.receive(prompt("echo"));
  d.type("!");
  assert.equal(d.line(1), "$ echo!", "confirmed again");
});

Deno.test("backspace pulls the rest of the row left; arrows move the cursor (both encodings)", () => {
  const d = confirmed();
  d.typeEach("ho");
  d.receive(prompt("echo"));
  d.draw();
  d.type("\x1b[D");
  d.type("\x1bOD");
  assert.deepEqual(cursorOf(d.draw()), [1, 4]);
  d.type("\x7f");
  let fb = d.draw();
  assert.equal(fb.rows[1].toText().trimEnd(), "$ eho");
  assert.deepEqual(cursorOf(fb), [1, 3]);
  d.type("\x1bOC");
  assert.deepEqual(cursorOf(d.draw()), [1, 4]);
  d.type("\x1b[C");
  fb = d.draw();
  assert.deepEqual(cursorOf(fb), [1, 5]);
  d.receive(frame(W, H, "\r\n$ eho\x1b[2;6H"));
  assert.ok(d.draw().equals(frame(W, H, "\r\n$ eho\x1b[2;6H")), "as the shell did it");
});

Deno.test("backspace near the right edge: the last two cells are unknown, as in mosh", () => {
  const d = confirmed({ display: "always" });
  const full = frame(W, H, "\r\n$ abcdefghijklmnopqr\x1b[2;6H");
  d.receive(full);
  d.draw();
  d.type("\x7f");
  const fb = d.draw();
  // Cells 4..17 take their right neighbours; 18 and 19 are unknown and keep the server's.
  assert.equal(fb.rows[1].toText(), "$ abdefghijklmnopqqr");
  assert.deepEqual(cursorOf(fb), [1, 4]);
});

Deno.test("overwrite mode replaces the cell at the cursor, and backspace blanks one", () => {
  const d = confirmed({ overwrite: true });
  d.typeEach("ho");
  d.receive(prompt("echo"));
  d.draw();
  d.type("\x1b[D\x1b[D");
  d.type("X");
  assert.equal(d.line(1), "$ ecXo", "replaced, nothing shifted");
  d.type("\x7f");
  const fb = d.draw();
  assert.equal(fb.rows[1].toText().trimEnd(), "$ ec o");
  assert.deepEqual(cursorOf(fb), [1, 4]);
});

Deno.test("insert mode shifts the row right; the cell pushed past the edge is unknown", () => {
  const d = confirmed({ display: "always", sendInterval: 20 });
  d.receive(prompt("ec\x1b[2;19Hxy\x1b[2;5H"));
  d.draw();
  d.type("h");
  const fb = d.draw();
  // 'x' moved into the last column, whose content is now unknown: it is not drawn, and the
  // server's 'y' stays there until the echo ack.
  assert.equal(fb.rows[1].toText(), "$ ech" + " ".repeat(14) + "y");
});

Deno.test("CR predicts column 0 of the next row, and a blank last row instead of a scroll", () => {
  const d = new Driver(frame(W, 2, "$ ls"), { display: "experimental" });
  d.type("\r");
  assert.deepEqual(cursorOf(d.draw()), [1, 0]);
  d.type("\r");
  const fb = d.draw();
  assert.deepEqual(cursorOf(fb), [1, 0]);
  assert.equal(fb.rows[1].toText().trim(), "");
});

Deno.test("experimental mode drops only the wrong guess and keeps showing the others", () => {
  const d = new Driver(prompt(), { display: "experimental" });
  d.typeEach("ab");
  assert.equal(d.line(1), "$ ab", "shown without any confirmation");
  d.receive(frame(W, H, "\r\n$ Xb\x1b[2;5H"));
  assert.equal(d.line(1), "$ Xb");
  d.type("c");
  assert.equal(d.line(1), "$ Xbc", "still predicting, no new epoch to wait for");
});

Deno.test("typing into the last column is tentative: the application may wrap or not", () => {
  const d = confirmed({ display: "always" });
  d.receive(frame(W, H, "\r\n$ ec\x1b[2;19H"));
  d.draw();
  d.type("a"); // column 18: shown
  assert.equal(d.draw().rows[1].text(18), "a");
  d.type("b"); // column 19, the last: a new epoch
  const fb = d.draw();
  assert.equal(fb.rows[1].text(19), "", "hidden until confirmed");
  assert.deepEqual(cursorOf(fb), [1, 19], "the wrapped cursor is hidden too");
});

Deno.test("a guess that matches what was already there earns no credit", () => {
  const d = new Driver(frame(W, H, "\r\n$ x\x1b[2;3H"), { display: "always", overwrite: true });
  d.type("x"); // over the same 'x'
  d.receive(frame(W, H, "\r\n$ x"));
  d.draw();
  d.type("y");
  assert.equal(d.line(1), "$ x", "the epoch is still unconfirmed: 'y' hidden");
  d.receive(frame(W, H, "\r\n$ xy"));
  d.draw();
  d.type("z");
  assert.equal(d.line(1), "$ xyz", "a guess that changed the screen confirms it");
});

Deno.test("once a guess is confirmed the rest of the row takes the application's renditions", () => {
  const d = confirmed({ sendInterval: 60 });
  d.typeEach("ab");
  const bAt = d.sent;
  d.receive(frame(W, H, "\r\n$ ec\x1b[1;31ma\x1b[m"), bAt - 1n); // 'a' echoed in bold red
  const fb = d.draw();
  assert.equal(fb.rows[1].text(5), "b");
  assert.ok(fb.rows[1].renditions(5).equals(fb.rows[1].renditions(4)), "'b' drawn as 'a' was");
  assert.ok(fb.rows[1].renditions(5).has(Attr.bold));
});

Deno.test("glitch: a guess pending 250 ms shows on a fast link, 5 s underlines, quick ones cure", () => {
  const wide = (line: string) => frame(40, H, "\r\n$ " + line);
  const d = confirmed({ sendInterval: 20 }, 40);
  d.type("h");
  assert.equal(d.line(1), "$ ec");
  d.advance(GLITCH_THRESHOLD - 1);
  assert.equal(d.line(1), "$ ec", "249 ms: not yet");
  d.advance(1);
  let fb = d.draw();
  assert.equal(d.engine.glitchTrigger, 10);
  assert.equal(fb.rows[1].toText().trimEnd(), "$ ech", "250 ms: shown");
  assert.ok(!underlined(fb, 1, 4));
  d.advance(GLITCH_FLAG_THRESHOLD - GLITCH_THRESHOLD);
  fb = d.draw();
  assert.equal(d.engine.glitchTrigger, 20);
  assert.ok(!underlined(fb, 1, 4), "the trigger is read at the start of a cull, as in mosh");
  fb = d.draw();
  assert.ok(underlined(fb, 1, 4), "5 s: underlined from the next frame");
  assert.equal(d.engine.waitTime(), Infinity, "every timing trigger fired: no more wakeups");
  d.receive(wide("ech"));
  d.draw();
  // Quick confirmations at least 150 ms apart take it down one by one.
  let line = "ech";
  for (let i = 0; i < 20; i++) {
    d.advance(GLITCH_REPAIR_MININTERVAL);
    const ch = String.fromCharCode(0x61 + i);
    d.type(ch);
    line += ch;
    d.advance(10);
    d.receive(wide(line));
    d.draw();
    assert.equal(d.engine.glitchTrigger, 19 - i);
  }
  d.type("!");
  assert.equal(d.line(1), "$ " + line, "cured: not shown on a fast link any more");
});

Deno.test("confirmations closer than 150 ms apart count once", () => {
  const d = confirmed({ sendInterval: 20 });
  d.type("h");
  d.advance(GLITCH_THRESHOLD);
  d.draw();
  d.receive(prompt("ech"));
  d.draw();
  d.type("o");
  d.advance(10);
  d.receive(prompt("echo"));
  d.draw();
  assert.equal(d.engine.glitchTrigger, 9);
  d.type("!");
  d.advance(GLITCH_REPAIR_MININTERVAL - 20);
  d.receive(prompt("echo!"));
  d.draw();
  assert.equal(d.engine.glitchTrigger, 9, "too soon after the last one");
});

Deno.test("the engine asks for a wakeup every 50 ms while it predicts", () => {
  const d = confirmed();
  assert.equal(d.engine.waitTime(), Infinity, "nothing predicted");
  d.type("h");
  assert.equal(d.engine.waitTime(), PREDICTION_WAKEUP);
});

Deno.test("a new size of the server's frame, or reset(), drops every guess", () => {
  const d = confirmed();
  d.type("h");
  d.receive(frame(W + 1, H, "\r\n$ ec"), 0n);
  assert.equal(d.line(1), "$ ec");
  assert.equal(d.engine.active, false);
  d.type("x");
  assert.equal(d.line(1), "$ ec", "and starts a new epoch");
  const e = confirmed();
  e.type("h");
  e.engine.reset();
  assert.equal(e.line(1), "$ ec");
});

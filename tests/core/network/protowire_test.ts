/**
 * Our hand-written protobuf codec against protobuf-es's generated code for mosh's schemas:
 * the same bytes out, the same values in, and no exception on garbage.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { create, getExtension, setExtension, toBinary } from "@bufbuild/protobuf";
import { assertEquals } from "../../_assert.ts";
import * as T from "../../../proto/gen/transportinstruction_pb.ts";
import * as U from "../../../proto/gen/userinput_pb.ts";
import * as H from "../../../proto/gen/hostinput_pb.ts";
import * as X from "../../../proto/gen/extensions_pb.ts";
import { parseInstruction, serializeInstruction } from "../../../core/network/instruction.ts";
import {
  decodeUserMessage,
  encodeUserMessage,
  type UserInstruction,
} from "../../../core/statesync/user_message.ts";
import {
  decodeHostMessage,
  encodeHostMessage,
  type HostInstruction,
} from "../../../core/statesync/host_message.ts";
import { fromBinary } from "@bufbuild/protobuf";
import { toHex } from "../../_hex.ts";

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const bytes = fc.uint8Array({ maxLength: 40 });

Deno.test("Instruction: same bytes as protobuf-es, and parsed back", () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 2 ** 32 - 1 }),
      u64,
      u64,
      u64,
      u64,
      bytes,
      bytes,
      (v, o, n, a, t, d, c) => {
        const inst = {
          protocolVersion: v,
          oldNum: o,
          newNum: n,
          ackNum: a,
          throwawayNum: t,
          diff: d,
          chaff: c,
        };
        const ref = toBinary(T.InstructionSchema, create(T.InstructionSchema, inst));
        assertEquals(toHex(serializeInstruction(inst)), toHex(ref));
        const back = parseInstruction(ref)!;
        assertEquals({ ...back, diff: toHex(back.diff), chaff: toHex(back.chaff) }, {
          ...inst,
          diff: toHex(d),
          chaff: toHex(c),
        });
      },
    ),
    { numRuns: 500 },
  );
});

const capabilities = fc.record({ version: fc.nat(), features: fc.nat() }).map((c) => ({ ...c }));

const userInstruction: fc.Arbitrary<UserInstruction> = fc.oneof(
  bytes.map((keys) => ({ keys })),
  fc.tuple(i32, i32).map(([width, height]) => ({ resize: { width, height } })),
  capabilities.map((capabilities) => ({ capabilities })),
);

Deno.test("UserMessage: same bytes as protobuf-es, and parsed back", () => {
  fc.assert(
    fc.property(fc.array(userInstruction, { maxLength: 6 }), (list) => {
      const ref = create(U.UserMessageSchema, {
        instruction: list.map((item) => {
          const inst = create(U.InstructionSchema);
          if ("keys" in item) {
            setExtension(inst, U.keystroke, create(U.KeystrokeSchema, { keys: item.keys }));
          } else if ("resize" in item) {
            setExtension(inst, U.resize, create(U.ResizeMessageSchema, item.resize));
          } else {
            setExtension(inst, X.capabilities, create(X.CapabilitiesSchema, item.capabilities));
          }
          return inst;
        }),
      });
      const refBytes = toBinary(U.UserMessageSchema, ref);
      assertEquals(toHex(encodeUserMessage(list)), toHex(refBytes));
      assertEquals(decodeUserMessage(refBytes), list);
    }),
    { numRuns: 500 },
  );
});

const hostInstruction: fc.Arbitrary<HostInstruction> = fc.oneof(
  bytes.map((hostBytes) => ({ hostBytes })),
  fc.tuple(i32, i32).map(([width, height]) => ({ resize: { width, height } })),
  u64.map((echoAck) => ({ echoAck })),
  capabilities.map((serverCapabilities) => ({ serverCapabilities })),
  fc.record({ start: fc.nat(), length: fc.nat(), rows: bytes }).map((h) => ({
    history: { start: h.start, end: h.start + h.length, rows: h.rows },
  })),
  fc.record({ kind: fc.nat(), text: fc.string({ maxLength: 40 }) }).map((n) => ({
    notice: { ...n },
  })),
);

Deno.test("HostMessage: same bytes as protobuf-es, and parsed back", () => {
  fc.assert(
    fc.property(fc.array(hostInstruction, { maxLength: 6 }), (list) => {
      const ref = create(H.HostMessageSchema, {
        instruction: list.map((item) => {
          const inst = create(H.InstructionSchema);
          if ("hostBytes" in item) {
            setExtension(
              inst,
              H.hostbytes,
              create(H.HostBytesSchema, { hoststring: item.hostBytes }),
            );
          } else if ("resize" in item) {
            setExtension(inst, H.resize, create(H.ResizeMessageSchema, item.resize));
          } else if ("echoAck" in item) {
            setExtension(inst, H.echoack, create(H.EchoAckSchema, { echoAckNum: item.echoAck }));
          } else if ("serverCapabilities" in item) {
            setExtension(
              inst,
              X.server_capabilities,
              create(X.CapabilitiesSchema, item.serverCapabilities),
            );
          } else if ("history" in item) {
            const h = item.history;
            setExtension(
              inst,
              X.history,
              create(X.HistorySchema, { start: BigInt(h.start), end: BigInt(h.end), rows: h.rows }),
            );
          } else setExtension(inst, X.notice, create(X.NoticeSchema, item.notice));
          return inst;
        }),
      });
      const refBytes = toBinary(H.HostMessageSchema, ref);
      assertEquals(toHex(encodeHostMessage(list)), toHex(refBytes));
      assertEquals(decodeHostMessage(refBytes), list);
    }),
    { numRuns: 500 },
  );
});

Deno.test("garbage never throws, and what both parsers accept they read alike", () => {
  let agreed = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), (data) => {
      const ours = decodeHostMessage(data);
      let theirs: H.HostMessage | null = null;
      try {
        theirs = fromBinary(H.HostMessageSchema, data);
      } catch {
        theirs = null;
      }
      if (ours && theirs) {
        agreed++;
        const hostBytes = theirs.instruction.flatMap((i) =>
          getExtension(i, H.hostbytes).hoststring.length
            ? [toHex(getExtension(i, H.hostbytes).hoststring)]
            : []
        );
        const mine = ours.flatMap((h) =>
          "hostBytes" in h && h.hostBytes.length ? [toHex(h.hostBytes)] : []
        );
        assertEquals(mine, hostBytes);
      }
      parseInstruction(data);
      decodeUserMessage(data);
    }),
    { numRuns: 3000 },
  );
  assert.ok(agreed > 0);
});

/**
 * A key holder that sends whatever instructions it likes: any old, new and throwaway numbers
 * and any diff, sealed with the session key as a real client's datagrams are.
 */
import type { Base64Key } from "../../../core/crypto/key.ts";
import { Connection } from "../../../core/network/connection.ts";
import { encodeFragment, Fragmenter } from "../../../core/network/fragment.ts";
import { encodeInstruction, PROTOCOL_VERSION } from "../../../core/network/instruction.ts";
import { platform } from "../../_platform.ts";

/** What a forged instruction says. */
export interface Forged {
  oldNum: bigint;
  newNum: bigint;
  throwawayNum: bigint;
  diff: Uint8Array;
  ackNum?: bigint;
}

/** A function that seals a forged instruction into a client's datagrams, at `now`. */
export function forger(key: Base64Key): (now: number, inst: Forged) => Uint8Array[] {
  const connection = new Connection({ key, server: false, remote: "server:1", now: 0, platform });
  const fragmenter = new Fragmenter();
  return (now, f) => {
    const inst = {
      protocolVersion: PROTOCOL_VERSION,
      ackNum: 0n,
      chaff: new Uint8Array(0),
      ...f,
    };
    const fragments = fragmenter.makeFragments(
      inst,
      encodeInstruction(inst, platform.zlib),
      connection.mtu,
    );
    return fragments.map((fragment) => connection.send(now, encodeFragment(fragment))!.data);
  };
}

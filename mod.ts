/**
 * denomosh: the core of a Deno-native mosh, wire-compatible with mosh 1.4.0.
 *
 * The core is pure: it holds no sockets, timers or processes. Programs drive it with the
 * time and with datagrams, and give it a `Platform` (AES, zlib, random bytes):
 * `nativePlatform()` is Deno's. See `server/`, `client/` and `cli/` for the I/O shells.
 *
 * @module
 */

export { NONCE_BYTES, Ocb, TAG_BYTES } from "./core/crypto/ocb.ts";
export type { BlockCipher } from "./core/crypto/block_cipher.ts";
export type { Platform } from "./core/platform.ts";
export { nativePlatform } from "./io/platform.ts";
export { Base64Key, KeyError } from "./core/crypto/key.ts";
export {
  DATAGRAM_OVERHEAD,
  DatagramCodec,
  Direction,
  NO_TIMESTAMP,
  type Packet,
  RECEIVE_MTU,
  timestamp16,
} from "./core/network/datagram.ts";
export {
  decodeFragment,
  encodeFragment,
  type Fragment,
  FragmentAssembly,
  Fragmenter,
} from "./core/network/fragment.ts";
export { MTU_FALLBACK, MTU_IPV4, MTU_IPV6 } from "./core/network/mtu.ts";
export { compress, decompress, MAX_INFLATED_BYTES, type Zlib } from "./core/network/compressor.ts";
export {
  decodeInstruction,
  encodeInstruction,
  type Instruction,
  PROTOCOL_VERSION,
} from "./core/network/instruction.ts";
export { DropCounter, type DropReason } from "./core/network/drop.ts";
export {
  decodeUserMessage,
  encodeUserMessage,
  type UserInstruction,
} from "./core/statesync/user_message.ts";
export {
  decodeHostMessage,
  encodeHostMessage,
  type HostInstruction,
} from "./core/statesync/host_message.ts";
export { Connection, type Outgoing } from "./core/network/connection.ts";
export { RttEstimator } from "./core/network/rtt.ts";
export { type TimestampedState, TransportSender } from "./core/transport/sender.ts";
export { Transport, type TransportOptions } from "./core/transport/transport.ts";
export type { SyncState } from "./core/statesync/state.ts";
export { UserStream } from "./core/statesync/user_stream.ts";
export { CompleteTerminal, TerminalContext } from "./core/statesync/complete_terminal.ts";
export * from "./core/terminal/mod.ts";
export {
  type DisplayPreference,
  PredictionEngine,
  type PredictionOptions,
} from "./core/prediction/prediction.ts";

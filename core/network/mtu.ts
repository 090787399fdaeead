/**
 * The datagram sizes mosh sends: a conservative size for each IP family that passes any path
 * without fragments, and a smaller one after the system said a datagram was too long. Apart
 * from `fragment.ts` so that a shell can ask what size is "too long" without loading the
 * datagram codec (`io/udp_socket.ts`, in mosh-server's first process).
 *
 * @module
 */

/** The application datagram size mosh uses over IPv4 (1280 - 28), bytes. */
export const MTU_IPV4 = 1252;
/** The application datagram size mosh uses over IPv6 (1280 - 64), bytes. */
export const MTU_IPV6 = 1216;
/** The datagram size mosh falls back to after `sendto` fails with EMSGSIZE, bytes. */
export const MTU_FALLBACK = 500;

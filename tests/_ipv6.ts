/** Whether this machine has an IPv6 loopback to bind UDP on (containers may not). */
export function hasIpv6Loopback(): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

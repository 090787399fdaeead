/**
 * What `/proc` shows of every process: its arguments and its environment, where a secret could
 * be read by another user's `ps e` or by anyone with the same uid. And which UDP sockets a
 * process holds, on which local address.
 */

/** One process as `/proc` shows it. */
export interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
  /** The environment the process started with; null when unreadable. */
  environ: string[] | null;
}

function read(path: string): string | null {
  try {
    return new TextDecoder().decode(Deno.readFileSync(path));
  } catch {
    return null;
  }
}

/** Every process now running (zombies have no arguments or environment left). */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmdline = read(`/proc/${e.name}/cmdline`);
    const stat = read(`/proc/${e.name}/stat`);
    if (cmdline === null || stat === null) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const environ = read(`/proc/${e.name}/environ`);
    out.push({
      pid: Number(e.name),
      ppid: Number(fields[1]),
      argv: cmdline.split("\0").filter((a, i, all) => i < all.length - 1 || a !== ""),
      environ: environ === null ? null : environ.split("\0").filter((v) => v !== ""),
    });
  }
  return out;
}

/** Where `secret` shows: each process whose arguments or starting environment hold it. */
export interface Sighting {
  pid: number;
  where: "argv" | "environ";
  /** The argument or variable that holds it. */
  entry: string;
  argv: string[];
}

/** Every place `/proc` shows `secret`. */
export function sightings(secret: string): Sighting[] {
  const out: Sighting[] = [];
  for (const p of processes()) {
    for (const a of p.argv) {
      if (a.includes(secret)) out.push({ pid: p.pid, where: "argv", entry: a, argv: p.argv });
    }
    for (const v of p.environ ?? []) {
      if (v.includes(secret)) {
        out.push({ pid: p.pid, where: "environ", entry: v.split("=")[0], argv: p.argv });
      }
    }
  }
  return out;
}

/** The process, among all, whose arguments satisfy `test`. */
export function findProcess(test: (argv: string[]) => boolean): Proc | undefined {
  return processes().find((p) => test(p.argv));
}

/** The descendants of `pid` (children, their children...). */
export function descendants(pid: number): Proc[] {
  const all = processes();
  const out: Proc[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid === parent) {
        out.push(p);
        queue.push(p.pid);
      }
    }
  }
  return out;
}

/** A UDP socket as `/proc/net/udp{,6}` lists it. */
export interface UdpSocket {
  family: "inet" | "inet6";
  /** The local address, as text ("127.0.0.1", "0.0.0.0", "::1", "::"). */
  address: string;
  port: number;
  inode: number;
}

function ipv4(hex: string): string {
  // /proc/net/udp prints the address as a host-order (little-endian here) 32-bit word.
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join(".");
}

function ipv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8).match(/../g)!.reverse().join("");
    words.push(w.slice(0, 4), w.slice(4));
  }
  return words.map((w) => parseInt(w, 16).toString(16)).join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/** The UDP sockets that process `pid` holds. */
export function udpSocketsOf(pid: number): UdpSocket[] {
  const inodes = new Set<number>();
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  const out: UdpSocket[] = [];
  for (const family of ["inet", "inet6"] as const) {
    const table = read(family === "inet" ? "/proc/net/udp" : "/proc/net/udp6") ?? "";
    for (const line of table.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const inode = Number(f[9]);
      if (!inodes.has(inode)) continue;
      const [addr, port] = f[1].split(":");
      out.push({
        family,
        address: family === "inet" ? ipv4(addr) : ipv6(addr),
        port: parseInt(port, 16),
        inode,
      });
    }
  }
  return out;
}

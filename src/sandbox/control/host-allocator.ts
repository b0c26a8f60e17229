/**
 * Hands each cluster its own loopback address, so every cluster's mariadbd can listen on port 3306 (the port
 * the lab hard-codes) and the address alone can serve as the cluster's Endpoint.
 */
import { fault } from './faults.js';

export function parseHostBase(base: string): [number, number, number, number] {
  const parts = base.split('.').map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  if (parts.length !== 4 || parts.some((n) => !(n >= 0 && n <= 255)) || parts[0] !== 127) {
    throw new Error(`"${base}" is not a loopback IPv4 address (127.x.y.z)`);
  }
  if (parts[1] === 0 && parts[2] === 0) {
    // 127.0.0.x is where a system MariaDB listens; the sandbox must never collide with it.
    throw new Error(`"${base}" is in 127.0.0.0/24, which the sandbox leaves to system servers`);
  }
  if (parts[3] === 0 || parts[3] === 255) throw new Error(`"${base}" cannot end in .0 or .255`);
  return parts as [number, number, number, number];
}

/** The lowest address at or above `base` (same /24) that no cluster in `used` holds. */
export function allocateHost(base: string, used: Iterable<string>): string {
  const [a, b, c, first] = parseHostBase(base);
  const taken = new Set(used);
  for (let d = first; d <= 254; d++) {
    const host = `${a}.${b}.${c}.${d}`;
    if (!taken.has(host)) return host;
  }
  throw fault('DBClusterQuotaExceededFault', `No free loopback address is left at or above ${base}.`);
}

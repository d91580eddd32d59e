import ipaddr from 'ipaddr.js';

/**
 * The key a per-address limiter counts a client under: its IPv4 address (also when it comes IPv4-mapped,
 * `::ffff:a.b.c.d`), or the /64 of its IPv6 address — one subscriber usually holds a whole /64, so counting single
 * IPv6 addresses would give each attacker 2^64 fresh keys. Anything unparsable is its own key.
 */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toRFC5952String()}/64`;
}

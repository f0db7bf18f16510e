/**
 * Which target addresses a webhook may not reach unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true:
 * loopback, private, link-local (cloud metadata lives at 169.254.169.254 and fd00:ec2::254),
 * CGNAT, multicast, reserved and unspecified ranges, and IPv6 forms that embed an IPv4 address
 * (IPv4-mapped, NAT64, 6to4) judged by that address. The send path checks the address it
 * resolved and then connects to that same address, so DNS cannot change the answer in between.
 */
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // ::/96 (IPv4-compatible, deprecated) and ::ffff:0:0:0/96 (IPv4-translated): whole ranges, since
  // the URL parser rewrites their dotted tails to hex. IPv4-mapped (::ffff:a.b.c.d) is judged by its IPv4.
  ['::', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(network, prefix, 'ipv6');

/** Two 16-bit hex groups as a dotted IPv4 address. */
function dotted(high: string, low: string): string {
  const n = (parseInt(high, 16) << 16) | parseInt(low, 16);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const written = /^(?:::ffff:|::ffff:0:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (written) return written[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower) ?? /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  return hex ? dotted(hex[1]!, hex[2]!) : undefined;
}

/** True when a webhook may not be sent to this IP address (private networks not allowed). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse
  const inner = embeddedIpv4(address);
  if (inner !== undefined && isForbiddenAddress(inner)) return true;
  return blocked.check(address, 'ipv6');
}

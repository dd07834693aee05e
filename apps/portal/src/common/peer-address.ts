import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * IPv4 ranges a peer may not resolve to unless PORTAL_ALLOW_PRIVATE_PEERS=true: every block of the
 * IANA special-purpose registry that is not globally reachable, plus multicast and the reserved rest.
 */
const NON_PUBLIC_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, limited broadcast
] as const) {
  NON_PUBLIC_V4.addSubnet(network, prefix, 'ipv4');
}

/**
 * IPv6 ranges refused outright. The prefixes that embed an IPv4 address (::/96, ::ffff:0:0/96,
 * ::ffff:0:0:0/96, 64:ff9b::/96) are handled apart in isNonPublicAddress: the IPv4 inside decides.
 */
const NON_PUBLIC_V6 = new BlockList();
for (const [network, prefix] of [
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: reaches whatever IPv4 it embeds
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  NON_PUBLIC_V6.addSubnet(network, prefix, 'ipv6');
}

/**
 * True for loopback, private, link-local, documentation and other non-public addresses, in any
 * spelling: IPv4-mapped, IPv4-compatible and NAT64 forms are judged by the IPv4 address they carry.
 * Anything that is not an IP address is refused too.
 */
export function isNonPublicAddress(input: string): boolean {
  const address = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC_V4.check(address, 'ipv4');
  if (family !== 6) return true;
  const words = ipv6Words(address);
  if (!words) return true;
  const embedded = `${words[6] >> 8}.${words[6] & 0xff}.${words[7] >> 8}.${words[7] & 0xff}`;
  const zeros = (from: number, to: number): boolean => words.slice(from, to).every((w) => w === 0);
  // ::/96 (IPv4-compatible, with :: and ::1): never a peer.
  if (zeros(0, 6)) return true;
  // ::ffff:0:0/96 (IPv4-mapped) and ::ffff:0:0:0/96 (IPv4-translated): the IPv4 address is the one reached.
  if (zeros(0, 5) && words[5] === 0xffff) return NON_PUBLIC_V4.check(embedded, 'ipv4');
  if (zeros(0, 4) && words[4] === 0xffff && words[5] === 0) return NON_PUBLIC_V4.check(embedded, 'ipv4');
  // 64:ff9b::/96 (well-known NAT64): the gateway connects to the IPv4 address inside.
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) return NON_PUBLIC_V4.check(embedded, 'ipv4');
  return NON_PUBLIC_V6.check(words.map((w) => w.toString(16)).join(':'), 'ipv6');
}

/** The eight 16-bit words of an IPv6 address (isIP already said it is one), or null. */
function ipv6Words(address: string): number[] | null {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const parse = (part: string | undefined): number[] => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  const words = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : null;
}

/** How long a Portal URL's host name may take to resolve when a contact is created. */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * Why a Portal URL must not be contacted, or null: its host is an address in a refused range, or a
 * name that resolves only to such addresses. A name that cannot be resolved now is not refused here
 * (it may appear later); every call checks the address it connects to anyway.
 */
export async function refusedPeerHost(portalUrl: string): Promise<string | null> {
  let hostname: string;
  try {
    hostname = new URL(portalUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return 'not a URL';
  }
  if (isIP(hostname)) {
    return isNonPublicAddress(hostname) ? `${hostname} is a private, local or reserved address` : null;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), LOOKUP_TIMEOUT_MS);
  });
  try {
    const addresses = await Promise.race([lookup(hostname, { all: true }), timeout]);
    if (!addresses || addresses.length === 0) return null;
    if (addresses.every((a) => isNonPublicAddress(a.address))) {
      return `${hostname} resolves only to private, local or reserved addresses (${addresses.map((a) => a.address).join(', ')})`;
    }
    return null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, isIPv6, type LookupFunction } from 'node:net';

/** What an address is, as far as webhook delivery cares. */
export type AddressKind = 'public' | 'loopback' | 'refused';

// Never a webhook target: unspecified, private, shared (CGNAT), link-local (the cloud metadata
// services 169.254.169.254 and fd00:ec2::254 among them), documentation, benchmarking,
// multicast and reserved ranges.
const refusedV4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const refusedV6: ReadonlyArray<[string, number]> = [
  ['::', 128], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

/** Classifies IP addresses (literal text, either family); IPv4 inside IPv6 (mapped, NAT64, compatible) as that IPv4. */
export function addressClassifier(): (address: string) => AddressKind {
  const refused = new BlockList();
  for (const [network, prefix] of refusedV4) refused.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of refusedV6) refused.addSubnet(network, prefix, 'ipv6');
  const loopback = new BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  const classify = (address: string): AddressKind => {
    const family = isIP(address);
    if (family === 0) return 'refused';
    if (family === 6) {
      const embedded = embeddedIPv4(address);
      if (embedded !== null) return classify(embedded);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (loopback.check(address, type)) return 'loopback';
    return refused.check(address, type) ? 'refused' : 'public';
  };
  return classify;
}

/** The IPv4 address inside `::ffff:a.b.c.d`, `64:ff9b::a.b.c.d` or `::a.b.c.d` (any spelling); null for other IPv6. */
function embeddedIPv4(address: string): string | null {
  const groups = expandIPv6(address);
  if (groups === null) return null;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const mapped = zeros(0, 5) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6);
  // ::/96 other than :: and ::1 themselves (left to the IPv6 lists).
  const compatible = zeros(0, 6) && (groups[6] !== 0 || groups[7]! > 1);
  if (!mapped && !nat64 && !compatible) return null;
  const [high, low] = [groups[6]!, groups[7]!];
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped; a dotted IPv4 tail converted). */
function expandIPv6(address: string): number[] | null {
  let text = address.split('%')[0]!.toLowerCase();
  if (!isIPv6(text)) return null;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const groups = [...left, ...fill, ...right];
  return groups.length === 8 ? groups : null;
}

/** Thrown when a webhook's host is, or resolves to, an address it may not reach. */
export class AddressRefusedError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
  constructor(readonly address: string) {
    super(`address refused: ${address}`);
    this.name = 'AddressRefusedError';
  }
}

export interface TargetPolicy {
  /** Loopback addresses may be reached (development only). */
  allowLoopback: boolean;
  /** The URL is http://, which only a loopback target may use. */
  plainHttp: boolean;
}

/** Whether a connection to `address` is allowed under `policy`. */
export function targetAllowed(classify: (address: string) => AddressKind, address: string, policy: TargetPolicy): boolean {
  const kind = classify(address);
  if (kind === 'loopback') return policy.allowLoopback;
  return kind === 'public' && !policy.plainHttp;
}

/**
 * A `lookup` for net/tls connections that resolves the name and refuses the connection unless
 * every address it resolved to is allowed: the check is on the address actually connected to, so
 * a name that resolves to a public address when added and to 169.254.169.254 when delivered to
 * (DNS rebinding) is still refused.
 */
export function guardedLookup(classify: (address: string) => AddressKind, policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((entry) => !targetAllowed(classify, entry.address, policy));
      if (refused !== undefined || addresses.length === 0) return callback(new AddressRefusedError(refused?.address ?? hostname), '', 0);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

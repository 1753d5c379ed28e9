// Which addresses the publisher may fetch media from. Editors enter media URLs, and the publisher
// (for X, which takes the bytes) downloads them from inside the deployment's network: a URL naming
// the pod's loopback, a private service, or the cloud's metadata endpoint (169.254.169.254) would
// make the publisher fetch — and upload to X — what only it can reach. So every address a media
// download connects to must be a public unicast one, unless its host is on the configured
// allow-list (the simulator locally, an internal media store in a deployment that has one).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/** What an IP address is, as far as fetching from it goes; only `public` may be fetched. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'multicast'
  /** 100.64.0.0/10, carrier-grade NAT: inside a provider's network (some clouds' metadata lives there). */
  | 'shared'
  /** Reserved, documentation, benchmarking and broadcast ranges: never a real public host. */
  | 'reserved';

type Range = [prefix: bigint, bits: number, cls: AddressClass];

const v4 = (text: string): bigint =>
  text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);

/** IPv4 ranges, most specific first where they nest. */
const V4_RANGES: Range[] = [
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'shared'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

/** Parses an IPv6 address (with an optional zone, and an IPv4 tail) into its 128 bits. */
function v6(text: string): bigint {
  let address = text.split('%')[0].toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail) {
    const n = v4(tail[1]);
    address = `${address.slice(0, -tail[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

const V6_RANGES: Range[] = [
  [v6('::'), 128, 'unspecified'],
  [v6('::1'), 128, 'loopback'],
  [v6('fc00::'), 7, 'private'],
  // Site-local, deprecated but still routed inside some networks.
  [v6('fec0::'), 10, 'private'],
  [v6('fe80::'), 10, 'link-local'],
  [v6('ff00::'), 8, 'multicast'],
  [v6('2001:db8::'), 32, 'reserved'],
  [v6('100::'), 64, 'reserved'],
];

/** IPv6 forms that carry an IPv4 address, which is what is really reached: mapped, compatible, NAT64, 6to4. */
function embeddedV4(n: bigint): bigint | null {
  if (n >> 32n === 0xffffn) return n & 0xffffffffn; // ::ffff:a.b.c.d
  if (n >> 32n === 0n && n > 1n) return n; // ::a.b.c.d (deprecated "compatible")
  if (n >> 32n === v6('64:ff9b::') >> 32n) return n & 0xffffffffn; // NAT64 well-known prefix
  if (n >> 112n === 0x2002n) return (n >> 80n) & 0xffffffffn; // 6to4
  return null;
}

function inRanges(n: bigint, width: number, ranges: Range[]): AddressClass {
  for (const [prefix, bits, cls] of ranges) {
    const shift = BigInt(width - bits);
    if (n >> shift === prefix >> shift) return cls;
  }
  return 'public';
}

/** Classifies an IP address (v4 or v6 text); anything that is not an IP address is 'reserved'. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.split('%')[0]);
  if (family === 4) return inRanges(v4(bare), 32, V4_RANGES);
  if (family !== 6) return 'reserved';
  const n = v6(bare);
  const cls = inRanges(n, 128, V6_RANGES);
  if (cls !== 'public') return cls;
  const inner = embeddedV4(n);
  return inner === null ? 'public' : inRanges(inner, 32, V4_RANGES);
}

/** An allow-list entry: a host name or IP address, and a port or any port. */
export interface AllowedHost {
  host: string;
  port: number | null;
}

/** The policy of media downloads: the allow-list, and whether plain http is refused. */
export interface MediaFetchPolicy {
  allowed: readonly AllowedHost[];
  httpsOnly: boolean;
}

/** An allow-list entry could not be read. */
export class AllowListError extends Error {
  constructor(entry: string) {
    super(`"${entry}" is not a host or host:port (IPv6 in brackets: [::1]:8080)`);
    this.name = 'AllowListError';
  }
}

/** Parses `host[:port],…` (IPv6 hosts in brackets); an empty string allows nothing. */
export function parseAllowedHosts(value: string): AllowedHost[] {
  return value
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(entry);
      const port = m?.[2] === undefined ? null : Number(m[2]);
      if (!m || (port !== null && (port < 1 || port > 65535))) throw new AllowListError(entry);
      return { host: m[1], port };
    });
}

/** Whether a URL's host (and port) is on the allow-list. */
export function isAllowedHost(url: URL, policy: MediaFetchPolicy): boolean {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return policy.allowed.some((a) => a.host === host && (a.port === null || a.port === port));
}

/** A media URL names, or resolves to, an address the publisher must not fetch from. */
export class BlockedAddressError extends Error {
  readonly code = 'EPRASAR_BLOCKED_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: AddressClass,
  ) {
    const what = `${/^[aeiou]/.test(addressClass) ? 'an' : 'a'} ${addressClass} address`;
    super(
      host === address
        ? `names ${what} (${address}), which the publisher does not fetch from`
        : `resolves to ${what} (${host} is ${address}), which the publisher does not fetch from`,
    );
    this.name = 'BlockedAddressError';
  }
}

/**
 * A `lookup` for the sockets of a media download: resolves the host and refuses it unless every
 * address is public, so the address the socket then connects to is one that was checked (a name
 * that resolves differently a moment later gains nothing).
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  const all: LookupAllOptions = { ...options, all: true };
  dnsLookup(hostname, all, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const blocked = addresses.find((a) => classifyAddress(a.address) !== 'public');
    if (blocked) {
      const error = new BlockedAddressError(hostname, blocked.address, classifyAddress(blocked.address));
      return callback(error as unknown as NodeJS.ErrnoException, '', 0);
    }
    if (addresses.length === 0) {
      const none = Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
      return callback(none, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

// The media fetch's address guard: which addresses are inside the network, how the allow-list reads,
// and that the socket lookup refuses a name resolving inside.
import type { LookupAddress } from 'node:dns';
import {
  AllowListError,
  BlockedAddressError,
  classifyAddress,
  isAllowedHost,
  parseAllowedHosts,
  publicOnlyLookup,
  type AddressClass,
} from './address-guard';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['not-an-address', 'reserved'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '169.253.255.255',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
  ])('%s is public', (address) => {
    expect(classifyAddress(address)).toBe('public');
  });

  it('sees through IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4), and brackets', () => {
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback');
    expect(classifyAddress('::ffff:169.254.169.254')).toBe('link-local');
    expect(classifyAddress('::10.1.2.3')).toBe('private');
    expect(classifyAddress('64:ff9b::a9fe:a9fe')).toBe('link-local');
    expect(classifyAddress('2002:c0a8:0101::1')).toBe('private');
    expect(classifyAddress('[::1]')).toBe('loopback');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
  });
});

describe('the allow-list', () => {
  it('reads host[:port] entries, case-insensitively, with IPv6 in brackets; empty allows nothing', () => {
    expect(parseAllowedHosts('')).toEqual([]);
    expect(parseAllowedHosts(' 127.0.0.1:4900 , Media.Internal ,[::1]:8080')).toEqual([
      { host: '127.0.0.1', port: 4900 },
      { host: 'media.internal', port: null },
      { host: '[::1]', port: 8080 },
    ]);
  });

  it.each(['http://127.0.0.1', '127.0.0.1:99999', 'host:port', '::1', 'a b'])(
    'refuses the entry %s',
    (entry) => {
      expect(() => parseAllowedHosts(entry)).toThrow(AllowListError);
    },
  );

  it('matches a URL by host, and by port when the entry names one (the scheme’s port by default)', () => {
    const policy = {
      allowed: parseAllowedHosts('127.0.0.1:4900,media.internal,[::1]:443'),
      httpsOnly: false,
    };
    expect(isAllowedHost(new URL('http://127.0.0.1:4900/media/a.jpg'), policy)).toBe(true);
    expect(isAllowedHost(new URL('http://127.0.0.1:4901/media/a.jpg'), policy)).toBe(false);
    expect(isAllowedHost(new URL('http://localhost:4900/media/a.jpg'), policy)).toBe(false);
    expect(isAllowedHost(new URL('https://MEDIA.internal:8443/x'), policy)).toBe(true);
    expect(isAllowedHost(new URL('https://[::1]/x'), policy)).toBe(true);
    expect(isAllowedHost(new URL('http://[::1]/x'), policy)).toBe(false);
  });
});

describe('publicOnlyLookup', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; result: string | LookupAddress[] }>((resolve) =>
      publicOnlyLookup(
        host,
        { all } as never,
        ((err: NodeJS.ErrnoException | null, result: string | LookupAddress[]) =>
          resolve({ err, result })) as never,
      ),
    );

  it('refuses a name that resolves to loopback, with a typed error naming the address', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', all);
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err).toMatchObject({ host: 'localhost', addressClass: 'loopback' });
      expect(err?.message).toMatch(/resolves to a loopback address \(localhost is (127\.0\.0\.1|::1)\)/);
    }
  });

  it('passes a resolution failure on as it is', async () => {
    const { err } = await lookup('no-such-host.invalid', false);
    expect(err).not.toBeInstanceOf(BlockedAddressError);
    expect(err?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { isNonPublicAddress, refusedPeerHost } from './peer-address';

describe('isNonPublicAddress', () => {
  // One or more addresses of every refused range, with the range named in the test title.
  const refused: Array<[string, string[]]> = [
    ['0.0.0.0/8 "this" network', ['0.0.0.0', '0.255.1.2']],
    ['10.0.0.0/8 private', ['10.1.2.3']],
    ['100.64.0.0/10 carrier-grade NAT', ['100.64.0.1', '100.127.255.254']],
    ['127.0.0.0/8 loopback', ['127.0.0.1', '127.255.0.9']],
    ['169.254.0.0/16 link-local', ['169.254.169.254']],
    ['172.16.0.0/12 private', ['172.16.0.1', '172.31.255.255']],
    ['192.0.0.0/24 IETF protocol assignments', ['192.0.0.8']],
    ['192.0.2.0/24 TEST-NET-1', ['192.0.2.1']],
    ['192.88.99.0/24 6to4 relay', ['192.88.99.1']],
    ['192.168.0.0/16 private', ['192.168.1.1']],
    ['198.18.0.0/15 benchmarking', ['198.18.0.1', '198.19.255.1']],
    ['198.51.100.0/24 TEST-NET-2', ['198.51.100.7']],
    ['203.0.113.0/24 TEST-NET-3', ['203.0.113.9']],
    ['224.0.0.0/4 multicast', ['224.0.0.1', '239.255.255.250']],
    ['240.0.0.0/4 reserved and broadcast', ['240.0.0.1', '255.255.255.255']],
    ['::/128 and ::1/128', ['::', '::1', '0:0:0:0:0:0:0:1']],
    ['::/96 IPv4-compatible', ['::127.0.0.1', '::7f00:1', '[::127.0.0.1]', '::8.8.8.8']],
    ['::ffff:0:0/96 IPv4-mapped, dotted', ['::ffff:127.0.0.1', '::FFFF:10.0.0.1', '0:0:0:0:0:ffff:192.168.0.1']],
    ['::ffff:0:0/96 IPv4-mapped, hex', ['::ffff:7f00:1', '0:0:0:0:0:ffff:a9fe:a9fe', '[::ffff:a00:1]']],
    ['::ffff:0:0:0/96 IPv4-translated', ['::ffff:0:127.0.0.1', '::ffff:0:a00:1']],
    ['64:ff9b::/96 NAT64 with a private IPv4 inside', ['64:ff9b::127.0.0.1', '64:ff9b::a00:1', '64:ff9b::a9fe:a9fe']],
    ['64:ff9b:1::/48 local-use NAT64', ['64:ff9b:1::8.8.8.8', '64:ff9b:1:ffff::1']],
    ['100::/64 discard-only', ['100::1']],
    ['2001::/23 IETF protocol assignments (Teredo)', ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2']],
    ['2001:db8::/32 documentation', ['2001:db8::1', '2001:db8:ffff::2']],
    ['2002::/16 6to4', ['2002:7f00:1::1', '2002:808:808::1']],
    ['3fff::/20 documentation', ['3fff::1']],
    ['5f00::/16 segment routing', ['5f00::1']],
    ['fc00::/7 unique local', ['fc00::1', 'fd12:3456::1']],
    ['fe80::/10 link-local', ['fe80::1', 'fe80::1%eth0', 'febf::1']],
    ['fec0::/10 site-local', ['fec0::1']],
    ['ff00::/8 multicast', ['ff02::1', 'ff0e::1']],
    ['anything that is not an IP address', ['not-an-ip', 'localhost', '', '1.2.3', '1::2::3', '12345::1']],
  ];
  it.each(refused)('refuses %s', (_range, addresses) => {
    for (const address of addresses) expect([address, isNonPublicAddress(address)]).toEqual([address, true]);
  });

  it.each([
    '93.184.216.34',
    '1.1.1.1',
    '8.8.8.8',
    '100.63.255.255',
    '100.128.0.0',
    '172.32.0.1',
    '192.0.3.1',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '64:ff9b::808:808',
    '2001:200::1',
    '2003::1',
  ])('%s is public', (address) => expect(isNonPublicAddress(address)).toBe(false));
});

describe('refusedPeerHost', () => {
  it('refuses an address literal in a refused range, in any spelling the URL parser accepts', async () => {
    for (const url of [
      'https://10.0.0.1',
      'https://127.1',
      'https://0x7f.0.0.1',
      'https://2130706433',
      'https://[::127.0.0.1]',
      'https://[::ffff:7f00:1]',
      'https://203.0.113.5:8443/portal',
    ]) {
      expect([url, await refusedPeerHost(url)]).toEqual([url, expect.stringMatching(/is a private, local or reserved address/)]);
    }
  });

  it('accepts a public address literal', async () => {
    expect(await refusedPeerHost('https://93.184.216.34')).toBeNull();
    expect(await refusedPeerHost('https://[2606:4700:4700::1111]')).toBeNull();
  });

  it('refuses a name that resolves only to refused addresses', async () => {
    expect(await refusedPeerHost('https://localhost:8443')).toMatch(
      /^localhost resolves only to private, local or reserved addresses \(.*127\.0\.0\.1/,
    );
  });

  it('does not refuse a name that cannot be resolved now (the connect-time check stays)', async () => {
    expect(await refusedPeerHost('https://no-such-host.invalid')).toBeNull();
  });
});

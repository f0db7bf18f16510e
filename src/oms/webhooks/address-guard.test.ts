import { describe, expect, it } from 'vitest';
import { isForbiddenAddress } from './address-guard';

// Addresses are only checked here, never connected to.
describe('webhook address guard', () => {
  it.each([
    ['loopback', ['127.0.0.1', '127.255.255.254', '::1']],
    ['private', ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', 'fd12:3456::1', 'fc00::1']],
    ['link-local and metadata', ['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254']],
    ['CGNAT', ['100.64.0.1', '100.127.255.255']],
    ['multicast and reserved', ['224.0.0.1', '239.255.255.250', 'ff02::1', '240.0.0.1', '255.255.255.255', '0.0.0.0', '::']],
    [
      'IPv4-mapped and embedded IPv6',
      ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '64:ff9b::10.0.0.1', '2002:7f00:1::1', '::127.0.0.1'],
    ],
    // What the URL parser makes of http://[::127.0.0.1]/ and http://[::ffff:0:127.0.0.1]/: hex tails.
    ['IPv4-compatible and IPv4-translated, as hex', ['::7f00:1', '::a9fe:a9fe', '::808:808', '::ffff:0:7f00:1', '::ffff:0:808:808']],
    ['not an address', ['localhost', '', '1.2.3', '::g']],
  ])('refuses %s', (_kind, addresses) => {
    for (const address of addresses as string[]) expect(isForbiddenAddress(address), address).toBe(true);
  });

  it('judges the address a URL really names, as the URL parser writes it', () => {
    for (const url of ['http://[::127.0.0.1]/', 'http://[::ffff:0:127.0.0.1]/', 'http://[::ffff:127.0.0.1]/']) {
      expect(isForbiddenAddress(new URL(url).hostname.slice(1, -1)), url).toBe(true);
    }
  });

  it('allows public addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isForbiddenAddress(address), address).toBe(false);
    }
  });
});

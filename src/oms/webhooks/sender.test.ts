import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, WebhookSender, type Resolver } from './sender';

// A real receiver on loopback; names are resolved by stubs, so nothing leaves the machine.
let server: Server;
let port: number;
const seen: { host?: string; body: string; headers: IncomingMessage['headers'] }[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('ok');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req
      .on('data', (c) => (body += c))
      .on('end', () => {
        seen.push({ host: req.headers.host, body, headers: req.headers });
        answer(req, res);
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];

describe('webhook sender', () => {
  it('posts the body with the given headers, and connects to the address it resolved and checked', async () => {
    const sender = new WebhookSender({ allowPrivateNetworks: true, resolve: toLoopback });
    answer = (_req, res) => res.writeHead(202).end('accepted');
    // hooks.invalid never resolves through real DNS: only our lookup can have routed it.
    const result = await sender.send(`http://hooks.invalid:${port}/in`, { 'webhook-id': 'evt_1' }, '{"a":1}');
    expect(result).toMatchObject({ statusCode: 202, responseBody: 'accepted' });
    expect(seen.at(-1)).toMatchObject({ host: `hooks.invalid:${port}`, body: '{"a":1}' });
    expect(seen.at(-1)!.headers).toMatchObject({ 'webhook-id': 'evt_1', 'content-type': 'application/json' });
    await sender.close();
  });

  it('refuses private targets when they are not allowed, before any connection', async () => {
    const before = seen.length;
    const sender = new WebhookSender({ allowPrivateNetworks: false, resolve: toLoopback });
    const byName = await sender.send(`http://hooks.invalid:${port}/in`, {}, '{}');
    expect(byName.error).toMatch(/^refused: hooks\.invalid resolves to 127\.0\.0\.1/);
    const literal = await sender.send(`http://127.0.0.1:${port}/in`, {}, '{}');
    expect(literal.error).toMatch(/^refused: 127\.0\.0\.1 is a private/);
    for (const address of ['10.0.0.7', '169.254.169.254', '::ffff:127.0.0.1', 'fe80::1', '100.64.1.1']) {
      const stubbed = new WebhookSender({ allowPrivateNetworks: false, resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }] });
      expect((await stubbed.send('http://metadata.invalid/latest', {}, '{}')).error, address).toMatch(/^refused:/);
      await stubbed.close();
    }
    // One private answer among public ones refuses the name.
    const mixed = new WebhookSender({
      allowPrivateNetworks: false,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    expect((await mixed.send('http://mixed.invalid/', {}, '{}')).error).toMatch(/^refused:/);
    await mixed.close();
    expect(seen.length).toBe(before);
    await sender.close();
  });

  it('does not follow redirects, records a timeout, and reads Retry-After', async () => {
    const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 300 });
    answer = (_req, res) => res.writeHead(301, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    expect(await sender.send(`http://127.0.0.1:${port}/`, {}, '{}')).toMatchObject({ statusCode: 301 });
    answer = (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end();
    expect(await sender.send(`http://127.0.0.1:${port}/`, {}, '{}')).toMatchObject({ statusCode: 429, retryAfterMs: 7000 });
    answer = (_req, res) => setTimeout(() => res.end('late'), 1000);
    const slow = await sender.send(`http://127.0.0.1:${port}/`, {}, '{}');
    expect(slow.error).toBe('timeout');
    expect(slow.latencyMs).toBeGreaterThanOrEqual(250);
    answer = (_req, res) => res.end('x'.repeat(100_000));
    expect((await sender.send(`http://127.0.0.1:${port}/`, {}, '{}')).responseBody).toHaveLength(4096);
    await sender.close();
  });

  it('reports a receiver that is down', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const sender = new WebhookSender({ allowPrivateNetworks: true });
    expect((await sender.send(`http://127.0.0.1:${deadPort}/`, {}, '{}')).error).toMatch(/ECONNREFUSED/);
    await sender.close();
  });

  it('parses Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

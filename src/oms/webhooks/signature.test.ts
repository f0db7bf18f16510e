import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, isValidSecret, signedHeaders } from './signature';

describe('webhook signatures', () => {
  it('are verified by an independent Standard Webhooks implementation, for every active secret', () => {
    const secrets = [generateSecret(), generateSecret()];
    const body = JSON.stringify({ id: 'evt', type: 'order.created', data: { order: { reference: 'ünï', total: '1.00' } } });
    const headers = signedHeaders(secrets, '01a2018d-0000-7000-8000-000000000001', body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of secrets) expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('fail verification for another secret, another body, or another id', () => {
    const secret = generateSecret();
    const body = '{"a":1}';
    const headers = signedHeaders([secret], 'msg_1', body);
    expect(() => new Webhook(generateSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify('{"a":2}', { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
  });

  it('accept only well-formed secrets of 24 to 64 bytes', () => {
    expect(isValidSecret(generateSecret())).toBe(true);
    expect(isValidSecret(`whsec_${Buffer.alloc(24, 7).toString('base64')}`)).toBe(true);
    expect(isValidSecret(`whsec_${Buffer.alloc(16, 7).toString('base64')}`)).toBe(false);
    expect(isValidSecret(`whsec_${Buffer.alloc(65, 7).toString('base64')}`)).toBe(false);
    expect(isValidSecret('secret')).toBe(false);
    expect(isValidSecret('whsec_not base64!')).toBe(false);
  });
});

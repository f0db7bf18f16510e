/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): secrets are `whsec_` + base64 of
 * random bytes; the signature is base64 HMAC-SHA256 under the decoded secret of
 * `<webhook-id>.<webhook-timestamp>.<body>`, sent as `v1,<signature>`, one per active secret,
 * separated by spaces.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';
/** A secret's key: 24 to 64 bytes (Standard Webhooks asks for 24 or more). */
const SECRET = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

/** A secret a tenant supplies must have the form and length of one we would make. */
export function isValidSecret(secret: string): boolean {
  if (!SECRET.test(secret)) return false;
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  return key.length >= 24 && key.length <= 64;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers for one send of `body` (the timestamp is the send's, the id the event's). */
export function signedHeaders(secrets: readonly string[], id: string, body: string, at: Date = new Date()): SignedHeaders {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
    return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  });
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

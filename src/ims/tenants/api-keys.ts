/**
 * API keys: generated as 256-bit random tokens, shown once, stored as SHA-256 digests.
 * Authentication is one indexed look-up by digest; revocation takes effect on the next request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/handle';

export type Principal = { kind: 'admin' } | { kind: 'tenant'; tenantId: string; keyId: string };

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** `oms_` + 43 base64url characters; the prefix makes leaked keys easy to grep for. */
export const generateKey = (): string => `oms_${randomBytes(32).toString('base64url')}`;

/**
 * Keys seen recently, by digest, for a few seconds: authentication costs no query on a busy
 * connection. Revoking through this process forgets them at once; another process may accept
 * a revoked key for at most PRINCIPAL_TTL_MS.
 */
const PRINCIPAL_TTL_MS = 5_000;

export class ApiKeyAuthenticator {
  private readonly adminKeyDigest: Buffer | undefined;
  private readonly recent = new LRUCache<string, Principal>({ max: 10_000, ttl: PRINCIPAL_TTL_MS });

  constructor(
    private readonly db: Db,
    adminApiKey: string | undefined,
  ) {
    this.adminKeyDigest = adminApiKey === undefined ? undefined : Buffer.from(hashKey(adminApiKey), 'hex');
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    if (key.length > 200) return undefined;
    const digest = hashKey(key);
    if (this.adminKeyDigest && timingSafeEqual(this.adminKeyDigest, Buffer.from(digest, 'hex'))) {
      return { kind: 'admin' };
    }
    const known = this.recent.get(digest);
    if (known) return known;
    const rows = await this.db.query<{ id: string; tenant_id: string | null }>(
      'SELECT id, tenant_id FROM ims.api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
      [digest],
    );
    const row = rows[0];
    if (!row) return undefined;
    const principal: Principal = row.tenant_id === null ? { kind: 'admin' } : { kind: 'tenant', tenantId: row.tenant_id, keyId: row.id };
    this.recent.set(digest, principal);
    return principal;
  }

  /** After a revocation: authenticate every key afresh. */
  forgetRecent(): void {
    this.recent.clear();
  }

  /**
   * When OMS_ADMIN_API_KEY is not set, makes sure one admin key exists. Returns the new key
   * if this call created it (to be printed once), or undefined if one already existed.
   */
  async ensureAdminKey(): Promise<string | undefined> {
    if (this.adminKeyDigest) return undefined;
    const key = generateKey();
    const rows = await this.db.query(
      `INSERT INTO ims.api_keys (tenant_id, key_hash, key_prefix, name) VALUES (NULL, $1, $2, 'admin')
       ON CONFLICT DO NOTHING RETURNING id`,
      [hashKey(key), key.slice(0, 8)],
    );
    return rows.length > 0 ? key : undefined;
  }
}

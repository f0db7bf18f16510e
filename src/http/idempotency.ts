/**
 * Idempotency-Key for every POST of the API (one mechanism, not one per route).
 *
 * - same key + same request → the first response, replayed (header `idempotent-replayed: true`);
 * - same key + another request → 422; same key while the first is still running → 409;
 * - keys are kept 24 hours; a 5xx is not stored, so the client may retry with the same key;
 * - a key left `running` by a process that died is taken over after RUNNING_TAKEOVER.
 * A route opts out with `config: { idempotent: false }` (issuing API keys: a replay would
 * have to store the secret).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/handle';
import { AppError, invalid } from '../shared/errors';
import { actingTenant } from './types';

const RUNNING_TAKEOVER_SECONDS = 60;
const KEEP_HOURS = 24;

interface StoredKey {
  fingerprint: string;
  status: 'running' | 'done';
  response_status: number | null;
  response_type: string | null;
  response_body: string | null;
}

/** JSON with sorted object keys, so that key order does not make two bodies differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IdempotencyStore {
  constructor(private readonly db: Db) {}

  /** The preHandler: claims the key, or answers from what is stored. */
  begin = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method !== 'POST' || request.routeOptions.config.idempotent === false) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? (header[0] ?? '') : header;
    if (key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
      throw invalid([{ field: 'Idempotency-Key', code: 'field.pattern' }]);
    }
    const tenantId = actingTenant(request);
    const principal = tenantId ? `tenant:${tenantId}` : 'admin';
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonical(request.body ?? null)}`)
      .digest('hex');

    const claimed = await this.db.query(
      `INSERT INTO api.idempotency_keys AS k (principal, key, fingerprint, status, expires_at)
       VALUES ($1, $2, $3, 'running', now() + make_interval(hours => $4))
       ON CONFLICT (principal, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, status = 'running', locked_at = now(), expires_at = EXCLUDED.expires_at,
             response_status = NULL, response_type = NULL, response_body = NULL
         WHERE k.expires_at < now()
            OR (k.status = 'running' AND k.fingerprint = EXCLUDED.fingerprint
                AND k.locked_at < now() - make_interval(secs => $5))
       RETURNING 1`,
      [principal, key, fingerprint, KEEP_HOURS, RUNNING_TAKEOVER_SECONDS],
    );
    if (claimed.length > 0) {
      request.idempotency = { principal, key };
      return;
    }
    const [stored] = await this.db.query<StoredKey>(
      'SELECT fingerprint, status, response_status, response_type, response_body FROM api.idempotency_keys WHERE principal = $1 AND key = $2',
      [principal, key],
    );
    if (!stored) throw new AppError(409, 'idempotency.in_progress'); // purged this instant; the client retries
    if (stored.fingerprint !== fingerprint) throw new AppError(422, 'idempotency.key_reused');
    if (stored.status === 'running') throw new AppError(409, 'idempotency.in_progress');
    reply.header('idempotent-replayed', 'true');
    if (stored.response_type) reply.header('content-type', stored.response_type);
    await reply.code(stored.response_status ?? 200).send(stored.response_body ?? '');
  };

  /** The onSend hook: stores the response of a claimed key (or frees the key after a 5xx). */
  finish = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    if (reply.statusCode >= 500) {
      await this.db.query('DELETE FROM api.idempotency_keys WHERE principal = $1 AND key = $2', [claim.principal, claim.key]);
      return payload;
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    await this.db.query(
      `UPDATE api.idempotency_keys SET status = 'done', response_status = $3, response_type = $4, response_body = $5
       WHERE principal = $1 AND key = $2`,
      [claim.principal, claim.key, reply.statusCode, String(reply.getHeader('content-type') ?? ''), body],
    );
    return payload;
  };

  /** Deletes keys past their 24 hours; run periodically. */
  async purgeExpired(): Promise<number> {
    const rows = await this.db.query('DELETE FROM api.idempotency_keys WHERE expires_at < now() RETURNING 1');
    return rows.length;
  }
}

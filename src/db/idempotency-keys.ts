/**
 * The stored answers of Idempotency-Keys (api.idempotency_keys), for work that stores its answer
 * in its own transaction: a group commit (POST /orders) writes the answers of its keyed requests
 * in the same transaction as their orders, so a key is never without its order or an order
 * without its key's answer.
 */
import type { Queryable } from './handle';

/** Who asked (tenant:<id> or admin), with which key, for which request (a digest of method, URL and body). */
export interface IdempotencyClaim {
  principal: string;
  key: string;
  fingerprint: string;
}

/** Kept this long, at least. */
export const IDEMPOTENCY_KEEP_HOURS = 24;

export class IdempotencyKeyTaken extends Error {
  constructor() {
    super('an Idempotency-Key was claimed by another request at the same moment');
    this.name = 'IdempotencyKeyTaken';
  }
}

/** Stores finished answers; throws IdempotencyKeyTaken (the caller rolls back) when a key was taken meanwhile. */
export async function storeAnswers(
  handle: Queryable,
  answers: readonly { claim: IdempotencyClaim; status: number; contentType: string; body: string }[],
): Promise<void> {
  if (answers.length === 0) return;
  const stored = await handle.query(
    `INSERT INTO api.idempotency_keys (principal, key, fingerprint, status, expires_at, response_status, response_type, response_body)
     SELECT a.principal, a.key, a.fingerprint, 'done', now() + make_interval(hours => $2), a.status, a.type, a.body
     FROM json_to_recordset($1::json) AS a(principal text, key text, fingerprint text, status int, type text, body text)
     -- A key past its 24 hours may not be purged yet: it is free again.
     ON CONFLICT (principal, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, status = 'done', locked_at = now(), expires_at = EXCLUDED.expires_at,
           response_status = EXCLUDED.response_status, response_type = EXCLUDED.response_type, response_body = EXCLUDED.response_body
       WHERE api.idempotency_keys.expires_at < now()
     RETURNING 1`,
    [
      JSON.stringify(
        answers.map(({ claim, status, contentType, body }) => ({
          principal: claim.principal,
          key: claim.key,
          fingerprint: claim.fingerprint,
          status,
          type: contentType,
          body,
        })),
      ),
      IDEMPOTENCY_KEEP_HOURS,
    ],
  );
  if (stored.length < answers.length) throw new IdempotencyKeyTaken();
}

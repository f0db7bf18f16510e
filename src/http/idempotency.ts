/**
 * Idempotency-Key for every POST of the API (one mechanism, not one per route).
 *
 * - same key + same request → the first response, replayed (header `idempotent-replayed: true`);
 * - same key + another request → 422; same key while the first is still running → 409;
 * - keys are kept 24 hours; a 5xx is not stored, so the client may retry with the same key.
 *
 * Exactly once: a request with a key runs in its own transaction (db/request-transaction.ts).
 * The key is claimed by its first statement, and a success's answer is stored by its last, so
 * the key, the work and the answer commit together: a retry after any failure either replays
 * the committed answer or finds nothing and runs as if first. A request that fails (4xx) rolls
 * its work back and its answer is stored on its own. A key still `running` was claimed by an
 * older version, outside the work's transaction: it is taken over after RUNNING_TAKEOVER.
 * A route opts out with `config: { idempotent: false }` (issuing API keys: a replay would
 * have to store the secret).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Db, Tx } from '../db/handle';
import { RequestTransaction } from '../db/request-transaction';
import { IDEMPOTENCY_KEEP_HOURS as KEEP_HOURS, IdempotencyKeyTaken, storeAnswers, type IdempotencyClaim } from '../db/idempotency-keys';
import { AppError, invalid } from '../shared/errors';
import { actingTenant } from './types';
import { dependencyProblem } from './problem';

const RUNNING_TAKEOVER_SECONDS = 60;

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

/**
 * Claims a key in the request's transaction. A transaction-level advisory lock on the key comes
 * first, tried rather than awaited: a second request with the key while the first still runs
 * gets 409 at once, instead of holding a connection while it waits on the first one's row.
 */
const CLAIM = `WITH turn AS (SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0)) AS mine)
  INSERT INTO api.idempotency_keys AS k (principal, key, fingerprint, status, expires_at)
  SELECT $1, $2, $3, 'running', now() + make_interval(hours => $4) FROM turn WHERE turn.mine
  ON CONFLICT (principal, key) DO UPDATE
    SET fingerprint = EXCLUDED.fingerprint, status = 'running', locked_at = now(), expires_at = EXCLUDED.expires_at,
        response_status = NULL, response_type = NULL, response_body = NULL
    WHERE k.expires_at < now()
       OR (k.status = 'running' AND k.fingerprint = EXCLUDED.fingerprint AND k.locked_at < now() - make_interval(secs => $5))
  RETURNING 1`;

const STORE = `UPDATE api.idempotency_keys SET status = 'done', response_status = $3, response_type = $4, response_body = $5
  WHERE principal = $1 AND key = $2 RETURNING 1`;

export class IdempotencyStore {
  constructor(private readonly db: Db) {}

  /** The preHandler: answers from what is stored, or prepares the request's transaction, which claims the key. */
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

    const claim: IdempotencyClaim = { principal, key, fingerprint };
    // A route whose work stores the answer itself (a group commit) is not looked up first: its
    // work finds a key already answered, and then the answer is replayed (replayTaken). One
    // statement less for every new key, which is nearly every request.
    if (request.routeOptions.config.idempotent === 'stored-with-work') {
      request.idempotency = claim;
      return;
    }
    if (await this.replay(request, reply, claim)) return;
    request.idempotency = { ...claim, transaction: new RequestTransaction(this.db, (tx) => this.claim(tx, claim)) };
  };

  /**
   * Answers from what is stored for the claim's key: the first answer replayed, or 422 for a key
   * used with another request, or 409 while it runs. False when the key is free (never used,
   * expired, or abandoned by an older version's claim).
   */
  private async replay(request: FastifyRequest, reply: FastifyReply, claim: IdempotencyClaim): Promise<boolean> {
    const [stored] = await this.db.query<StoredKey & { takeover: boolean }>(
      `SELECT fingerprint, status, response_status, response_type, response_body,
              expires_at < now() OR (status = 'running' AND locked_at < now() - make_interval(secs => $3)) AS takeover
       FROM api.idempotency_keys WHERE principal = $1 AND key = $2`,
      [claim.principal, claim.key, RUNNING_TAKEOVER_SECONDS],
    );
    if (!stored || stored.takeover) return false;
    if (stored.fingerprint !== claim.fingerprint) throw new AppError(422, 'idempotency.key_reused');
    if (stored.status === 'running') throw new AppError(409, 'idempotency.in_progress');
    reply.header('idempotent-replayed', 'true');
    if (stored.response_type) reply.header('content-type', stored.response_type);
    const body = stored.response_body ?? '';
    // JSON goes through the route's serializer again: an answer stored by the work itself (not
    // the bytes first sent) comes out exactly as the first did.
    await reply.code(stored.response_status ?? 200).send(stored.response_type?.includes('json') && body ? JSON.parse(body) : body);
    return true;
  }

  /**
   * For a 'stored-with-work' route: runs its handler; when its work found the key already
   * answered (IdempotencyKeyTaken), or it failed (4xx) where an earlier request with the key may
   * have succeeded (a SKU deleted since), the stored answer is replayed instead.
   */
  async replayTaken<T>(request: FastifyRequest, reply: FastifyReply, handler: () => Promise<T>): Promise<T | FastifyReply> {
    try {
      return await handler();
    } catch (error) {
      const claim = request.idempotency;
      const taken = error instanceof IdempotencyKeyTaken;
      if (!claim || !(taken || (error instanceof AppError && error.status < 500))) throw error;
      if (await this.replay(request, reply, claim)) {
        request.idempotency = undefined; // nothing of this request's is to be stored
        return reply;
      }
      // Taken, then expired or purged this instant: the client retries.
      throw taken ? new AppError(409, 'idempotency.in_progress') : error;
    }
  }

  /** The preHandler after `begin`: the handler, and all it starts, runs in the request's transaction scope. */
  enter = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const transaction = request.idempotency?.transaction;
    if (transaction) transaction.run(done);
    else done();
  };

  /** The key, claimed by the first statement of the request's transaction (a concurrent request with the key is refused at once: CLAIM). */
  private async claim(tx: Tx, claim: IdempotencyClaim): Promise<void> {
    const claimed = await tx.query(CLAIM, [claim.principal, claim.key, claim.fingerprint, KEEP_HOURS, RUNNING_TAKEOVER_SECONDS]);
    if (claimed.length === 0) throw new AppError(409, 'idempotency.in_progress');
  }

  /**
   * The onSend hook: a success commits the request's work with its answer; a 4xx rolls the work
   * back and stores the answer alone; a 5xx stores nothing. A commit that fails turns the answer
   * into a 503: the client was told nothing that did not happen.
   */
  finish = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    const status = reply.statusCode;
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    const contentType = String(reply.getHeader('content-type') ?? '');
    const answer = [claim.principal, claim.key, status, contentType, body];
    const { transaction } = claim;
    try {
      if (status < 400 && transaction?.isOpen) {
        await transaction.end({
          commit: true,
          beforeCommit: async (tx) => {
            if ((await tx.query(STORE, answer)).length === 0) throw new Error('idempotency key lost from its own transaction');
          },
        });
        return payload;
      }
      await transaction?.end({ commit: false });
      // A 5xx is not stored; a success of a route whose work stores its answer was stored by it.
      if (status >= 500 || (status < 400 && !transaction)) return payload;
      // A 4xx (its work rolled back), or a success that ran no statement at all.
      await storeAnswers(this.db, [{ claim, status, contentType, body }]).catch((error: unknown) => {
        if (!(error instanceof IdempotencyKeyTaken)) throw error; // taken meanwhile: the first answer stands
      });
      return payload;
    } catch (error) {
      if (status >= 400) return payload; // a failure was answered anyway; the key stays free for a retry
      request.log.warn({ err: error }, 'the request could not commit: answered 503');
      const problem = dependencyProblem(request, reply, 'database');
      return JSON.stringify(problem);
    }
  };

  /** Deletes keys past their 24 hours; run periodically. */
  async purgeExpired(): Promise<number> {
    const rows = await this.db.query('DELETE FROM api.idempotency_keys WHERE expires_at < now() RETURNING 1');
    return rows.length;
  }
}

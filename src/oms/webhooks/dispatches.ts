/**
 * SQL of webhook dispatches (the API's view of them: dispatch-log.ts). One dispatch per
 * (endpoint, event), created idempotently from the event log, claimed with a lease for
 * sending, and every attempt recorded with the dispatch's new state in one transaction. The lease makes a crash between sending and recording cost at most
 * one repeat of the same request (same webhook-id) once the lease runs out.
 */
import type { Db, Queryable, Tx } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import type { LoggedEvent } from '../../events/envelope';

export type DispatchStatus = 'pending' | 'succeeded' | 'failed';

export interface Dispatch {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: DispatchStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface Attempt {
  n: number;
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_body: string | null;
}

/** A dispatch claimed for one send, with what sending needs. */
export interface ClaimedDispatch {
  tenant_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  body: string;
  attempts: number;
  url: string;
  active: boolean;
  /** The endpoint's secrets that sign now. */
  secrets: string[];
}

const COLUMNS = 'id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at';

/** The webhooks role's consumer group on the event log. */
export const WEBHOOKS_GROUP = 'webhooks';

/** One pending dispatch per active endpoint of the event's tenant that subscribes to its type. */
export async function createDispatches(db: Queryable, events: readonly LoggedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  // Which (tenant, type) pairs any endpoint wants: most events of a bulk load are wanted by none,
  // and writing each one's body costs more than this look-up.
  const wanted = new Set(
    (
      await db.query<{ tenant_id: string; type: string }>(
        `SELECT DISTINCT w.tenant_id, t.type FROM oms.webhook_endpoints w, unnest(w.events) AS t(type)
     WHERE w.active AND w.tenant_id = ANY($1::uuid[])`,
        [[...new Set(events.map((e) => e.tenant_id))]],
      )
    ).map((w) => `${w.tenant_id} ${w.type}`),
  );
  events = events.filter((e) => wanted.has(`${e.tenant_id} ${e.type}`));
  if (events.length === 0) return 0;
  const rows = await db.query<{ id: string }>(
    `INSERT INTO oms.webhook_dispatches (tenant_id, endpoint_id, event_id, event_type, body)
     SELECT e.tenant_id, w.id, e.id, e.type, e.body
     FROM json_to_recordset($1::json) AS e(tenant_id uuid, id uuid, type text, body text)
     JOIN oms.webhook_endpoints w ON w.tenant_id = e.tenant_id AND w.active AND e.type = ANY (w.events)
     ON CONFLICT (tenant_id, endpoint_id, event_id) DO NOTHING
     RETURNING id`,
    [
      JSON.stringify(
        events.map((e) => ({
          tenant_id: e.tenant_id,
          id: e.id,
          type: e.type,
          body: JSON.stringify({ id: e.id, type: e.type, tenant_id: e.tenant_id, occurred_at: e.occurred_at, data: e.data }),
        })),
      ),
    ],
  );
  return rows.length;
}

/** Claims up to `limit` due dispatches, hiding them for `leaseMs` (the longest a send may take, and then some). */
export async function claimDue(db: Queryable, limit: number, leaseMs: number): Promise<ClaimedDispatch[]> {
  return db.query<ClaimedDispatch>(
    `WITH due AS (
       SELECT tenant_id, id FROM oms.webhook_dispatches
       WHERE status = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE oms.webhook_dispatches d SET next_attempt_at = now() + $2 * interval '1 millisecond'
       FROM due WHERE d.tenant_id = due.tenant_id AND d.id = due.id
       RETURNING d.tenant_id, d.id, d.endpoint_id, d.event_id, d.body, d.attempts
     )
     SELECT c.*, w.url, w.active,
            coalesce((SELECT array_agg(s.secret ORDER BY s.id) FROM oms.webhook_secrets s
                      WHERE s.tenant_id = c.tenant_id AND s.endpoint_id = c.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > now())), '{}') AS secrets
     FROM claimed c
     JOIN oms.webhook_endpoints w ON w.tenant_id = c.tenant_id AND w.id = c.endpoint_id`,
    [limit, leaseMs],
  );
}

/** When the next due dispatch is, in ms from now (undefined: none pending). */
export async function nextDueInMs(db: Queryable): Promise<number | undefined> {
  const rows = await db.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM min(next_attempt_at) - now()) * 1000)::int8 AS ms FROM oms.webhook_dispatches WHERE status = 'pending'`,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, ms);
}

export interface AttemptOutcome {
  attempt: Omit<Attempt, 'n'>;
  status: DispatchStatus;
  /** For a retry: when. */
  nextAttemptInMs?: number;
  /** The endpoint is disabled with this reason (410, or failing for too long). */
  disableEndpoint?: string;
  /** A success clears the endpoint's failure streak; a failure starts one. */
  succeeded: boolean;
}

/** How long an endpoint may only fail before it is disabled. */
const FAILING_LIMIT = '5 days';

/**
 * Records a batch of attempts and their dispatches' new states in one transaction (one commit
 * for the batch, not one per dispatch). `attempts` is each dispatch's receipt: one whose lease
 * ran out and that another sender took records nothing here. Answers how many were recorded.
 */
export async function recordAttempts(db: Db, batch: readonly Attempted[]): Promise<number> {
  if (batch.length === 0) return 0;
  return db.transaction(async (tx) => {
    const done = await writeAttempts(tx, batch);
    await updateEndpointHealth(
      tx,
      batch.filter(({ claimed }) => done.has(claimed.id)),
    );
    return done.size;
  });
}

type Attempted = { claimed: ClaimedDispatch; outcome: AttemptOutcome };

/** Each dispatch's new state and its attempt's row; answers the dispatches still held by this sender (those recorded). */
async function writeAttempts(tx: Tx, batch: readonly Attempted[]): Promise<Set<string>> {
  const recorded = await tx.query<{ dispatch_id: string }>(
    `WITH input AS (
       SELECT * FROM json_to_recordset($1::json) AS i(tenant_id uuid, id uuid, attempts int, status text, status_code int, error text,
                                                      next_ms float8, attempted_at timestamptz, latency_ms int, response_body text)
     ), updated AS (
       UPDATE oms.webhook_dispatches d SET status = i.status, attempts = d.attempts + 1, last_status_code = i.status_code, last_error = i.error,
         next_attempt_at = CASE WHEN i.status = 'pending' THEN now() + i.next_ms * interval '1 millisecond' END, updated_at = now()
       FROM input i WHERE d.tenant_id = i.tenant_id AND d.id = i.id AND d.attempts = i.attempts AND d.status = 'pending'
       RETURNING d.tenant_id, d.id
     )
     INSERT INTO oms.webhook_attempts (tenant_id, dispatch_id, n, attempted_at, status_code, latency_ms, error, response_body)
     SELECT i.tenant_id, i.id, i.attempts + 1, i.attempted_at, i.status_code, i.latency_ms, i.error, i.response_body
     FROM input i JOIN updated u ON u.tenant_id = i.tenant_id AND u.id = i.id
     RETURNING dispatch_id`,
    [
      JSON.stringify(
        batch.map(({ claimed, outcome }) => ({
          tenant_id: claimed.tenant_id,
          id: claimed.id,
          attempts: claimed.attempts,
          status: outcome.status,
          status_code: outcome.attempt.status_code,
          error: outcome.attempt.error,
          next_ms: outcome.nextAttemptInMs ?? 0,
          attempted_at: outcome.attempt.attempted_at,
          latency_ms: outcome.attempt.latency_ms,
          response_body: outcome.attempt.response_body,
        })),
      ),
    ],
  );
  return new Set(recorded.map((r) => r.dispatch_id));
}

/**
 * Per endpoint: a success ends its failure streak; failures start one, and 410 or a streak of
 * FAILING_LIMIT disables it. A batch usually touches few endpoints.
 */
async function updateEndpointHealth(tx: Tx, recorded: readonly Attempted[]): Promise<void> {
  const endpoints = new Map<string, { tenantId: string; endpointId: string; succeeded: boolean; disable?: string }>();
  for (const { claimed, outcome } of recorded) {
    const key = `${claimed.tenant_id}/${claimed.endpoint_id}`;
    const seen = endpoints.get(key) ?? { tenantId: claimed.tenant_id, endpointId: claimed.endpoint_id, succeeded: false };
    seen.succeeded ||= outcome.succeeded;
    if (outcome.disableEndpoint) seen.disable = outcome.disableEndpoint;
    endpoints.set(key, seen);
  }
  for (const e of endpoints.values()) {
    const scope = new TenantScope(tx, e.tenantId);
    if (e.succeeded && !e.disable) {
      await scope.query('UPDATE oms.webhook_endpoints SET failing_since = NULL WHERE tenant_id = $1 AND id = $2 AND failing_since IS NOT NULL', [e.endpointId]);
      continue;
    }
    await scope.query(
      `UPDATE oms.webhook_endpoints SET failing_since = coalesce(failing_since, now()),
         active = CASE WHEN $3::text IS NOT NULL OR failing_since < now() - interval '${FAILING_LIMIT}' THEN false ELSE active END,
         disabled_reason = CASE WHEN $3::text IS NOT NULL THEN $3
                                WHEN failing_since < now() - interval '${FAILING_LIMIT}' THEN 'every dispatch failed for ${FAILING_LIMIT}'
                                ELSE disabled_reason END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $2`,
      [e.endpointId, e.disable ?? null],
    );
  }
}

/** An endpoint's dispatches, newest first, optionally in one status. */
export function listDispatches(
  scope: TenantScope,
  endpointId: string,
  query: { status?: DispatchStatus; before?: string; limit: number },
): Promise<Dispatch[]> {
  return scope.query<Dispatch>(
    `SELECT ${COLUMNS} FROM oms.webhook_dispatches
     WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR id < $4::uuid)
     ORDER BY id DESC LIMIT $5`,
    [endpointId, query.status ?? null, query.before ?? null, query.limit],
  );
}

export async function getDispatch(scope: TenantScope, endpointId: string, id: string): Promise<Dispatch | undefined> {
  return (
    await scope.query<Dispatch>(`SELECT ${COLUMNS} FROM oms.webhook_dispatches WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3`, [endpointId, id])
  )[0];
}

/** A dispatch's attempts, first first. */
export function listAttempts(scope: TenantScope, dispatchId: string): Promise<Attempt[]> {
  return scope.query<Attempt>(
    'SELECT n, attempted_at, status_code, latency_ms, error, response_body FROM oms.webhook_attempts WHERE tenant_id = $1 AND dispatch_id = $2 ORDER BY n',
    [dispatchId],
  );
}

/** Makes a dispatch that is not pending due now; undefined when there is none such (absent, or pending). */
export async function resend(scope: TenantScope, endpointId: string, id: string): Promise<Dispatch | undefined> {
  const rows = await scope.query<Dispatch>(
    `UPDATE oms.webhook_dispatches SET status = 'pending', next_attempt_at = now(), updated_at = now()
     WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3 AND status <> 'pending' RETURNING ${COLUMNS}`,
    [endpointId, id],
  );
  return rows[0];
}

/** An endpoint's dispatch log as the API shows it: the dispatches, each with its attempts, and a manual retry. */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { conflict, notFound } from '../../shared/errors';
import { getDispatch, listAttempts, listDispatches, resend, type Attempt, type Dispatch, type DispatchStatus } from './dispatches';
import { getEndpoint } from './endpoint-repository';

export class DispatchLog {
  constructor(private readonly db: Db) {}

  async list(tenantId: string, endpointId: string, query: { status?: DispatchStatus; limit: number; cursor?: string }) {
    const scope = await this.endpointScope(tenantId, endpointId);
    const rows = await listDispatches(scope, endpointId, { status: query.status, before: decodeCursor(query.cursor), limit: query.limit + 1 });
    return toPage(rows, query.limit, (r) => r.id);
  }

  /** One dispatch with every attempt. */
  async get(tenantId: string, endpointId: string, id: string): Promise<Dispatch & { attempt_log: Attempt[] }> {
    const scope = await this.endpointScope(tenantId, endpointId);
    const dispatch = isUuid(id) ? await getDispatch(scope, endpointId, id) : undefined;
    if (!dispatch) throw notFound('Dispatch', id);
    return { ...dispatch, attempt_log: await listAttempts(scope, id) };
  }

  /**
   * Sends a failed dispatch once more, now (a pending one is already on its way: 409). `pendingCode`:
   * the 409's code (the deprecated /deliveries path keeps answering its old one).
   */
  async retry(
    tenantId: string,
    endpointId: string,
    id: string,
    pendingCode: 'webhook.dispatch_pending' | 'webhook.delivery_pending' = 'webhook.dispatch_pending',
  ): Promise<Dispatch> {
    const scope = await this.endpointScope(tenantId, endpointId);
    if (!isUuid(id)) throw notFound('Dispatch', id);
    const retried = await resend(scope, endpointId, id);
    if (retried) return retried;
    throw (await getDispatch(scope, endpointId, id)) ? conflict(pendingCode, { id }) : notFound('Dispatch', id);
  }

  /** The tenant's scope, once the endpoint is known to be the tenant's (404 otherwise). */
  private async endpointScope(tenantId: string, endpointId: string): Promise<TenantScope> {
    const scope = new TenantScope(this.db, tenantId);
    if (!isUuid(endpointId) || !(await getEndpoint(scope, endpointId))) throw notFound('Webhook', endpointId);
    return scope;
  }
}

/** An endpoint's delivery log as the API shows it: the deliveries, each with its attempts, and a manual retry. */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { conflict, notFound } from '../../shared/errors';
import { getDelivery, listAttempts, listDeliveries, redeliver, type Attempt, type Delivery, type DeliveryStatus } from './deliveries';
import { getEndpoint } from './endpoint-repository';

export class DeliveryLog {
  constructor(private readonly db: Db) {}

  async list(tenantId: string, endpointId: string, query: { status?: DeliveryStatus; limit: number; cursor?: string }) {
    const scope = await this.endpointScope(tenantId, endpointId);
    const rows = await listDeliveries(scope, endpointId, { status: query.status, before: decodeCursor(query.cursor), limit: query.limit + 1 });
    return toPage(rows, query.limit, (r) => r.id);
  }

  /** One delivery with every attempt. */
  async get(tenantId: string, endpointId: string, id: string): Promise<Delivery & { attempt_log: Attempt[] }> {
    const scope = await this.endpointScope(tenantId, endpointId);
    const delivery = isUuid(id) ? await getDelivery(scope, endpointId, id) : undefined;
    if (!delivery) throw notFound('Delivery', id);
    return { ...delivery, attempt_log: await listAttempts(scope, id) };
  }

  /** Sends a failed delivery once more, now (a pending one is already on its way: 409). */
  async retry(tenantId: string, endpointId: string, id: string): Promise<Delivery> {
    const scope = await this.endpointScope(tenantId, endpointId);
    if (!isUuid(id)) throw notFound('Delivery', id);
    const retried = await redeliver(scope, endpointId, id);
    if (retried) return retried;
    throw (await getDelivery(scope, endpointId, id)) ? conflict('webhook.delivery_pending', { id }) : notFound('Delivery', id);
  }

  /** The tenant's scope, once the endpoint is known to be the tenant's (404 otherwise). */
  private async endpointScope(tenantId: string, endpointId: string): Promise<TenantScope> {
    const scope = new TenantScope(this.db, tenantId);
    if (!isUuid(endpointId) || !(await getEndpoint(scope, endpointId))) throw notFound('Webhook', endpointId);
    return scope;
  }
}

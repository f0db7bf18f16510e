/**
 * Group commit for order creation (shared/group-commit.ts): orders created at the same moment
 * are stored together, one statement and one commit for the lot per tenant, and one bad order
 * fails alone. Each event-loop turn's orders leave at once (one statement is short, and batches
 * of one tenant never wait for each other).
 */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import { EVENTS_CHANNEL } from '../../events/outbox';
import { GroupCommit } from '../../shared/group-commit';
import { insertOrdersWithEvents, type InsertOutcome, type OrderToInsert } from './create-repository';

export class OrderWriter {
  private readonly group: GroupCommit<OrderToInsert, InsertOutcome>;

  constructor(
    private readonly db: Db,
    maxBatch = 200,
  ) {
    this.group = new GroupCommit((tenantId, items) => this.store(tenantId, items), { maxBatch, maxInFlight: Infinity, maxWaiting: Infinity });
  }

  write(tenantId: string, item: OrderToInsert): Promise<InsertOutcome> {
    return this.group.submit(tenantId, item);
  }

  private async store(tenantId: string, items: OrderToInsert[]): Promise<InsertOutcome[]> {
    const outcomes = await insertOrdersWithEvents(new TenantScope(this.db, tenantId), items);
    this.db.notify(EVENTS_CHANNEL);
    return outcomes;
  }
}

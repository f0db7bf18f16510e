/**
 * Group commit for order creation. Orders created at the same moment (requests whose
 * validation finished in the same turn of the event loop) are stored together: one statement
 * and one commit for the lot, per tenant, instead of one each. A batch that fails is retried
 * order by order, so one bad order fails alone.
 */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import { EVENTS_CHANNEL } from '../../events/outbox';
import { insertOrdersWithEvents, type InsertOutcome, type OrderToInsert } from './create-repository';

interface Pending {
  item: OrderToInsert;
  resolve: (outcome: InsertOutcome) => void;
  reject: (error: unknown) => void;
}

export class OrderWriter {
  private queue = new Map<string, Pending[]>();
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 200,
  ) {}

  write(tenantId: string, item: OrderToInsert): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      const pending = this.queue.get(tenantId) ?? [];
      pending.push({ item, resolve, reject });
      this.queue.set(tenantId, pending);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const groups = this.queue;
    this.queue = new Map();
    const work: Promise<void>[] = [];
    for (const [tenantId, pending] of groups) {
      for (let i = 0; i < pending.length; i += this.maxBatch) work.push(this.store(tenantId, pending.slice(i, i + this.maxBatch)));
    }
    await Promise.all(work);
  }

  private async store(tenantId: string, batch: Pending[]): Promise<void> {
    const scope = new TenantScope(this.db, tenantId);
    try {
      const outcomes = await insertOrdersWithEvents(
        scope,
        batch.map((p) => p.item),
      );
      this.db.notify(EVENTS_CHANNEL);
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const one of batch) await this.store(tenantId, [one]);
    }
  }
}

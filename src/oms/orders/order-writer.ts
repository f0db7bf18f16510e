/**
 * Group commit for order creation (shared/group-commit.ts): orders created at the same moment
 * are stored together, one statement and one commit for the lot per tenant, and one bad order
 * fails alone. Each event-loop turn's orders leave at once (one statement is short, and batches
 * of one tenant never wait for each other).
 *
 * An order created with an Idempotency-Key stores the key's answer (the order as created) in the
 * same transaction as the order: a retry finds both or neither, and keyed orders still share
 * their batch's commit.
 */
import type { Db } from '../../db/handle';
import { storeAnswers, type IdempotencyClaim } from '../../db/idempotency-keys';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { EVENTS_CHANNEL } from '../../events/outbox';
import { GroupCommit } from '../../shared/group-commit';
import { insertOrdersWithEvents, type InsertOutcome, type OrderToInsert } from './create-repository';
import type { Order } from './model';

export interface OrderToWrite extends OrderToInsert {
  /** The Idempotency-Key this order answers, and the order as the answer shows it (its customer filled in by the statement). */
  exactlyOnce?: { claim: IdempotencyClaim; answer: Order };
}

export class OrderWriter {
  private readonly group: GroupCommit<OrderToWrite, InsertOutcome>;

  constructor(
    private readonly db: Db,
    maxBatch = 200,
  ) {
    this.group = new GroupCommit((tenantId, items) => this.store(tenantId, items), { maxBatch, maxInFlight: Infinity, maxWaiting: Infinity });
  }

  write(tenantId: string, item: OrderToWrite): Promise<InsertOutcome> {
    return this.group.submit(tenantId, item);
  }

  private async store(tenantId: string, items: OrderToWrite[]): Promise<InsertOutcome[]> {
    const outcomes = items.some((i) => i.exactlyOnce)
      ? await this.db.transaction(async (tx) => {
          const inserted = await insertOrdersWithEvents(new TenantTx(tx, tenantId), items);
          // An order not stored (a taken reference, no customer yet) answers nothing: its key stays free.
          const answers = items.flatMap((item, i) => {
            const { customer, inserted: stored } = inserted[i]!;
            if (!item.exactlyOnce || !stored || !customer) return [];
            const body = JSON.stringify({ ...item.exactlyOnce.answer, customer });
            return [{ claim: item.exactlyOnce.claim, status: 201, contentType: 'application/json; charset=utf-8', body }];
          });
          // A key answered before (a retry) or at the same moment throws IdempotencyKeyTaken: the batch is
          // stored again order by order, and that order alone is not stored; its route replays the answer.
          await storeAnswers(tx, answers);
          return inserted;
        })
      : await insertOrdersWithEvents(new TenantScope(this.db, tenantId), items);
    this.db.notify(EVENTS_CHANNEL);
    return outcomes;
  }
}

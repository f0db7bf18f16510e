/**
 * The outbox writer: events are rows written in the same transaction as the state change
 * that causes them, so a change and its event commit together or not at all. Consumers in any
 * process are woken once the transaction commits.
 */
import type { TenantTx } from '../db/tenant-scope';
import type { NewEvent } from '../contracts/events';

export type { NewEvent };

export const EVENTS_CHANNEL = 'oms_events';
/**
 * The inventory's level changes announce themselves here instead: one comes with every stock
 * change (each reservation), and waking every consumer for each cost the reservation path 40%
 * of its rate. Consumers that read them listen here and gather what came in the last
 * INVENTORY_WAKE_MS into one pass; the others (the finalizer) are not woken at all.
 */
export const INVENTORY_EVENTS_CHANNEL = 'oms_inventory_events';
export const INVENTORY_WAKE_MS = 100;
/** The one event type announced on INVENTORY_EVENTS_CHANNEL (ims/stock/ledger.ts writes it). */
export const INVENTORY_CHANNEL_TYPE = 'inventory.level_changed';

export async function appendEvents(scope: TenantTx, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await scope.query(
    `INSERT INTO oms.events (tenant_id, type, key, data)
     SELECT $1, e.type, e.key, e.data FROM unnest($2::text[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS e(type, key, data, n)
     ORDER BY e.n`,
    [events.map((e) => e.type), events.map((e) => e.key), events.map((e) => JSON.stringify(e.data))],
  );
  scope.tx.notify(EVENTS_CHANNEL);
}

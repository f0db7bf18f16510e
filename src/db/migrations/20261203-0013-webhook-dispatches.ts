import type { Migration } from './migration';

/**
 * "Delivery" means a shipment; one event sent to one webhook endpoint is a dispatch. Renames only
 * (no row is rewritten): the table, its indexes and constraints, and the attempts' reference.
 */
const RENAMES: readonly [kind: 'TABLE' | 'INDEX' | 'CONSTRAINT', table: string, from: string, to: string][] = [
  ['TABLE', 'oms.webhook_deliveries', 'webhook_deliveries', 'webhook_dispatches'],
  ['INDEX', '', 'webhook_deliveries_pkey', 'webhook_dispatches_pkey'],
  ['INDEX', '', 'webhook_deliveries_due_idx', 'webhook_dispatches_due_idx'],
  ['INDEX', '', 'webhook_deliveries_endpoint_idx', 'webhook_dispatches_endpoint_idx'],
  ['INDEX', '', 'webhook_deliveries_tenant_id_endpoint_id_event_id_key', 'webhook_dispatches_tenant_id_endpoint_id_event_id_key'],
  ['CONSTRAINT', 'oms.webhook_dispatches', 'webhook_deliveries_status_check', 'webhook_dispatches_status_check'],
  ['CONSTRAINT', 'oms.webhook_dispatches', 'webhook_deliveries_tenant_id_endpoint_id_fkey', 'webhook_dispatches_tenant_id_endpoint_id_fkey'],
  ['CONSTRAINT', 'oms.webhook_attempts', 'webhook_attempts_tenant_id_delivery_id_fkey', 'webhook_attempts_tenant_id_dispatch_id_fkey'],
];

const rename = (direction: 'up' | 'down') =>
  (direction === 'up' ? RENAMES : [...RENAMES].reverse())
    .map(([kind, table, a, b]) => {
      const [from, to] = direction === 'up' ? [a, b] : [b, a];
      if (kind === 'TABLE') return `ALTER TABLE oms.${from} RENAME TO ${to};`;
      if (kind === 'INDEX') return `ALTER INDEX oms.${from} RENAME TO ${to};`;
      // Constraints are renamed while the table is named webhook_dispatches, in both directions.
      return `ALTER TABLE ${table} RENAME CONSTRAINT ${from} TO ${to};`;
    })
    .join('\n');

export const webhookDispatches: Migration = {
  id: '20261203-0013-webhook-dispatches',
  up: `${rename('up')}
    ALTER TABLE oms.webhook_attempts RENAME COLUMN delivery_id TO dispatch_id;`,
  down: `ALTER TABLE oms.webhook_attempts RENAME COLUMN dispatch_id TO delivery_id;
    ${rename('down')}`,
};

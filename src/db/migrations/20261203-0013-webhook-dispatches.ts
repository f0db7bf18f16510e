import type { Migration } from './migration';

/**
 * "Delivery" means a shipment; one event sent to one webhook endpoint is a dispatch. Renames only
 * (no row is rewritten): the table, its indexes and constraints, and the attempts' reference.
 */
export const webhookDispatches: Migration = {
  id: '20261203-0013-webhook-dispatches',
  up: `
    ALTER TABLE oms.webhook_deliveries RENAME TO webhook_dispatches;
    ALTER INDEX oms.webhook_deliveries_pkey RENAME TO webhook_dispatches_pkey;
    ALTER INDEX oms.webhook_deliveries_due_idx RENAME TO webhook_dispatches_due_idx;
    ALTER INDEX oms.webhook_deliveries_endpoint_idx RENAME TO webhook_dispatches_endpoint_idx;
    ALTER INDEX oms.webhook_deliveries_tenant_id_endpoint_id_event_id_key RENAME TO webhook_dispatches_tenant_id_endpoint_id_event_id_key;
    ALTER TABLE oms.webhook_dispatches RENAME CONSTRAINT webhook_deliveries_status_check TO webhook_dispatches_status_check;
    ALTER TABLE oms.webhook_dispatches RENAME CONSTRAINT webhook_deliveries_tenant_id_endpoint_id_fkey TO webhook_dispatches_tenant_id_endpoint_id_fkey;
    ALTER TABLE oms.webhook_attempts RENAME CONSTRAINT webhook_attempts_tenant_id_delivery_id_fkey TO webhook_attempts_tenant_id_dispatch_id_fkey;
    ALTER TABLE oms.webhook_attempts RENAME COLUMN delivery_id TO dispatch_id;
  `,
  down: `
    ALTER TABLE oms.webhook_attempts RENAME COLUMN dispatch_id TO delivery_id;
    ALTER TABLE oms.webhook_attempts RENAME CONSTRAINT webhook_attempts_tenant_id_dispatch_id_fkey TO webhook_attempts_tenant_id_delivery_id_fkey;
    ALTER TABLE oms.webhook_dispatches RENAME CONSTRAINT webhook_dispatches_tenant_id_endpoint_id_fkey TO webhook_deliveries_tenant_id_endpoint_id_fkey;
    ALTER TABLE oms.webhook_dispatches RENAME CONSTRAINT webhook_dispatches_status_check TO webhook_deliveries_status_check;
    ALTER INDEX oms.webhook_dispatches_tenant_id_endpoint_id_event_id_key RENAME TO webhook_deliveries_tenant_id_endpoint_id_event_id_key;
    ALTER INDEX oms.webhook_dispatches_endpoint_idx RENAME TO webhook_deliveries_endpoint_idx;
    ALTER INDEX oms.webhook_dispatches_due_idx RENAME TO webhook_deliveries_due_idx;
    ALTER INDEX oms.webhook_dispatches_pkey RENAME TO webhook_deliveries_pkey;
    ALTER TABLE oms.webhook_dispatches RENAME TO webhook_deliveries;
  `,
};

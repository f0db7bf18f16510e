/**
 * Floors: the writes the pipeline makes, done by hand in plain SQL on the same database in the
 * same run, inside a transaction that is rolled back. No parsing, no validation, no look-ups,
 * no round trips, nothing checked: what storing those rows costs this engine by the cheapest
 * path there is. A target above its floor cannot be reached without changing what is stored.
 */
import pg from 'pg';

export interface Floor {
  /** Statements run first, not timed (tables to write into). */
  setup: string[];
  /** The timed statements. */
  timed: string[];
}

const ORDER_COLUMNS = `tenant_id, id, reference, customer_id, hub_id, hub, seller_id, seller, items, total_amount, currency,
  shipping_address, order_date, status, status_reason, shortages, source, upload_id, created_at, updated_at`;

/**
 * Ingest: the stored orders and their order.created events, written again into tables with the
 * same columns, indexes, checks and customer foreign key.
 */
export const INGEST_FLOOR: Floor = {
  setup: [
    'CREATE TABLE floor_orders (LIKE oms.orders INCLUDING ALL)',
    'ALTER TABLE floor_orders ADD FOREIGN KEY (tenant_id, customer_id) REFERENCES oms.customers (tenant_id, id)',
    'CREATE TABLE floor_events (LIKE oms.events INCLUDING ALL)',
  ],
  timed: [
    `INSERT INTO floor_orders (${ORDER_COLUMNS}) SELECT ${ORDER_COLUMNS} FROM oms.orders`,
    `INSERT INTO floor_events (id, type, tenant_id, key, data) SELECT id, type, tenant_id, key, data FROM oms.events WHERE type = 'order.created'`,
  ],
};

/**
 * Finalizing every on_hold order: its reservation and lines, one ledger row per line, the
 * stock levels, the move to new_order and its order.updated event — set-based, one statement
 * per table, with no availability check and no lock waited for.
 */
export const FINALIZE_FLOOR: Floor = {
  setup: [],
  timed: [
    `CREATE TEMP TABLE floor_lines AS
       SELECT o.tenant_id, o.id, o.hub_id, (i->>'sku_id')::uuid AS sku_id, sum((i->>'quantity')::int8) AS quantity
       FROM oms.orders o CROSS JOIN jsonb_array_elements(o.items) AS i
       WHERE o.status = 'on_hold' GROUP BY 1, 2, 3, 4`,
    `INSERT INTO ims.reservations (tenant_id, order_id, hub_id, status)
       SELECT DISTINCT tenant_id, id::text, hub_id, 'reserved' FROM floor_lines`,
    `INSERT INTO ims.reservation_lines (tenant_id, order_id, sku_id, quantity)
       SELECT tenant_id, id::text, sku_id, quantity FROM floor_lines`,
    `INSERT INTO ims.inventory_transactions (tenant_id, hub_id, sku_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason, order_id)
       SELECT l.tenant_id, l.hub_id, l.sku_id, 0, l.quantity, s.on_hand,
              s.reserved + sum(l.quantity) OVER (PARTITION BY l.tenant_id, l.hub_id, l.sku_id ORDER BY l.id), 'reserve', l.id::text
       FROM floor_lines l JOIN ims.stock_levels s USING (tenant_id, hub_id, sku_id)`,
    `UPDATE ims.stock_levels s SET reserved = s.reserved + d.quantity, updated_at = now()
       FROM (SELECT tenant_id, hub_id, sku_id, sum(quantity) AS quantity FROM floor_lines GROUP BY 1, 2, 3) d
       WHERE s.tenant_id = d.tenant_id AND s.hub_id = d.hub_id AND s.sku_id = d.sku_id`,
    `WITH moved AS (UPDATE oms.orders SET status = 'new_order', updated_at = now() WHERE status = 'on_hold' RETURNING *)
     INSERT INTO oms.events (tenant_id, type, key, data)
       SELECT tenant_id, 'order.updated', id::text, jsonb_build_object('order', to_jsonb(moved) - 'json_bytes', 'previous_status', 'on_hold') FROM moved`,
  ],
};

/** Runs the floor in a transaction that is rolled back; answers the timed statements' seconds. */
export async function timeFloor(target: { url: string } | { pgliteDir: string }, floor: Floor): Promise<number> {
  let query: (sql: string) => Promise<unknown>;
  let close: () => Promise<void>;
  if ('url' in target) {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    query = (sql) => client.query(sql);
    close = () => client.end();
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create({ dataDir: target.pgliteDir });
    query = (sql) => db.query(sql);
    close = () => db.close();
  }
  try {
    await query('BEGIN');
    for (const sql of floor.setup) await query(sql);
    const started = performance.now();
    for (const sql of floor.timed) await query(sql);
    const seconds = (performance.now() - started) / 1000;
    await query('ROLLBACK');
    return seconds;
  } finally {
    await close();
  }
}

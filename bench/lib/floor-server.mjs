/**
 * Floors for a write API on this machine, each in a process of its own: a bare Fastify route
 * with no auth, validation, look-ups or framework of ours. Measured in the same run as the
 * service, it shows what the hardware allows. DATABASE_URL names the database; FLOOR_WORK picks
 * what each request does; the port is sent to the parent over IPC once listening.
 *  - `insert` (default): stores the request body with ONE insert and answers it.
 *  - `order-lifecycle`: the work one order costs through every role, done the simplest way —
 *    one statement, one transaction: the order row, its reservation lines, the stock levels
 *    (only where available), a ledger row per line and both events (created, updated). It needs
 *    SKUS (the count of S0…S{n-1} codes the load uses).
 *  - `reservation`: what one reservation costs, done the simplest way — one statement, one
 *    transaction: claim the order id, take each line's units only where available (one
 *    conditional UPDATE of the stock row), the reservation's lines and a ledger row per line.
 *  - `hold`: a hold and an order placed from it, the simplest way (see the floor's comment).
 */
import Fastify from 'fastify';
import pg from 'pg';

const work = process.env.FLOOR_WORK ?? 'insert';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
pool.on('error', () => {}); // the bench drops the database with FORCE when it is done

const floors = {
  insert: {
    setup: ['CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())'],
    statement: 'INSERT INTO bench_floor (body) VALUES ($1) RETURNING id, created_at',
  },
  'order-lifecycle': {
    setup: [
      `CREATE TABLE IF NOT EXISTS floor_orders (id bigserial PRIMARY KEY, body jsonb NOT NULL, status text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS floor_stock (sku text PRIMARY KEY, on_hand int8 NOT NULL, reserved int8 NOT NULL DEFAULT 0)`,
      `INSERT INTO floor_stock (sku, on_hand) SELECT 'S' || s, 1000000000 FROM generate_series(0, ${Number(process.env.SKUS ?? 1000) - 1}) s ON CONFLICT DO NOTHING`,
      `CREATE TABLE IF NOT EXISTS floor_reservation_lines (order_id int8 NOT NULL, sku text NOT NULL, quantity int8 NOT NULL, PRIMARY KEY (order_id, sku))`,
      `CREATE TABLE IF NOT EXISTS floor_ledger (id bigserial PRIMARY KEY, order_id int8 NOT NULL, sku text NOT NULL, delta_reserved int8 NOT NULL,
         reserved_after int8 NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS floor_events (id bigserial PRIMARY KEY, type text NOT NULL, key text NOT NULL, data jsonb NOT NULL)`,
    ],
    statement: `WITH lines AS (
         SELECT i->>'sku' AS sku, sum((i->>'quantity')::int8) AS quantity FROM jsonb_array_elements($1::jsonb->'items') AS i GROUP BY 1
       ), o AS (
         INSERT INTO floor_orders (body, status) VALUES ($1, 'new_order') RETURNING id, body, created_at
       ), s AS (
         UPDATE floor_stock s SET reserved = s.reserved + l.quantity FROM lines l
         WHERE s.sku = l.sku AND s.on_hand - s.reserved >= l.quantity RETURNING s.sku, l.quantity, s.reserved
       ), r AS (
         INSERT INTO floor_reservation_lines (order_id, sku, quantity) SELECT o.id, s.sku, s.quantity FROM o, s
       ), ledger AS (
         INSERT INTO floor_ledger (order_id, sku, delta_reserved, reserved_after) SELECT o.id, s.sku, s.quantity, s.reserved FROM o, s
       ), events AS (
         INSERT INTO floor_events (type, key, data) SELECT t, o.id::text, o.body FROM o, (VALUES ('order.created'), ('order.updated')) AS v(t)
       )
       SELECT id, created_at FROM o`,
  },
  reservation: {
    setup: [
      `CREATE TABLE IF NOT EXISTS floor_stock (sku text PRIMARY KEY, on_hand int8 NOT NULL, reserved int8 NOT NULL DEFAULT 0)`,
      `INSERT INTO floor_stock (sku, on_hand) SELECT 'S' || s, 1000000000 FROM generate_series(0, ${Number(process.env.SKUS ?? 1000) - 1}) s ON CONFLICT DO NOTHING`,
      `CREATE TABLE IF NOT EXISTS floor_reservations (order_id text PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS floor_reserved_lines (order_id text NOT NULL, sku text NOT NULL, quantity int8 NOT NULL, PRIMARY KEY (order_id, sku))`,
      `CREATE TABLE IF NOT EXISTS floor_reserve_ledger (id bigserial PRIMARY KEY, order_id text NOT NULL, sku text NOT NULL, delta_reserved int8 NOT NULL,
         reserved_after int8 NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
    ],
    statement: `WITH lines AS (
         SELECT i->>'sku' AS sku, sum((i->>'quantity')::int8) AS quantity FROM jsonb_array_elements($1::jsonb->'items') AS i GROUP BY 1
       ), r AS (
         INSERT INTO floor_reservations (order_id, status) VALUES ($1::jsonb->>'order_id', 'reserved') ON CONFLICT DO NOTHING RETURNING order_id, created_at
       ), s AS (
         UPDATE floor_stock s SET reserved = s.reserved + l.quantity FROM lines l, r
         WHERE s.sku = l.sku AND s.on_hand - s.reserved >= l.quantity RETURNING s.sku, l.quantity, s.reserved
       ), rl AS (
         INSERT INTO floor_reserved_lines (order_id, sku, quantity) SELECT r.order_id, s.sku, s.quantity FROM r, s
       ), ledger AS (
         INSERT INTO floor_reserve_ledger (order_id, sku, delta_reserved, reserved_after) SELECT r.order_id, s.sku, s.quantity, s.reserved FROM r, s
       )
       SELECT order_id, created_at FROM r`,
  },
  // Two requests per unit of work, told apart by the body: a hold (take one unit where available,
  // the hold and its line, a ledger row, its event) and an order placed from it (the order, the
  // hold converted, held → reserved, the reservation line, a ledger row, its events).
  hold: {
    setup: [
      `CREATE TABLE IF NOT EXISTS floor_hold_stock (sku text PRIMARY KEY, on_hand int8 NOT NULL, reserved int8 NOT NULL DEFAULT 0, held int8 NOT NULL DEFAULT 0)`,
      `INSERT INTO floor_hold_stock (sku, on_hand) SELECT 'S' || s, 1000000000 FROM generate_series(0, ${Number(process.env.SKUS ?? 1000) - 1}) s ON CONFLICT DO NOTHING`,
      `CREATE TABLE IF NOT EXISTS floor_holds (id bigserial PRIMARY KEY, status text NOT NULL, expires_at timestamptz NOT NULL, order_id int8)`,
      `CREATE TABLE IF NOT EXISTS floor_hold_lines (hold_id int8 NOT NULL, sku text NOT NULL, quantity int8 NOT NULL, PRIMARY KEY (hold_id, sku))`,
      `CREATE TABLE IF NOT EXISTS floor_hold_orders (id bigserial PRIMARY KEY, body jsonb NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS floor_hold_reserved (order_id int8 NOT NULL, sku text NOT NULL, quantity int8 NOT NULL, PRIMARY KEY (order_id, sku))`,
      `CREATE TABLE IF NOT EXISTS floor_hold_ledger (id bigserial PRIMARY KEY, sku text NOT NULL, delta_reserved int8 NOT NULL, delta_held int8 NOT NULL, at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS floor_hold_events (id bigserial PRIMARY KEY, type text NOT NULL, key text NOT NULL, data jsonb NOT NULL)`,
    ],
    statement: (body) =>
      body.hold_id === undefined
        ? `WITH line AS (SELECT $1::jsonb->'items'->0->>'sku' AS sku, ($1::jsonb->'items'->0->>'quantity')::int8 AS quantity
           ), s AS (
             UPDATE floor_hold_stock s SET held = s.held + l.quantity FROM line l
             WHERE s.sku = l.sku AND s.on_hand - s.reserved - s.held >= l.quantity RETURNING s.sku, l.quantity
           ), h AS (
             INSERT INTO floor_holds (status, expires_at) SELECT 'active', now() + interval '15 minutes' FROM s RETURNING id
           ), hl AS (INSERT INTO floor_hold_lines SELECT h.id, s.sku, s.quantity FROM h, s
           ), ledger AS (INSERT INTO floor_hold_ledger (sku, delta_reserved, delta_held) SELECT s.sku, 0, s.quantity FROM s
           ), events AS (INSERT INTO floor_hold_events (type, key, data) SELECT 'hold.created', h.id::text, $1 FROM h)
           SELECT id::text FROM h`
        : `WITH h AS (
             UPDATE floor_holds SET status = 'converted' WHERE id = ($1::jsonb->>'hold_id')::int8 AND status = 'active' AND expires_at > now() RETURNING id
           ), o AS (
             INSERT INTO floor_hold_orders (body, status) SELECT $1, 'new_order' FROM h RETURNING id
           ), hl AS (SELECT l.sku, l.quantity FROM floor_hold_lines l, h WHERE l.hold_id = h.id
           ), s AS (
             UPDATE floor_hold_stock s SET held = s.held - hl.quantity, reserved = s.reserved + hl.quantity FROM hl WHERE s.sku = hl.sku RETURNING s.sku, hl.quantity
           ), r AS (INSERT INTO floor_hold_reserved SELECT o.id, s.sku, s.quantity FROM o, s
           ), closed AS (UPDATE floor_holds SET order_id = o.id FROM o, h WHERE floor_holds.id = h.id
           ), ledger AS (INSERT INTO floor_hold_ledger (sku, delta_reserved, delta_held) SELECT s.sku, s.quantity, -s.quantity FROM s
           ), events AS (INSERT INTO floor_hold_events (type, key, data) SELECT t, o.id::text, $1 FROM o, (VALUES ('order.created'), ('hold.converted')) AS v(t))
           SELECT id::text FROM o`,
  },
};
const floor = floors[work];
if (!floor) throw new Error(`FLOOR_WORK: no floor named ${work}`);
for (const sql of floor.setup) await pool.query(sql);
const app = Fastify({ logger: false });
app.post('/*', async (request, reply) => {
  const text = typeof floor.statement === 'function' ? floor.statement(request.body) : floor.statement;
  const name = typeof floor.statement === 'function' ? `floor_${work}_${request.body.hold_id === undefined ? 1 : 2}` : `floor_${work}`;
  const { rows } = await pool.query({ name, text, values: [request.body] });
  return reply.code(201).send({ ...rows[0], ...request.body });
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ port: app.server.address().port });
process.on('disconnect', () => void app.close().then(() => pool.end()));

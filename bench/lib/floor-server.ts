/**
 * The floor for POST /orders on this machine: a bare Fastify route that stores the request body
 * with ONE insert and answers it — no auth, validation, look-ups, customer or outbox. Measured
 * in the same run as the service, it shows what the hardware itself allows at 50 connections.
 */
import Fastify from 'fastify';
import pg from 'pg';

export async function startFloorServer(databaseUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  pool.on('error', () => {}); // the bench drops the database with FORCE when it is done
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_floor_orders (id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  const app = Fastify({ logger: false });
  app.post('/orders', async (request, reply) => {
    const { rows } = await pool.query({
      name: 'floor_insert',
      text: 'INSERT INTO bench_floor_orders (body) VALUES ($1) RETURNING id, created_at',
      values: [request.body],
    });
    return reply.code(201).send({ ...rows[0], ...(request.body as object) });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await pool.end();
    },
  };
}

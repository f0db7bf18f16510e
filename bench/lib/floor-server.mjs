/**
 * The floor for a write API on this machine, in a process of its own: a bare Fastify route that
 * stores the request body with ONE insert and answers it, with no auth, validation, look-ups or
 * outbox. Measured in the same run as the service, it shows what the hardware allows.
 * DATABASE_URL names the database; the port is sent to the parent over IPC once listening.
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
pool.on('error', () => {}); // the bench drops the database with FORCE when it is done
await pool.query('CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
const app = Fastify({ logger: false });
app.post('/*', async (request, reply) => {
  const { rows } = await pool.query({
    name: 'floor_insert',
    text: 'INSERT INTO bench_floor (body) VALUES ($1) RETURNING id, created_at',
    values: [request.body],
  });
  return reply.code(201).send({ ...rows[0], ...request.body });
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ port: app.server.address().port });
process.on('disconnect', () => void app.close().then(() => pool.end()));

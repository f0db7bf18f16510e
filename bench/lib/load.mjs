/**
 * The load generator, in a process of its own so that it never shares the service's event loop
 * or the bench's. autocannon on keep-alive connections, each request built fresh: a new
 * order_id per reservation, a random SKU. Reads its job as JSON in argv[2]; prints autocannon's
 * result as JSON with the count of each status code.
 *
 *   { url, path, key?, connections, seconds, body: 'reservation' | 'order' | 'fixed' | 'hold-convert', skus?, hub?, fixed?, idempotent? }
 *
 * `idempotent`: each request carries an Idempotency-Key of its own (a client asking for exactly once).
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

const job = JSON.parse(process.argv[2]);
const sku = () => `S${Math.floor(Math.random() * job.skus)}`;
const bodies = {
  reservation: () => JSON.stringify({ order_id: randomUUID(), hub: job.hub, items: [{ sku: sku(), quantity: 1 }] }),
  order: () =>
    JSON.stringify({
      customer: { name: 'Load', email: 'load@bench.io' },
      hub: job.hub,
      items: [
        { sku: sku(), quantity: 1, unit_price: '9.99' },
        { sku: sku(), quantity: 2, unit_price: '1.50' },
      ],
    }),
  fixed: () => job.fixed,
};
const makeBody = bodies[job.body];

/** `hold-convert`: each client holds a random SKU (POST /holds), then places an order from that hold (POST /orders {hold_id}). */
const holdThenOrder = [
  {
    method: 'POST',
    path: '/holds',
    setupRequest: (request, context) => {
      context.sku = sku();
      return { ...request, body: JSON.stringify({ items: [{ sku: context.sku, quantity: 1, hub: job.hub }] }) };
    },
    onResponse: (status, body, context) => {
      context.hold = status === 201 ? JSON.parse(body).id : undefined;
    },
  },
  {
    method: 'POST',
    path: '/orders',
    setupRequest: (request, context) => ({
      ...request,
      body: JSON.stringify({
        customer: { name: 'Load', email: 'load@bench.io' },
        items: [{ sku: context.sku, quantity: 1, unit_price: '9.99', hub: job.hub }],
        hold_id: context.hold,
      }),
    }),
  },
];

const statuses = {};
const cpuBefore = process.cpuUsage();
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.seconds,
  ...(job.amount ? { amount: job.amount } : {}),
  headers: { 'content-type': 'application/json', ...(job.key ? { authorization: `Bearer ${job.key}` } : {}) },
  requests:
    job.body === 'hold-convert'
      ? holdThenOrder
      : [
          {
            method: 'POST',
            path: job.path,
            setupRequest: (request) => ({
              ...request,
              body: makeBody(),
              ...(job.idempotent ? { headers: { ...request.headers, 'idempotency-key': randomUUID() } } : {}),
            }),
          },
        ],
  setupClient: (client) => client.on('response', (status) => (statuses[status] = (statuses[status] ?? 0) + 1)),
});
process.stdout.write(
  JSON.stringify({
    requests_per_s: result.requests.average,
    total: result.requests.total,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    // The generator's own CPU while it ran, in % of one core: on a 2-core machine it competes with the service.
    cpu_percent: Math.round(((cpu) => (cpu.user + cpu.system) / 10 / (job.seconds * 1000))(process.cpuUsage(cpuBefore))),
  }),
);

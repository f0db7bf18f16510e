// A keep-alive webhook receiver for the webhooks bench, run as its own process. It answers 204
// and, when REPORT=1, tells the parent (IPC) when each delivery arrived and for which order.
import { createServer } from 'node:http';

const report = process.env.REPORT === '1';
const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req
    .on('data', (c) => chunks.push(c))
    .on('end', () => {
      const at = performance.timeOrigin + performance.now();
      res.writeHead(204).end();
      if (report) {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        process.send({ id: req.headers['webhook-id'], type: event.type, order: event.data?.order?.id, at });
      }
    });
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));

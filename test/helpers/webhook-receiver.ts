/** A webhook receiver on loopback for end-to-end tests: answers 204, counts requests and distinct webhook-ids. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  url: string;
  /** Distinct webhook-id headers received. */
  ids: Set<string>;
  /** Requests received in all (more than ids.size: some were repeats). */
  requests: number;
  server: Server;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver = { ids: new Set<string>(), requests: 0 } as Receiver;
  receiver.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      receiver.requests++;
      receiver.ids.add(String(req.headers['webhook-id']));
      res.statusCode = 204;
      res.end();
    });
  });
  receiver.server.listen(0, '127.0.0.1');
  await once(receiver.server, 'listening');
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

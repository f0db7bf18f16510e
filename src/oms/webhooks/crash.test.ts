import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/helpers/eventually';
import { createSharedDatabase, type SharedDatabase } from '../../../test/helpers/shared-db';
import { newId } from '../../shared/ids';
import { createDispatches } from './dispatches';
import { WebhookDispatcher } from './dispatcher';
import { EndpointService } from './endpoints';
import { WebhookSender } from './sender';

let shared: SharedDatabase;
let server: Server;
let base: string;
const requests: string[] = [];
let onRequest: (req: IncomingMessage, res: ServerResponse) => void = () => {};

beforeAll(async () => {
  shared = await createSharedDatabase();
  server = createServer((req, res) => {
    req.resume().on('end', () => {
      requests.push(String(req.headers['webhook-id']));
      onRequest(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await shared.drop();
});

describe('webhook sender killed between sending and recording', () => {
  it('resends once after the lease, with the same webhook-id, and records one dispatch', async () => {
    const tenantId = newId();
    const eventId = newId();
    const endpointId = await shared.with(async (db) => {
      const hook = await new EndpointService(db, true).create(tenantId, { url: `${base}/hook`, events: ['order.created'] });
      await createDispatches(db, [
        { id: eventId, type: 'order.created', tenant_id: tenantId, occurred_at: new Date(), data: { order: { id: 'o1' } }, seq: 1, tx_id: '1', key: 'o1' },
      ]);
      return hook.id;
    });

    // The child sends; the receiver holds the request and the test kills the child with SIGKILL.
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/helpers/crashing-webhooks.ts'), shared.target], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => {
      onRequest = () => {
        child.kill('SIGKILL');
        resolve();
      };
    });
    expect(await exited).toBe('SIGKILL');
    expect(requests).toEqual([eventId]);

    // A new sender finds the dispatch once the dead one's lease has run out, and sends it again.
    onRequest = (_req, res) => res.end('ok');
    const dispatch = await shared.with(async (db) => {
      const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 5000 });
      try {
        const dispatcher = new WebhookDispatcher(db, sender, { schedule: [0, 1, 1], leaseMs: 1000 });
        await eventually(async () => {
          await dispatcher.drainDue();
          expect(requests).toHaveLength(2);
        });
      } finally {
        await sender.close();
      }
      return (
        await db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM oms.webhook_dispatches WHERE endpoint_id = $1', [endpointId])
      )[0];
    });
    expect(requests).toEqual([eventId, eventId]);
    expect(dispatch).toEqual({ status: 'succeeded', attempts: 1 });
  });
});

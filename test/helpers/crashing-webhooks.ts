/**
 * A webhook sender that is killed (by the test, with SIGKILL) while its request is in flight:
 * it claims every due dispatch with a 1 s lease and sends; it never gets to record the attempt.
 * argv: <postgres url | PGlite data dir>
 */
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { WebhookDispatcher } from '../../src/oms/webhooks/dispatcher';
import { WebhookSender } from '../../src/oms/webhooks/sender';

const [target] = process.argv.slice(2) as [string];
const db = target.startsWith('postgres') ? openPostgres({ url: target, poolSize: 2 }) : await openPglite({ dataDir: target });
const sender = new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 60_000 });
const dispatcher = new WebhookDispatcher(db, sender, { schedule: [0, 1, 1], leaseMs: 1000 });
await dispatcher.drainDue();
process.stdout.write('finished without being killed\n');
process.exit(3);

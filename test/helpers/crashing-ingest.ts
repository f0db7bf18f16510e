/**
 * An ingest worker that takes the next ingest job from the queue and kills itself with SIGKILL
 * right after committing its `batches`-th batch (seen at the heartbeat that follows), for the resume test.
 * argv: <postgres url | PGlite data dir> <DATA_DIR of the object store> <batches> <batch rows>
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index';
import { createContext } from '../../src/context';
import { openPglite } from '../../src/db/pglite';
import { openPostgres } from '../../src/db/postgres';
import { UploadIngester } from '../../src/oms/uploads/ingester';
import { INGEST_QUEUE, type IngestJob } from '../../src/oms/uploads/service';

const [target, dataDir, batches, batchRows] = process.argv.slice(2) as [string, string, string, string];
const db = target.startsWith('postgres') ? openPostgres({ url: target, poolSize: 2 }) : await openPglite({ dataDir: target });
const ctx = createContext({ config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir }), logger: pino({ level: 'silent' }), db });
const [job] = await ctx.queue.receive<IngestJob>(INGEST_QUEUE, { max: 1, visibilityMs: 1000 });
if (!job) {
  process.stdout.write('no job\n');
  process.exit(3);
}
// The heartbeat comes between steps (reading the file, after each batch): die at the first one
// that finds `batches` batches committed.
const ingester = new UploadIngester(db, ctx.objectStore, ctx.oms.inventory, { batchRows: Number(batchRows) });
await ingester.ingest(job.payload.upload_id, async () => {
  const [upload] = await db.query<{ batches_done: number }>('SELECT batches_done FROM oms.uploads WHERE id = $1', [job.payload.upload_id]);
  if (upload!.batches_done >= Number(batches)) process.kill(process.pid, 'SIGKILL');
});
process.stdout.write('finished without reaching the crash point\n');
process.exit(3);

/**
 * The CSV upload end to end on the scale-out engines, with no change to the business code:
 * the file goes to S3 and the ingest job through SQS: S3Proxy and ElasticMQ when they run
 * (`npm run engines`, as in CI), else s3rver and fauxqs started here (test/helpers/emulators);
 * the database is the project's engine.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, expectStatus, multipartBody, seedCatalog, type TestApp } from '../../../test/helpers/app';
import { ENGINE_CREDENTIALS, startS3, startSqs, type S3Emulator, type SqsEmulator } from '../../../test/helpers/emulators';
import { S3ObjectStore } from '../../adapters/s3/object-store';
import { SqsWorkQueue } from '../../adapters/sqs/work-queue';
import type { RunningRole } from '../../shared/running-role';
import { startIngest } from './ingest-role';

let s3: S3Emulator;
let sqs: SqsEmulator;
let t: TestApp;
let ingest: RunningRole;

beforeAll(async () => {
  // The AWS SDK takes credentials from its default chain; these are what the emulators accept.
  process.env.AWS_ACCESS_KEY_ID = ENGINE_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = ENGINE_CREDENTIALS.secretAccessKey;
  [s3, sqs] = await Promise.all([startS3('oms-uploads'), startSqs()]);
  const queueUrl = await sqs.createQueue('oms-ingest', 5);
  t = await buildTestApp({
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_PREFIX: 'oms/',
    // A short long-poll, so that drain() (which waits for the poll in hand) returns soon.
    SQS_QUEUE_URL: queueUrl,
    SQS_ENDPOINT: sqs.endpoint,
    SQS_WAIT_SECONDS: '1',
  });
  ingest = await startIngest(t.ctx, { visibilityMs: 30_000 });
});
afterAll(async () => {
  await ingest?.stop();
  await t?.close();
  await Promise.all([s3?.stop(), sqs?.stop()]);
});

it('stores the file in S3, queues the job on SQS, and ingests it into orders and an errors file', async () => {
  expect(t.ctx.objectStore).toBeInstanceOf(S3ObjectStore);
  expect(t.ctx.queue).toBeInstanceOf(SqsWorkQueue);
  const own = await t.tenant();
  await seedCatalog(own, { hubs: ['H1'], skus: ['A', 'B'], stock: [['H1', 'A', 10]] });
  const csv = [
    'order_id,customer_name,customer_email,product_name,sku,hub_id,quantity,unit_price,total_amount,order_date,shipping_address',
    'S1,Ann,ann@x.io,Shirt,A,H1,2,10.00,20.00,2026-01-05,1 Main St',
    'S2,Bob,bob@x.io,Cap,B,H1,1,5.00,5.00,2026-01-05,2 Main St',
    'S3,Cy,cy@x.io,Cap,Z,H1,1,5.00,5.00,2026-01-05,3 Main St',
  ].join('\n');
  const body = multipartBody({ content: csv });
  const accepted = await expectStatus(own.as('POST', '/orders/upload', { payload: body.payload, headers: body.headers }), 202);
  await ingest.drain();
  const upload = (await expectStatus(own.as('GET', `/uploads/${accepted.body.upload_id}`), 200)).body;
  expect(upload).toMatchObject({ status: 'completed', rows_total: 3, rows_valid: 2, rows_invalid: 1, orders_created: 2 });
  const errors = await expectStatus(own.as('GET', `/uploads/${accepted.body.upload_id}/errors`), 200);
  expect(errors.text).toContain('S3,Cy');

  // The objects really are in the bucket, under the configured prefix.
  const listed = await (t.ctx.objectStore as S3ObjectStore).client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'oms/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key);
  expect(keys).toContain(`oms/${accepted.body.object_key}`);
  expect(keys.some((key) => key?.startsWith('oms/') && key !== `oms/${accepted.body.object_key}`)).toBe(true); // the errors file
  const orders = (await own.as('GET', '/orders?limit=10')).body.data;
  expect(orders.map((o: { reference: string }) => o.reference).sort()).toEqual(['S1', 'S2']);
});

/**
 * The S3 and SQS servers the tests talk to, on loopback. With the real engines running
 * (`npm run engines -- up`, as CI does) and named by TEST_S3_ENDPOINT / TEST_SQS_ENDPOINT, they
 * are S3Proxy and ElasticMQ; otherwise protocol servers from npm are started on a free port
 * (s3rver for S3, fauxqs for SQS), so `npm test` needs nothing beside the clone. Each test gets
 * a bucket and queues of its own (the real engines outlive a test run, and the PGlite and
 * PostgreSQL projects run at once). Nothing leaves the machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { startFauxqs } from 'fauxqs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

const REAL_S3 = process.env.TEST_S3_ENDPOINT;
const REAL_SQS = process.env.TEST_SQS_ENDPOINT;

/** Which server answers the S3 and SQS APIs in this run, for test titles. */
export const S3_ENGINE = REAL_S3 ? 'S3Proxy' : 's3rver';
export const SQS_ENGINE = REAL_SQS ? 'ElasticMQ' : 'fauxqs';

/** What the S3 server accepts (S3Proxy: the identity `npm run engines` gives it; s3rver: its fixed pair). SQS servers take any. */
export const ENGINE_CREDENTIALS = REAL_S3
  ? { accessKeyId: process.env.TEST_AWS_ACCESS_KEY_ID ?? 'oms-local', secretAccessKey: process.env.TEST_AWS_SECRET_ACCESS_KEY ?? 'oms-local-secret' }
  : { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

export interface S3Emulator {
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'oms-test'): Promise<S3Emulator> {
  if (REAL_S3) {
    const name = unique(bucket);
    const client = new S3Client({ endpoint: REAL_S3, region: 'us-east-1', forcePathStyle: true, credentials: ENGINE_CREDENTIALS });
    await client.send(new CreateBucketCommand({ Bucket: name }));
    client.destroy();
    return { endpoint: REAL_S3, bucket: name, stop: async () => {} };
  }
  const directory = await mkdtemp(path.join(os.tmpdir(), 'oms-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface SqsEmulator {
  endpoint: string;
  /** Makes a queue with a dead-letter queue behind it (RedrivePolicy after `maxReceiveCount` receives). */
  createQueue(name: string, maxReceiveCount?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startSqs(): Promise<SqsEmulator> {
  // fauxqs listens on every interface; the tests only ever call it on loopback.
  const server = REAL_SQS ? undefined : await startFauxqs({ port: 0, logger: false });
  const endpoint = REAL_SQS ?? `http://127.0.0.1:${server!.port}`;
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: ENGINE_CREDENTIALS });
  return {
    endpoint,
    async createQueue(base, maxReceiveCount = 5) {
      const name = REAL_SQS ? unique(base) : base;
      const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
      const { QueueUrl } = await client.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: { RedrivePolicy: JSON.stringify({ maxReceiveCount, deadLetterTargetArn: Attributes!.QueueArn }) },
        }),
      );
      return QueueUrl!;
    },
    stop: async () => {
      client.destroy();
      await server?.stop();
    },
  };
}

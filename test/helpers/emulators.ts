/**
 * Real protocol servers from npm, started by the tests that need them, on loopback and a free
 * port: s3rver for the S3 API, fauxqs for the SQS API. Each answers the endpoint and a
 * stop function; nothing leaves the machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { startFauxqs } from 'fauxqs';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

export const FAKE_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Emulator {
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

export async function startS3(bucket = 'oms-test'): Promise<S3Emulator> {
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
  // It listens on every interface; the tests only ever call it on loopback.
  const server = await startFauxqs({ port: 0, logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: FAKE_CREDENTIALS });
  return {
    endpoint,
    async createQueue(name, maxReceiveCount = 5) {
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
      await server.stop();
    },
  };
}

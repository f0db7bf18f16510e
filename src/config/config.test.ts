import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index';
import { readEnv } from './environment';

describe('configuration', () => {
  it('has working defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', databaseUrl: undefined, logLevel: 'info', maxBodyBytes: 1048576 });
    expect([...config.roles]).toEqual(['api', 'ingest', 'finalizer', 'webhooks', 'relay']);
    expect(config.dataDir).toMatch(/data$/);
  });

  it('treats empty variables as unset and reads only known ones', () => {
    expect(readEnv({ PORT: '', HOST: ' 0.0.0.0 ', UNRELATED: 'x' })).toEqual({ HOST: '0.0.0.0' });
  });

  it('reports every bad value at once, clearly', () => {
    try {
      loadConfig({ PORT: '80a', DATABASE_URL: 'mysql://x', OMS_ROLES: 'api,chef', LOG_LEVEL: 'loud', OMS_ADMIN_API_KEY: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems } = error as ConfigError;
      expect(problems).toHaveLength(5);
      expect(problems.join('\n')).toMatch(/PORT must be a whole number.*"80a"/);
      expect(problems.join('\n')).toMatch(/unknown role "chef"/);
    }
  });

  it('reads the webhook and Redis settings, and names a bad one', () => {
    expect(loadConfig({}).webhookRetrySchedule).toEqual([0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0, 0.2,1', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'TRUE', REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({
      webhookRetrySchedule: [0, 0.2, 1],
      webhookAllowPrivateNetworks: true,
      redisUrl: 'redis://127.0.0.1:6379',
    });
    for (const [raw, message] of [
      [{ WEBHOOK_RETRY_SCHEDULE: '0,-5' }, /WEBHOOK_RETRY_SCHEDULE/],
      [{ WEBHOOK_RETRY_SCHEDULE: '0,x' }, /WEBHOOK_RETRY_SCHEDULE/],
      [{ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes' }, /WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false/],
      [{ REDIS_URL: 'http://x' }, /REDIS_URL must be a redis/],
    ] as const) {
      expect(() => loadConfig(raw)).toThrow(message);
    }
  });

  it('reads the S3, SQS and Kafka settings, and names a bad one', () => {
    expect(loadConfig({})).toMatchObject({ s3: undefined, sqs: undefined, kafkaBrokers: undefined, kafkaTopic: 'orders' });
    expect(
      loadConfig({
        S3_BUCKET: 'oms-files',
        S3_ENDPOINT: 'http://127.0.0.1:9000',
        S3_FORCE_PATH_STYLE: 'true',
        S3_PREFIX: 'prod/oms/',
        SQS_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/oms-ingest',
        KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
        KAFKA_TOPIC: 'shop-1.orders',
      }),
    ).toMatchObject({
      s3: { bucket: 'oms-files', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, prefix: 'prod/oms/' },
      sqs: { queueUrl: 'http://127.0.0.1:9324/000000000000/oms-ingest' },
      kafkaBrokers: ['kafka-1:9092', 'kafka-2:9092'],
      kafkaTopic: 'shop-1.orders',
    });
    for (const [raw, message] of [
      [{ S3_BUCKET: 'Bad_Bucket' }, /S3_BUCKET must be a valid bucket name/],
      [{ S3_BUCKET: 'ok-bucket', S3_ENDPOINT: 'ftp://x' }, /S3_ENDPOINT must be an http/],
      [{ S3_BUCKET: 'ok-bucket', S3_PREFIX: '../x/' }, /S3_PREFIX/],
      [{ S3_ENDPOINT: 'http://127.0.0.1:9000' }, /need S3_BUCKET/],
      [{ S3_BUCKET: 'ok-bucket', S3_FORCE_PATH_STYLE: 'yes' }, /S3_FORCE_PATH_STYLE must be true or false/],
      [{ SQS_QUEUE_URL: 'not a url' }, /SQS_QUEUE_URL must be an http/],
      [{ SQS_ENDPOINT: 'http://127.0.0.1:9324' }, /SQS_ENDPOINT needs SQS_QUEUE_URL/],
      [{ KAFKA_BROKERS: 'kafka-1' }, /KAFKA_BROKERS must be/],
      [{ KAFKA_BROKERS: ' , ' }, /KAFKA_BROKERS must be/],
      [{ KAFKA_TOPIC: 'orders/../x' }, /KAFKA_TOPIC must be .* \(got "orders\/\.\.\/x"\)/],
    ] as const) {
      expect(() => loadConfig(raw)).toThrow(message);
    }
  });
});

/**
 * Configuration is read from the environment exactly once: `readEnv()` (environment.ts) copies
 * the raw, all-optional strings; `loadConfig()` validates them, applies defaults and returns a typed,
 * frozen object. Nothing else in the codebase reads `process.env`.
 */
import path from 'node:path';
import { EnvReader, readEnv, type RawEnv } from './environment';

export const ROLES = ['api', 'ingest', 'finalizer', 'webhooks', 'relay'] as const;
export type Role = (typeof ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** PostgreSQL server URL; when absent the embedded PGlite database under `dataDir` is used. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /** A statement that has not answered in this long fails (503 to a client) instead of hanging. */
  readonly databaseStatementTimeoutSeconds: number;
  /** The embedded database refuses writes while less than this is free under DATA_DIR (MB). */
  readonly dataDirMinFreeMb: number;
  readonly adminApiKey: string | undefined;
  readonly roles: ReadonlySet<Role>;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  readonly cacheTtlSeconds: number;
  /** A remote IMS (HTTP) for the OMS to use instead of the one in this process. */
  readonly imsUrl: string | undefined;
  /** The key OMS presents to a remote IMS (admin rights, acting per tenant); default: the admin key. */
  readonly imsApiKey: string | undefined;
  /** Largest CSV upload accepted (413 beyond). */
  readonly maxUploadBytes: number;
  /** Rows the ingest worker validates and stores per transaction. */
  readonly ingestBatchRows: number;
  /** How long an ingest job stays with a worker that stopped heartbeating: how soon a dead worker's upload resumes elsewhere. */
  readonly ingestVisibilitySeconds: number;
  /** Let webhooks reach loopback, private and link-local addresses (development and tests only). */
  readonly webhookAllowPrivateNetworks: boolean;
  /** Seconds to wait before each attempt of a webhook dispatch (the first is usually 0). */
  readonly webhookRetrySchedule: readonly number[];
  /** Redis for the look-up cache, shared by every process; absent: an in-process LRU. */
  readonly redisUrl: string | undefined;
  /** S3 (or any S3 API) for uploaded files; absent: a directory under `dataDir`. */
  readonly s3: { bucket: string; endpoint?: string; region?: string; forcePathStyle: boolean; prefix: string } | undefined;
  /** SQS for the ingest jobs (SQS_QUEUE_URL; SQS_ENDPOINT for an emulator); absent: a table in the database. */
  readonly sqs: { queueUrl: string; endpoint?: string; waitSeconds: number } | undefined;
  /** Kafka brokers for the event log (`host:port`); absent: consumers read the outbox table. */
  readonly kafkaBrokers: readonly string[] | undefined;
  /** The orders topic (KAFKA_TOPIC, default `orders`); consumer groups are named after it, so deployments sharing a cluster name one each. */
  readonly kafkaTopic: string;
  /** The stock levels' topic (KAFKA_INVENTORY_TOPIC, default `inventory`): level changes keyed by `hub_id:sku_id` (order-keyed events stay on the orders topic). */
  readonly kafkaInventoryTopic: string;
  /** What one tenant (or one client) may take of the service: see the README's Limits. */
  readonly limits: Limits;
}

export interface Limits {
  /** A list page weighs at most about this many bytes of JSON: big rows make shorter pages. */
  readonly pageBytes: number;
  /** Requests per API key per window (429 beyond); 0: no limit. Shared through Redis when REDIS_URL is set. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowSeconds: number;
  /** Requests of one tenant served at once by one process; more wait their turn in a queue of this many (429 beyond). */
  readonly tenantConcurrentRequests: number;
  readonly tenantQueuedRequests: number;
  /** Failed authentications from one client address per minute before its requests get 429. */
  readonly authFailuresMax: number;
  /** A request (body included) must arrive within this; a connection idle this long is closed. */
  readonly requestTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly keepAliveSeconds: number;
  /** Uploads one tenant may have queued or processing at once (429 beyond). */
  readonly uploadsInFlight: number;
  /** Uploads one ingest process works on at once, never two of the same tenant. */
  readonly ingestConcurrency: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(raw: RawEnv = readEnv()): Config {
  const env = new EnvReader(raw);
  const adminApiKey = raw.OMS_ADMIN_API_KEY;
  if (adminApiKey !== undefined && adminApiKey.length < 16) env.problem('OMS_ADMIN_API_KEY must be at least 16 characters long');
  const config: Config = {
    port: env.int('PORT', 8080, 0, 65535),
    host: raw.HOST ?? '127.0.0.1',
    dataDir: path.resolve(raw.DATA_DIR ?? './data'),
    databaseUrl: readDatabaseUrl(env),
    databasePoolSize: env.int('DATABASE_POOL_SIZE', 10, 1, 500),
    databaseStatementTimeoutSeconds: env.int('DATABASE_STATEMENT_TIMEOUT_SECONDS', 20, 1, 3600),
    dataDirMinFreeMb: env.int('DATA_DIR_MIN_FREE_MB', 128, 0, 1024 * 1024),
    adminApiKey,
    roles: readRoles(env),
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    maxBodyBytes: env.int('MAX_BODY_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    cacheTtlSeconds: env.int('CACHE_TTL_SECONDS', 60, 1, 86400),
    imsUrl: readImsUrl(env),
    imsApiKey: raw.IMS_API_KEY ?? adminApiKey,
    maxUploadBytes: env.int('MAX_UPLOAD_BYTES', 1024 * 1024 * 1024, 1, 1024 * 1024 * 1024 * 1024),
    // On the embedded database a batch's transaction holds the only connection while it runs:
    // smaller batches keep a request's wait behind it short (see db/pglite.ts).
    ingestBatchRows: env.int('INGEST_BATCH_ROWS', raw.DATABASE_URL ? 1000 : 500, 1, 100_000),
    ingestVisibilitySeconds: env.int('INGEST_VISIBILITY_SECONDS', 60, 3, 3600),
    webhookAllowPrivateNetworks: env.bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS'),
    webhookRetrySchedule: readRetrySchedule(env),
    redisUrl: readRedisUrl(env),
    s3: readS3(env),
    sqs: readSqs(env),
    kafkaBrokers: readKafkaBrokers(env),
    kafkaTopic: readKafkaTopic(env, 'KAFKA_TOPIC', 'orders'),
    kafkaInventoryTopic: readKafkaTopic(env, 'KAFKA_INVENTORY_TOPIC', 'inventory'),
    limits: Object.freeze(readLimits(env)),
  };
  if (env.problems.length > 0) throw new ConfigError(env.problems);
  return Object.freeze(config);
}

function readLimits(env: EnvReader): Limits {
  return {
    pageBytes: env.int('MAX_PAGE_BYTES', 2 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    rateLimitMax: env.int('RATE_LIMIT_MAX', 10_000, 0, 10_000_000),
    rateLimitWindowSeconds: env.int('RATE_LIMIT_WINDOW_SECONDS', 10, 1, 3600),
    tenantConcurrentRequests: env.int('TENANT_MAX_CONCURRENT_REQUESTS', 8, 1, 10_000),
    tenantQueuedRequests: env.int('TENANT_MAX_QUEUED_REQUESTS', 500, 0, 1_000_000),
    authFailuresMax: env.int('AUTH_FAILURES_MAX', 30, 1, 1_000_000),
    requestTimeoutSeconds: env.int('HTTP_REQUEST_TIMEOUT_SECONDS', 300, 1, 86400),
    idleTimeoutSeconds: env.int('HTTP_IDLE_TIMEOUT_SECONDS', 30, 1, 3600),
    keepAliveSeconds: env.int('HTTP_KEEP_ALIVE_SECONDS', 5, 1, 3600),
    uploadsInFlight: env.int('MAX_UPLOADS_IN_FLIGHT', 10, 1, 100_000),
    ingestConcurrency: env.int('INGEST_CONCURRENCY', 2, 1, 64),
  };
}

function readRetrySchedule(env: EnvReader): number[] {
  const raw = env.raw.WEBHOOK_RETRY_SCHEDULE;
  const parts = (raw ?? '0,5,300,1800,7200,18000,36000,50400,72000,86400').split(',').map((part) => part.trim());
  const seconds = parts.map(Number);
  if (parts.length > 30 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part)) || seconds.some((n) => n > 7 * 86400)) {
    env.problem(`WEBHOOK_RETRY_SCHEDULE must be up to 30 comma-separated seconds (each at most a week), got "${raw}"`);
  }
  return seconds;
}

function readRedisUrl(env: EnvReader): string | undefined {
  const url = env.raw.REDIS_URL;
  if (url !== undefined && !/^rediss?:\/\/[^\s]+$/.test(url)) env.problem('REDIS_URL must be a redis:// or rediss:// URL');
  return url;
}

function readS3(env: EnvReader): Config['s3'] {
  const { raw } = env;
  const endpoint = env.httpUrl('S3_ENDPOINT');
  const forcePathStyle = env.bool('S3_FORCE_PATH_STYLE');
  // S3 bucket naming rules: 3–63 lower-case letters, digits, dots and hyphens.
  if (raw.S3_BUCKET !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw.S3_BUCKET))
    env.problem('S3_BUCKET must be a valid bucket name (3–63 of a-z 0-9 . -)');
  if (raw.S3_PREFIX !== undefined && !/^((?!\.{1,2}\/)[A-Za-z0-9._-]+\/)+$/.test(raw.S3_PREFIX))
    env.problem('S3_PREFIX must be folder names ending in "/", e.g. "oms/"');
  if (raw.S3_BUCKET === undefined) {
    if ((raw.S3_ENDPOINT ?? raw.S3_REGION ?? raw.S3_FORCE_PATH_STYLE ?? raw.S3_PREFIX) !== undefined)
      env.problem('S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE and S3_PREFIX need S3_BUCKET');
    return undefined;
  }
  return { bucket: raw.S3_BUCKET, endpoint, region: raw.S3_REGION, forcePathStyle, prefix: raw.S3_PREFIX ?? '' };
}

function readSqs(env: EnvReader): Config['sqs'] {
  const queueUrl = env.httpUrl('SQS_QUEUE_URL');
  const endpoint = env.httpUrl('SQS_ENDPOINT');
  if (endpoint !== undefined && queueUrl === undefined) env.problem('SQS_ENDPOINT needs SQS_QUEUE_URL');
  // SQS long-poll wait: 20 s (its maximum) costs one request per idle worker per 20 s.
  const waitSeconds = env.int('SQS_WAIT_SECONDS', 20, 0, 20);
  return queueUrl === undefined ? undefined : { queueUrl, endpoint, waitSeconds };
}

function readKafkaBrokers(env: EnvReader): string[] | undefined {
  const brokers = env.raw.KAFKA_BROKERS?.split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
  if (brokers !== undefined && (brokers.length === 0 || brokers.some((broker) => !hostPort.test(broker))))
    env.problem('KAFKA_BROKERS must be a comma-separated list of host:port');
  return brokers;
}

function readKafkaTopic(env: EnvReader, name: 'KAFKA_TOPIC' | 'KAFKA_INVENTORY_TOPIC', fallback: string): string {
  const topic = env.raw[name] ?? fallback;
  // Kafka's own rule for topic names.
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic) || topic === '.' || topic === '..')
    env.problem(`${name} must be 1–249 of letters, digits, '.', '_' and '-' (got "${topic}")`);
  return topic;
}

function readDatabaseUrl(env: EnvReader): string | undefined {
  const value = env.raw.DATABASE_URL;
  if (value === undefined) return undefined;
  if (!URL.canParse(value)) {
    env.problem('DATABASE_URL is not a valid URL');
    return undefined;
  }
  const { protocol } = new URL(value);
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') env.problem(`DATABASE_URL must start with postgres:// or postgresql://, got "${protocol}//"`);
  return value;
}

function readImsUrl(env: EnvReader): string | undefined {
  const url = env.httpUrl('IMS_URL')?.replace(/\/+$/, '');
  if (url !== undefined && !env.raw.IMS_API_KEY && !env.raw.OMS_ADMIN_API_KEY)
    env.problem('IMS_URL needs IMS_API_KEY (or OMS_ADMIN_API_KEY) to call the IMS with');
  return url;
}

function readRoles(env: EnvReader): Set<Role> {
  const roles = new Set<Role>();
  for (const part of (env.raw.OMS_ROLES ?? ROLES.join(',')).split(',')) {
    const role = part.trim();
    if (role === '') continue;
    if ((ROLES as readonly string[]).includes(role)) roles.add(role as Role);
    else env.problem(`OMS_ROLES contains unknown role "${role}" (known: ${ROLES.join(', ')})`);
  }
  if (roles.size === 0) env.problem('OMS_ROLES names no role');
  return roles;
}

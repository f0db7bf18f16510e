/**
 * Configuration is read from the environment exactly once, here. `readEnv()` copies the raw,
 * all-optional strings; `loadConfig()` validates them, applies defaults and returns a typed,
 * frozen object. Nothing else in the codebase reads `process.env`.
 */
import path from 'node:path';

export const ROLES = ['api', 'ingest', 'finalizer', 'webhooks', 'relay'] as const;
export type Role = (typeof ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every variable the service reads: the one list (RawEnv is made from it). */
const ENV_KEYS = [
  'PORT',
  'HOST',
  'DATA_DIR',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'OMS_ADMIN_API_KEY',
  'OMS_ROLES',
  'LOG_LEVEL',
  'MAX_BODY_BYTES',
  'CACHE_TTL_SECONDS',
  'IMS_URL',
  'IMS_API_KEY',
  'MAX_UPLOAD_BYTES',
  'INGEST_BATCH_ROWS',
  'INGEST_VISIBILITY_SECONDS',
  'WEBHOOK_ALLOW_PRIVATE_NETWORKS',
  'WEBHOOK_RETRY_SCHEDULE',
  'REDIS_URL',
  'S3_BUCKET',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_FORCE_PATH_STYLE',
  'S3_PREFIX',
  'SQS_QUEUE_URL',
  'SQS_ENDPOINT',
  'SQS_WAIT_SECONDS',
  'KAFKA_BROKERS',
  'MAX_PAGE_BYTES',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_SECONDS',
  'TENANT_MAX_CONCURRENT_REQUESTS',
  'TENANT_MAX_QUEUED_REQUESTS',
  'AUTH_FAILURES_MAX',
  'HTTP_REQUEST_TIMEOUT_SECONDS',
  'HTTP_IDLE_TIMEOUT_SECONDS',
  'HTTP_KEEP_ALIVE_SECONDS',
  'MAX_UPLOADS_IN_FLIGHT',
  'INGEST_CONCURRENCY',
  // For the client commands (`oms import`, `oms orders`…): the service to talk to, and the key.
  'OMS_URL',
  'OMS_API_KEY',
] as const;

/** The raw, all-optional strings, as set in the environment. */
export type RawEnv = Partial<Record<(typeof ENV_KEYS)[number], string>>;

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** PostgreSQL server URL; when absent the embedded PGlite database under `dataDir` is used. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
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
  /** Seconds to wait before each attempt of a delivery (the first is usually 0). */
  readonly webhookRetrySchedule: readonly number[];
  /** Redis for the look-up cache, shared by every process; absent: an in-process LRU. */
  readonly redisUrl: string | undefined;
  /** S3 (or any S3 API) for uploaded files; absent: a directory under `dataDir`. */
  readonly s3: { bucket: string; endpoint?: string; region?: string; forcePathStyle: boolean; prefix: string } | undefined;
  /** SQS for the ingest jobs (SQS_QUEUE_URL; SQS_ENDPOINT for an emulator); absent: a table in the database. */
  readonly sqs: { queueUrl: string; endpoint?: string; waitSeconds: number } | undefined;
  /** Kafka brokers for the event log (`host:port`); absent: consumers read the outbox table. */
  readonly kafkaBrokers: readonly string[] | undefined;
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

export function readEnv(env: NodeJS.ProcessEnv = process.env): RawEnv {
  const raw: RawEnv = {};
  for (const key of ENV_KEYS) {
    const value = env[key];
    // An empty variable means "not set", as in most twelve-factor tools.
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  return raw;
}

export function loadConfig(raw: RawEnv = readEnv()): Config {
  const problems: string[] = [];

  const int = (name: keyof RawEnv, fallback: number, min: number, max: number): number => {
    const value = raw[name];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      problems.push(`${name} must be a whole number between ${min} and ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  };

  const port = int('PORT', 8080, 0, 65535);
  const databasePoolSize = int('DATABASE_POOL_SIZE', 10, 1, 500);
  const maxBodyBytes = int('MAX_BODY_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const cacheTtlSeconds = int('CACHE_TTL_SECONDS', 60, 1, 86400);
  const maxUploadBytes = int('MAX_UPLOAD_BYTES', 1024 * 1024 * 1024, 1, 1024 * 1024 * 1024 * 1024);
  // On the embedded database a batch's transaction holds the only connection while it runs:
  // smaller batches keep a request's wait behind it short (see db/pglite.ts).
  const ingestBatchRows = int('INGEST_BATCH_ROWS', raw.DATABASE_URL ? 1000 : 500, 1, 100_000);
  const ingestVisibilitySeconds = int('INGEST_VISIBILITY_SECONDS', 60, 3, 3600);
  const limits: Limits = {
    pageBytes: int('MAX_PAGE_BYTES', 2 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
    rateLimitMax: int('RATE_LIMIT_MAX', 10_000, 0, 10_000_000),
    rateLimitWindowSeconds: int('RATE_LIMIT_WINDOW_SECONDS', 10, 1, 3600),
    tenantConcurrentRequests: int('TENANT_MAX_CONCURRENT_REQUESTS', 8, 1, 10_000),
    tenantQueuedRequests: int('TENANT_MAX_QUEUED_REQUESTS', 500, 0, 1_000_000),
    authFailuresMax: int('AUTH_FAILURES_MAX', 30, 1, 1_000_000),
    requestTimeoutSeconds: int('HTTP_REQUEST_TIMEOUT_SECONDS', 300, 1, 86400),
    idleTimeoutSeconds: int('HTTP_IDLE_TIMEOUT_SECONDS', 30, 1, 3600),
    keepAliveSeconds: int('HTTP_KEEP_ALIVE_SECONDS', 5, 1, 3600),
    uploadsInFlight: int('MAX_UPLOADS_IN_FLIGHT', 10, 1, 100_000),
    ingestConcurrency: int('INGEST_CONCURRENCY', 2, 1, 64),
  };
  const schedule = (raw.WEBHOOK_RETRY_SCHEDULE ?? '0,5,300,1800,7200,18000,36000,50400,72000,86400').split(',').map((part) => part.trim());
  const webhookRetrySchedule = schedule.map(Number);
  if (schedule.length > 30 || schedule.some((part) => !/^\d+(\.\d+)?$/.test(part)) || webhookRetrySchedule.some((n) => n > 7 * 86400)) {
    problems.push(`WEBHOOK_RETRY_SCHEDULE must be up to 30 comma-separated seconds (each at most a week), got "${raw.WEBHOOK_RETRY_SCHEDULE}"`);
  }
  const redisUrl = raw.REDIS_URL;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  const bool = (name: keyof RawEnv): boolean => {
    const value = raw[name]?.toLowerCase();
    if (value !== undefined && value !== 'true' && value !== 'false') problems.push(`${name} must be true or false, got "${raw[name]}"`);
    return value === 'true';
  };
  const httpUrl = (name: keyof RawEnv): string | undefined => {
    const value = raw[name];
    if (value !== undefined && !(URL.canParse(value) && /^https?:$/.test(new URL(value).protocol))) problems.push(`${name} must be an http:// or https:// URL`);
    return value;
  };
  const webhookAllowPrivateNetworks = bool('WEBHOOK_ALLOW_PRIVATE_NETWORKS');

  const s3Endpoint = httpUrl('S3_ENDPOINT');
  const s3ForcePathStyle = bool('S3_FORCE_PATH_STYLE');
  const s3Prefix = raw.S3_PREFIX ?? '';
  // S3 bucket naming rules: 3–63 lower-case letters, digits, dots and hyphens.
  if (raw.S3_BUCKET !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw.S3_BUCKET))
    problems.push('S3_BUCKET must be a valid bucket name (3–63 of a-z 0-9 . -)');
  if (raw.S3_PREFIX !== undefined && !/^((?!\.{1,2}\/)[A-Za-z0-9._-]+\/)+$/.test(raw.S3_PREFIX))
    problems.push('S3_PREFIX must be folder names ending in "/", e.g. "oms/"');
  if (raw.S3_BUCKET === undefined && (raw.S3_ENDPOINT ?? raw.S3_REGION ?? raw.S3_FORCE_PATH_STYLE ?? raw.S3_PREFIX) !== undefined)
    problems.push('S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE and S3_PREFIX need S3_BUCKET');
  const s3 =
    raw.S3_BUCKET === undefined
      ? undefined
      : { bucket: raw.S3_BUCKET, endpoint: s3Endpoint, region: raw.S3_REGION, forcePathStyle: s3ForcePathStyle, prefix: s3Prefix };

  const sqsQueueUrl = httpUrl('SQS_QUEUE_URL');
  const sqsEndpoint = httpUrl('SQS_ENDPOINT');
  if (sqsEndpoint !== undefined && sqsQueueUrl === undefined) problems.push('SQS_ENDPOINT needs SQS_QUEUE_URL');
  // SQS long-poll wait: 20 s (its maximum) costs one request per idle worker per 20 s.
  const sqsWaitSeconds = int('SQS_WAIT_SECONDS', 20, 0, 20);
  const sqs = sqsQueueUrl === undefined ? undefined : { queueUrl: sqsQueueUrl, endpoint: sqsEndpoint, waitSeconds: sqsWaitSeconds };

  const kafkaBrokers = raw.KAFKA_BROKERS?.split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (
    kafkaBrokers !== undefined &&
    (kafkaBrokers.length === 0 || kafkaBrokers.some((broker) => !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(broker)))
  ) {
    problems.push('KAFKA_BROKERS must be a comma-separated list of host:port');
  }

  let databaseUrl = raw.DATABASE_URL;
  if (databaseUrl !== undefined) {
    try {
      const url = new URL(databaseUrl);
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        problems.push(`DATABASE_URL must start with postgres:// or postgresql://, got "${url.protocol}//"`);
      }
    } catch {
      problems.push('DATABASE_URL is not a valid URL');
      databaseUrl = undefined;
    }
  }

  const imsUrl = httpUrl('IMS_URL')?.replace(/\/+$/, '');
  if (imsUrl !== undefined && !raw.IMS_API_KEY && !raw.OMS_ADMIN_API_KEY)
    problems.push('IMS_URL needs IMS_API_KEY (or OMS_ADMIN_API_KEY) to call the IMS with');

  const adminApiKey = raw.OMS_ADMIN_API_KEY;
  if (adminApiKey !== undefined && adminApiKey.length < 16) {
    problems.push('OMS_ADMIN_API_KEY must be at least 16 characters long');
  }

  const roles = new Set<Role>();
  for (const part of (raw.OMS_ROLES ?? ROLES.join(',')).split(',')) {
    const role = part.trim();
    if (role === '') continue;
    if ((ROLES as readonly string[]).includes(role)) roles.add(role as Role);
    else problems.push(`OMS_ROLES contains unknown role "${role}" (known: ${ROLES.join(', ')})`);
  }
  if (roles.size === 0) problems.push('OMS_ROLES names no role');

  const logLevel = (raw.LOG_LEVEL ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw.LOG_LEVEL}"`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    port,
    host: raw.HOST ?? '127.0.0.1',
    dataDir: path.resolve(raw.DATA_DIR ?? './data'),
    databaseUrl,
    databasePoolSize,
    adminApiKey,
    roles,
    logLevel: logLevel as LogLevel,
    maxBodyBytes,
    cacheTtlSeconds,
    imsUrl,
    imsApiKey: raw.IMS_API_KEY ?? adminApiKey,
    maxUploadBytes,
    ingestBatchRows,
    ingestVisibilitySeconds,
    webhookAllowPrivateNetworks,
    webhookRetrySchedule,
    redisUrl,
    s3,
    sqs,
    kafkaBrokers,
    limits: Object.freeze(limits),
  });
}

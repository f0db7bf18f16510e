/**
 * The environment the service reads, as raw strings (`readEnv`), and `EnvReader`, which turns
 * them into typed values for config/index.ts. The reader collects every problem instead of
 * stopping at the first: a misconfigured service reports all of its mistakes in one start.
 */
/** Every variable the service reads: the one list (RawEnv is made from it). */
const ENV_KEYS = [
  'PORT',
  'HOST',
  'DATA_DIR',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_STATEMENT_TIMEOUT_SECONDS',
  'DATA_DIR_MIN_FREE_MB',
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
  'KAFKA_TOPIC',
  'KAFKA_INVENTORY_TOPIC',
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

export function readEnv(env: NodeJS.ProcessEnv = process.env): RawEnv {
  const raw: RawEnv = {};
  for (const key of ENV_KEYS) {
    const value = env[key];
    // An empty variable means "not set", as in most twelve-factor tools.
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  return raw;
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(readonly raw: RawEnv) {}

  problem(message: string): void {
    this.problems.push(message);
  }

  /** A whole number in [min, max]; the fallback when unset (or invalid, with a problem noted). */
  int(name: keyof RawEnv, fallback: number, min: number, max: number): number {
    const value = this.raw[name];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      this.problem(`${name} must be a whole number between ${min} and ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  }

  bool(name: keyof RawEnv): boolean {
    const value = this.raw[name]?.toLowerCase();
    if (value !== undefined && value !== 'true' && value !== 'false') this.problem(`${name} must be true or false, got "${this.raw[name]}"`);
    return value === 'true';
  }

  httpUrl(name: keyof RawEnv): string | undefined {
    const value = this.raw[name];
    if (value !== undefined && !(URL.canParse(value) && /^https?:$/.test(new URL(value).protocol))) this.problem(`${name} must be an http:// or https:// URL`);
    return value;
  }

  /** One of a fixed list, compared without case; the fallback when unset. */
  oneOf<T extends string>(name: keyof RawEnv, allowed: readonly T[], fallback: T): T {
    const value = (this.raw[name] ?? fallback).toLowerCase();
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problem(`${name} must be one of ${allowed.join(', ')}, got "${this.raw[name]}"`);
    return fallback;
  }
}

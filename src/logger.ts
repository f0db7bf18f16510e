import { pino, type Logger } from 'pino';
import type { Config } from './config/index';

/** Structured JSON logs. Secrets that may appear in requests are redacted. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
  });
}

/** `oms start`: runs the roles named by OMS_ROLES until SIGTERM/SIGINT, then shuts down cleanly. */
import type { Config } from '../config/index';
import { closeContext, createContext, prepareDatabase } from '../context';
import { openDatabase } from '../db/open';
import { buildApp } from '../http/app';
import { createLogger } from '../logger';
import { startFinalizer, type RunningRole } from '../oms/orders/finalizer-role';
import { startIngest } from '../oms/uploads/ingest-role';
import { startWebhooks } from '../oms/webhooks/webhooks-role';
import { startRelay } from '../events/relay-role';

export async function start(config: Config): Promise<void> {
  const logger = createLogger(config);
  const db = await openDatabase(config, (error) => logger.error({ err: error }, 'background database error'));
  const ctx = createContext({ config, logger, db, processMetrics: true });
  await prepareDatabase(ctx);

  const roles: RunningRole[] = [];
  if (config.roles.has('finalizer')) roles.push(await startFinalizer(ctx));
  if (config.roles.has('ingest')) roles.push(await startIngest(ctx));
  if (config.roles.has('webhooks')) roles.push(await startWebhooks(ctx));
  if (config.roles.has('relay')) roles.push(await startRelay(ctx));
  const app = config.roles.has('api') ? await buildApp(ctx) : undefined;
  if (app) await app.listen({ port: config.port, host: config.host });
  // Expired Idempotency-Key records are purged hourly.
  const purge = setInterval(() => void ctx.idempotency.purgeExpired().catch(() => undefined), 3_600_000);
  purge.unref();
  logger.info({ roles: [...config.roles], database: db.kind }, 'started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new work, finishing what is in flight');
    // A hung dependency must not keep the process alive forever.
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    deadline.unref();
    try {
      clearInterval(purge);
      await app?.close(); // stops accepting connections, waits for in-flight requests
      for (const role of roles) await role.stop(); // finishes the batch in hand
      await closeContext(ctx);
      await db.close();
      logger.info('stopped');
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

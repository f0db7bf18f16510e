/**
 * `oms start`: runs the roles named by OMS_ROLES until SIGTERM/SIGINT, then shuts down cleanly.
 *
 * Order matters for a start that cannot work: the port is tried before the database is opened
 * (a busy port fails in milliseconds, not after migrations), and the API listens before any
 * background role starts, so a failed listen leaves nothing running that would keep the
 * process, or the embedded database's data folder, alive.
 */
import type { Config } from '../config/index';
import { closeContext, createContext, prepareDatabase } from '../context';
import { openDatabase } from '../db/open';
import { buildApp } from '../http/app';
import { createLogger } from '../logger';
import { startFinalizer } from '../oms/orders/finalizer-role';
import { startHoldExpiry } from '../ims/holds/expiry-role';
import type { RunningRole } from '../shared/running-role';
import { startIngest } from '../oms/uploads/ingest-role';
import { startWebhooks } from '../oms/webhooks/webhooks-role';
import { startRelay } from '../events/relay-role';
import { runInBackground } from '../db/work-priority';
import { assertCanListen, ListenError } from './listen-check';
import { unavailableDependency } from '../shared/dependency';

/**
 * A lost connection is one short line (a database restart makes dozens, and the error objects
 * of a driver can drag a whole client into the log); anything else with its stack.
 */
function logBackgroundError(logger: ReturnType<typeof createLogger>, error: unknown): void {
  const dependency = unavailableDependency(error);
  if (!dependency) {
    logger.error({ err: error }, 'background database error');
    return;
  }
  const { message, code } = error as { message?: string; code?: string };
  logger.warn({ dependency, code, error: String(message ?? error).slice(0, 300) }, 'a connection to a dependency was lost');
}

export async function start(config: Config): Promise<void> {
  if (config.roles.has('api')) await assertCanListen(config.host, config.port);
  const logger = createLogger(config);
  const db = await openDatabase(config, (error) => logBackgroundError(logger, error));
  const ctx = createContext({ config, logger, db, processMetrics: true });
  const roles: RunningRole[] = [];
  const app = config.roles.has('api') ? await buildApp(ctx) : undefined;
  const purge = setInterval(() => void ctx.idempotency.purgeExpired().catch(() => undefined), 3_600_000);
  purge.unref(); // expired Idempotency-Key records are purged hourly

  /** Stops what runs, in the order that loses nothing: no new requests, then no new work. */
  const shutdown = async () => {
    clearInterval(purge);
    await app?.close(); // stops accepting connections, waits for in-flight requests
    for (const role of roles) await role.stop(); // finishes the batch in hand
    await closeContext(ctx);
    await db.close();
  };

  try {
    await prepareDatabase(ctx);
    if (app) {
      await app.listen({ port: config.port, host: config.host }).catch((error: NodeJS.ErrnoException) => {
        throw new ListenError(config.host, config.port, error);
      });
    }
    // Background work: on the embedded database, requests are served before it (work-priority.ts).
    const start = (role: () => Promise<RunningRole>) => runInBackground(role);
    if (config.roles.has('finalizer')) {
      roles.push(await start(() => startFinalizer(ctx)));
      roles.push(await start(async () => startHoldExpiry(ctx)));
    }
    if (config.roles.has('ingest')) roles.push(await start(() => startIngest(ctx)));
    if (config.roles.has('webhooks')) roles.push(await start(() => startWebhooks(ctx)));
    if (config.roles.has('relay')) roles.push(await start(() => startRelay(ctx)));
  } catch (error) {
    await shutdown().catch(() => undefined);
    throw error;
  }
  logger.info({ roles: [...config.roles], database: db.kind, url: app ? `http://${config.host}:${config.port}` : undefined }, 'started');

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
      await shutdown();
      logger.info('stopped');
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
      process.exitCode = 1;
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

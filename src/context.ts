/**
 * The composition root: builds the database, ports and services from configuration, wired by
 * hand. Routes and background roles receive this one object.
 */
import type { Logger } from 'pino';
import { MemoryCache } from './adapters/memory/lru-cache';
import type { Config } from './config/index';
import type { Db } from './db/handle';
import { migrate } from './db/migrate';
import { joinRequestTransactions } from './db/request-transaction';
import { HttpInventoryClient } from './adapters/inventory/http';
import { InProcessInventoryClient } from './adapters/inventory/in-process';
import type { InventoryClient } from './ports/inventory-client';
import { CatalogLookup } from './ims/catalog/lookup';
import { CatalogService } from './ims/catalog/service';
import { BatchReserver } from './ims/reservations/batch';
import { ReservationService } from './ims/reservations/service';
import { StockService } from './ims/stock/service';
import { HoldService } from './ims/holds/service';
import { ApiKeyAuthenticator } from './ims/tenants/api-keys';
import { TenantService } from './ims/tenants/service';
import type { Cache } from './ports/cache';
import { Metrics } from './shared/metrics';
import { IdempotencyStore } from './http/idempotency';
import { CustomerService } from './oms/customers/service';
import { OrderService } from './oms/orders/service';
import { LoopRegistry } from './shared/loop-status';
import { HeldOrderService } from './oms/orders/held-orders';
import { DbEventLog } from './adapters/postgres/event-log';
import { KafkaEventLog } from './adapters/kafka/event-log';
import type { BatchHandler, EventLog } from './ports/event-log';
import path from 'node:path';
import { LocalObjectStore } from './adapters/fs/object-store';
import { DbWorkQueue } from './adapters/postgres/work-queue';
import { RedisCache } from './adapters/redis/cache';
import { S3ObjectStore } from './adapters/s3/object-store';
import { SqsWorkQueue } from './adapters/sqs/work-queue';
import type { ObjectStore } from './ports/object-store';
import type { WorkQueue } from './ports/work-queue';
import { INGEST_QUEUE, UploadService } from './oms/uploads/service';
import { createDispatches, WEBHOOKS_GROUP } from './oms/webhooks/dispatches';
import { DispatchLog } from './oms/webhooks/dispatch-log';
import { FINALIZER_GROUP, OrderFinalizer } from './oms/orders/finalizer';
import { DeadLetters } from './events/dead-letters';
import { EndpointService } from './oms/webhooks/endpoints';
import { FulfilmentService } from './oms/fulfilment/service';
import { StockSettler } from './oms/fulfilment/settlements';

export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  cache: Cache;
  metrics: Metrics;
  /** What each background loop of this process is doing (on /metrics). */
  loops: LoopRegistry;
  auth: ApiKeyAuthenticator;
  idempotency: IdempotencyStore;
  events: EventLog;
  objectStore: ObjectStore;
  queue: WorkQueue;
  /** Parked events, retried through their consumer group's handler (any process can). */
  deadLetters: DeadLetters;
  ims: {
    tenants: TenantService;
    lookup: CatalogLookup;
    catalog: CatalogService;
    stock: StockService;
    /** What reserves: one order (grouped with others arriving at once) or a batch, oldest first. */
    reservations: BatchReserver;
    /** Reservations once made: read, released, shipped (commit) or settled in part. */
    settlements: ReservationService;
    /** Stock held for carts and checkouts until it expires. */
    holds: HoldService;
  };
  oms: {
    inventory: InventoryClient;
    customers: CustomerService;
    orders: OrderService;
    /** What the finalizer does to held orders (reserved, waiting, cancelled), apart from the API's use cases. */
    heldOrders: HeldOrderService;
    finalizer: OrderFinalizer;
    /** The finalizer group's handler: reserves created orders, settles shipped, cancelled and returned units. */
    finalizerHandler: BatchHandler;
    fulfilment: FulfilmentService;
    settler: StockSettler;
    uploads: UploadService;
    endpoints: EndpointService;
    /** Webhook dispatches (one event to one endpoint) and their attempts. */
    webhookDispatches: DispatchLog;
  };
}

export interface ContextOptions {
  config: Config;
  logger: Logger;
  db: Db;
  /** Collect process-level metrics (CPU, memory, event loop); off in tests that build many apps. */
  processMetrics?: boolean;
}

/** The IMS services (tenants, catalog, stock, reservations) on one database. */
function createIms(config: Config, db: Db, cache: Cache, metrics: Metrics): AppContext['ims'] {
  const lookup = new CatalogLookup(db, cache, config.cacheTtlSeconds);
  const settlements = new ReservationService(db, lookup, metrics);
  const tenants = new TenantService(db);
  return {
    tenants,
    lookup,
    catalog: new CatalogService(db, lookup),
    stock: new StockService(db, lookup),
    settlements,
    holds: new HoldService(db, lookup, (tenantId) => tenants.settings(tenantId), config.limits.tenantQueuedRequests),
    reservations: new BatchReserver(db, lookup, settlements, metrics, (tenantId) => tenants.settings(tenantId), config.limits.tenantQueuedRequests),
  };
}

/** The event log the configuration names: Kafka (fed by the relay role), or the outbox table itself. */
function createEventLog(config: Config, db: Db, logger: Logger, loops: LoopRegistry): EventLog {
  const onError = (error: unknown, context: Record<string, unknown>) => logger.warn({ err: error, ...context }, 'event handler failed');
  if (config.kafkaBrokers) {
    return new KafkaEventLog(db, {
      brokers: config.kafkaBrokers,
      topic: config.kafkaTopic,
      inventoryTopic: config.kafkaInventoryTopic,
      onError,
      logger,
      loops,
    });
  }
  // Smaller batches on the embedded database, whose one connection a batch holds (db/pglite.ts).
  return new DbEventLog(db, { onError, batchSize: db.kind === 'pglite' ? 250 : 500, loops });
}

/** The object store and the work queue the configuration names: the engines, or the embedded ones. */
function createStorage(config: Config, db: Db): { objectStore: ObjectStore; queue: WorkQueue } {
  const objectStore: ObjectStore = config.s3 ? new S3ObjectStore({ ...config.s3 }) : new LocalObjectStore(path.join(config.dataDir, 'objects'));
  const queue: WorkQueue = config.sqs
    ? new SqsWorkQueue({ queues: { [INGEST_QUEUE]: config.sqs.queueUrl }, endpoint: config.sqs.endpoint, waitSeconds: config.sqs.waitSeconds })
    : new DbWorkQueue(db);
  return { objectStore, queue };
}

/** Builds every service and adapter. Inside a request that claims an Idempotency-Key, every statement joins that request's transaction. */
export function createContext({ config, logger, db: database, processMetrics }: ContextOptions): AppContext {
  const db = joinRequestTransactions(database);
  const cache: Cache = config.redisUrl ? new RedisCache({ url: config.redisUrl }) : new MemoryCache();
  const metrics = new Metrics({ processMetrics });
  const loops = new LoopRegistry(metrics.registry);
  const ims = createIms(config, db, cache, metrics);
  const inventory: InventoryClient = config.imsUrl
    ? new HttpInventoryClient({ url: config.imsUrl, apiKey: config.imsApiKey! })
    : new InProcessInventoryClient(ims);
  const settler = new StockSettler(inventory, logger);
  const fulfilment = new FulfilmentService(db, settler);
  const heldOrders = new HeldOrderService(db);
  const orders = new OrderService(db, inventory, fulfilment, settler, heldOrders, config.limits.pageBytes);
  // Orders are created before their deliveries ship: finalize first, then settle.
  const finalizer = new OrderFinalizer(db, inventory, heldOrders);
  const finalizerHandler: BatchHandler = async (events) => {
    await finalizer.handle(events);
    await settler.handle(events);
  };
  // Each consumer group's handler, for dead-letter retries: built here, so a retry works in any
  // process, whichever roles it runs. The webhooks group only creates dispatches (the sender
  // loop finds them); the Kafka relay's publisher exists only in a relay process.
  const handlers = new Map<string, BatchHandler>([
    [FINALIZER_GROUP, finalizerHandler],
    [WEBHOOKS_GROUP, async (events) => void (await createDispatches(db, events))],
  ]);
  const { objectStore, queue } = createStorage(config, db);
  return {
    config,
    logger,
    db,
    cache,
    metrics,
    loops,
    auth: new ApiKeyAuthenticator(db, config.adminApiKey),
    idempotency: new IdempotencyStore(db),
    events: createEventLog(config, db, logger, loops),
    objectStore,
    queue,
    deadLetters: new DeadLetters(db, handlers),
    ims,
    oms: {
      inventory,
      customers: new CustomerService(db),
      orders,
      heldOrders,
      finalizer,
      finalizerHandler,
      fulfilment,
      settler,
      uploads: new UploadService(db, objectStore, queue, config.maxUploadBytes, config.limits.uploadsInFlight),
      endpoints: new EndpointService(db, config.webhookAllowPrivateNetworks),
      webhookDispatches: new DispatchLog(db),
    },
  };
}

/** Releases the connections the context's engines hold (HTTP IMS, Redis, SQS, S3); the database is the caller's. */
export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.oms.inventory.close?.();
  await ctx.cache.close?.();
  await ctx.queue.close?.();
  await ctx.objectStore.close?.();
}

/** Start-up work that needs the database: migrations, then the first-run admin key. */
export async function prepareDatabase(ctx: AppContext): Promise<void> {
  const applied = await migrate(ctx.db);
  if (applied.length > 0) ctx.logger.info({ migrations: applied }, 'applied migrations');
  const adminKey = await ctx.auth.ensureAdminKey();
  if (adminKey) {
    // Printed once, on the database's first start; only its digest is stored.
    process.stdout.write(`\nGenerated admin API key (shown only now; set OMS_ADMIN_API_KEY to choose your own):\n  ${adminKey}\n\n`);
  }
}

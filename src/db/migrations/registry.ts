/**
 * The explicit, ordered list of migrations. A migration that has landed is never edited: add a
 * new one. Ids start with their date so the order reads naturally.
 */
import { imsSchema } from './20261121-0001-ims-schema';
import { idempotencyKeys } from './20261122-0002-idempotency-keys';
import { omsSchema } from './20261122-0003-oms-schema';
import { uploadsAndJobs } from './20261122-0004-uploads-and-jobs';
import { webhooks } from './20261122-0005-webhooks';
import { uploadProgress } from './20261122-0006-upload-progress';
import { orderShortages } from './20261130-0007-order-shortages';
import { uploadDecimalSeparator } from './20261130-0008-upload-decimal-separator';
import { orderJsonBytes } from './20261130-0009-order-json-bytes';
import { ordersAcrossHubs } from './20261130-0010-orders-across-hubs';
import { waitingOrders } from './20261203-0011-waiting-orders';
import { orderEventsIndex } from './20261203-0012-order-events-index';
import { webhookDispatches } from './20261203-0013-webhook-dispatches';
import { eventIdUnindexed } from './20261203-0014-event-id-unindexed';
import { holds } from './20261203-0015-holds';

import type { Migration } from './migration';

export const migrations: readonly Migration[] = [
  imsSchema,
  idempotencyKeys,
  omsSchema,
  uploadsAndJobs,
  webhooks,
  uploadProgress,
  orderShortages,
  uploadDecimalSeparator,
  orderJsonBytes,
  ordersAcrossHubs,
  waitingOrders,
  orderEventsIndex,
  webhookDispatches,
  eventIdUnindexed,
  holds,
];

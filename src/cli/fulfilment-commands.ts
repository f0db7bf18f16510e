/**
 * `oms orders ship` and `oms orders return`: a reserved order's deliveries and returns, over
 * HTTP like every client command.
 */
import { call, CliError, type Connection } from './api-client';

interface Delivery {
  id: string;
  hub: string;
  status: string;
  items: { sku: string; quantity: number }[];
  tracking_number: string | null;
}

/** "A=2,B=1" (ship) or "A=2,B=1:damaged" (return) → items. */
export function parseItems(text: string, withDisposition: boolean): { sku: string; quantity: number; disposition?: string }[] {
  return text.split(',').map((part) => {
    const match = /^([^=]+)=(\d+)(?::(restock|damaged))?$/.exec(part.trim());
    if (!match || Number(match[2]) < 1 || (!withDisposition && match[3])) {
      const shape = withDisposition ? 'SKU=QUANTITY[:restock|:damaged]' : 'SKU=QUANTITY';
      throw new CliError(`--items: "${part}" is not ${shape} with a quantity of at least 1`, 2);
    }
    return { sku: match[1]!, quantity: Number(match[2]), ...(withDisposition ? { disposition: match[3] ?? 'restock' } : {}) };
  });
}

/**
 * Ships one delivery (--delivery), or the pending delivery holding every SKU of --items, or,
 * with neither, every pending delivery. Answers the shipped deliveries.
 */
export async function shipOrder(
  connection: Connection,
  orderId: string,
  options: { delivery?: string; items?: string; tracking?: string },
): Promise<Delivery[]> {
  const items = options.items === undefined ? undefined : parseItems(options.items, false);
  const body = { ...(options.tracking ? { tracking_number: options.tracking } : {}), ...(items ? { items } : {}) };
  const ship = (d: string): Promise<Delivery> => call(connection, 'POST', `/orders/${orderId}/deliveries/${encodeURIComponent(d)}/ship`, body);
  if (options.delivery) return [await ship(options.delivery)];
  const pending = ((await call(connection, 'GET', `/orders/${orderId}/deliveries`)).data as Delivery[]).filter((d) => d.status === 'pending');
  if (pending.length === 0) throw new CliError(`order ${orderId} has no pending delivery`);
  if (!items) return Promise.all(pending.map((d) => ship(d.id)));
  const holding = pending.filter((d) => items.every((i) => d.items.some((l) => l.sku === i.sku)));
  if (holding.length !== 1)
    throw new CliError(`${holding.length === 0 ? 'no' : 'more than one'} pending delivery holds every SKU of --items: name one with --delivery`, 2);
  return [await ship(holding[0]!.id)];
}

export async function returnOrder(connection: Connection, orderId: string, options: { items?: string; reason?: string }) {
  if (!options.items) throw new CliError('--items SKU=QUANTITY[:restock|:damaged],… is required', 2);
  return call(connection, 'POST', `/orders/${orderId}/returns`, {
    items: parseItems(options.items, true),
    ...(options.reason ? { reason: options.reason } : {}),
  });
}

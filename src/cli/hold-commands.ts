/**
 * `oms holds list|get|create|items|extend|release`: stock held for a cart or a checkout, over
 * HTTP like every client command.
 */
import { call, CliError, type Connection } from './api-client';
import { parseItems } from './fulfilment-commands';

export interface Hold {
  id: string;
  reference: string | null;
  status: string;
  expires_at: string;
  order_id: string | null;
  lines: { sku: string; hub: string; quantity: number }[];
}

/** "A=2,B=1@H2" → items: SKU=QUANTITY, optionally @HUB for a line that must come from that hub. */
export function parseHoldItems(text: string): { sku: string; quantity: number; hub?: string }[] {
  return text.split(',').map((part) => {
    const [units, hub, more] = part.trim().split('@');
    if (more !== undefined || hub === '') throw new CliError(`--items: "${part}" is not SKU=QUANTITY[@HUB]`, 2);
    const [item] = parseItems(units!, false);
    return { ...item!, ...(hub ? { hub } : {}) };
  });
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`--expires-in must be a number of seconds, at least 1, got "${value}"`, 2);
  return Number(value);
}

export interface HoldOptions {
  items?: string;
  reference?: string;
  'expires-in'?: string;
  status?: string;
  limit?: string;
  cursor?: string;
}

/** Runs `oms holds SUB [ID]`; answers what the API answered (a hold, or a page of them). */
export async function holdCommand(connection: Connection, sub: string | undefined, id: string | undefined, options: HoldOptions): Promise<unknown> {
  const path = (tail = '') => `/holds/${encodeURIComponent(id!)}${tail}`;
  if (sub === 'list' && id === undefined) {
    const query = new URLSearchParams();
    for (const name of ['status', 'limit', 'cursor'] as const) if (options[name]) query.set(name, options[name]);
    return call(connection, 'GET', `/holds${query.size > 0 ? `?${query.toString()}` : ''}`);
  }
  if (sub === 'create' && id === undefined) {
    if (!options.items) throw new CliError('--items SKU=QUANTITY[@HUB],… is required', 2);
    const expires = seconds(options['expires-in']);
    return call(connection, 'POST', '/holds', {
      items: parseHoldItems(options.items),
      ...(options.reference ? { reference: options.reference } : {}),
      ...(expires !== undefined ? { expires_in_seconds: expires } : {}),
    });
  }
  if (id === undefined) throw new CliError(`usage: oms holds list | create | get | items | extend | release …`, 2);
  if (sub === 'get') return call(connection, 'GET', path());
  if (sub === 'release') return call(connection, 'DELETE', path());
  if (sub === 'items') {
    if (!options.items) throw new CliError('--items SKU=QUANTITY[@HUB],… is required', 2);
    return call(connection, 'PUT', path('/items'), { items: parseHoldItems(options.items) });
  }
  if (sub === 'extend') {
    const expires = seconds(options['expires-in']);
    if (expires === undefined) throw new CliError('--expires-in SECONDS is required', 2);
    return call(connection, 'POST', path('/extend'), { expires_in_seconds: expires });
  }
  throw new CliError(`usage: oms holds list | create | get | items | extend | release …`, 2);
}

/**
 * The client commands: `oms import`, `oms orders list|get|ship|return`, `oms inventory get|set`,
 * `oms holds list|get|create|items|extend|release`. They talk
 * to a running service over HTTP (never to the database), so they work against any deployment.
 * Every command takes --url, --key and --json (the API's own JSON, for scripts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readEnv, type RawEnv } from '../config/environment';
import { call, CliError, connectionFrom, type Connection } from './api-client';
import { importFile } from './import';
import { returnOrder, shipOrder } from './fulfilment-commands';
import { holdCommand, type Hold } from './hold-commands';
import { CLIENT_USAGE } from './usage';
import { isUuid } from '../shared/cursor';

const common = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${CLIENT_USAGE}`, 2);
  }
}

const write = (text: string) => process.stdout.write(text);
/** Prints the API's JSON as is (`--json`), and answers the exit code. */
function printJson(value: unknown): number {
  write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

/** "Name <email>", or the e-mail alone when the name is the e-mail (CSV rows without a name). */
function customerLabel(customer?: { name: string; email: string }): string {
  if (!customer) return '—';
  return customer.name && customer.name !== customer.email ? `${customer.name} <${customer.email}>` : customer.email;
}

/** Columns padded to their widest cell. */
function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((row) => row.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return (
    cells
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new CliError(`--${name} must be a whole number, got "${value}"`, 2);
  return Number(value);
}

/** An order (with its deliveries) by its id, or by the tenant's own reference (unique per tenant). */
async function findOrder(connection: Connection, idOrReference: string) {
  if (isUuid(idOrReference)) return call(connection, 'GET', `/orders/${idOrReference}`);
  const page = await call(connection, 'GET', `/orders?reference=${encodeURIComponent(idOrReference)}&limit=1`);
  if (page.data.length === 0) throw new CliError(`no order has the id or reference "${idOrReference}"`);
  return call(connection, 'GET', `/orders/${page.data[0].id}`);
}

type Command = (argv: string[], env: RawEnv) => Promise<number>;

const COMMANDS: Record<string, Command> = { import: importCommand, orders: ordersCommand, inventory: inventoryCommand, holds: holdsCommand };

export async function runClientCommand(command: string, argv: string[]): Promise<number> {
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) throw new CliError(`unknown command "${command}"`, 2);
  return run(argv, readEnv());
}

async function importCommand(argv: string[], env: RawEnv): Promise<number> {
  const { values, positionals } = parse(argv, { wait: { type: 'boolean', default: false } });
  if (positionals.length !== 1) throw new CliError(`import takes one file\n\n${CLIENT_USAGE}`, 2);
  return importFile(connectionFrom(values, env), positionals[0]!, { wait: values.wait === true, json: values.json === true });
}

async function ordersCommand(argv: string[], env: RawEnv): Promise<number> {
  const { values, positionals } = parse(argv, {
    status: { type: 'string' },
    hub: { type: 'string' },
    reference: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    delivery: { type: 'string' },
    items: { type: 'string' },
    tracking: { type: 'string' },
    reason: { type: 'string' },
  });
  const connection = connectionFrom(values, env);
  const [sub, id] = positionals;
  if (sub === 'get' && id && positionals.length === 2) return showOrder(connection, id, values.json === true);
  if ((sub === 'ship' || sub === 'return') && id && positionals.length === 2) {
    const order = await findOrder(connection, id);
    const done = sub === 'ship' ? await shipOrder(connection, order.id, values) : await returnOrder(connection, order.id, values);
    if (values.json) return printJson(done);
    return showOrder(connection, order.id, false);
  }
  if (sub === 'list' && positionals.length === 1) {
    const query = new URLSearchParams();
    for (const name of ['status', 'hub', 'reference', 'cursor'] as const) if (values[name]) query.set(name, values[name]);
    const limit = integer('limit', values.limit);
    if (limit !== undefined) query.set('limit', String(limit));
    return listOrders(connection, query, values.json === true);
  }
  throw new CliError(`usage: oms orders list | get | ship | return ID-OR-REFERENCE …\n\n${CLIENT_USAGE}`, 2);
}

async function showOrder(connection: Connection, idOrReference: string, json: boolean): Promise<number> {
  const order = await findOrder(connection, idOrReference);
  if (json) return printJson(order);
  const reference = order.reference ? ` (${order.reference})` : '';
  write(`Order ${order.id}${reference}: ${order.status}, ${order.total_amount}${order.currency ? ` ${order.currency}` : ''}\n`);
  write(`Hub ${order.hub ?? '(per line, or allocated)'}; customer ${customerLabel(order.customer)}; created ${order.created_at}\n`);
  write(
    table(
      ['sku', 'name', 'quantity', 'unit_price', 'hub'],
      order.items.map((i: any) => [i.sku, i.name ?? '', i.quantity, i.unit_price, i.hub ?? '']),
    ),
  );
  if (order.deliveries?.length > 0) {
    write('Deliveries:\n');
    write(
      table(
        ['id', 'hub', 'status', 'items', 'tracking'],
        order.deliveries.map((d: any) => [d.id, d.hub, d.status, d.items.map((i: any) => `${i.sku}=${i.quantity}`).join(','), d.tracking_number ?? '']),
      ),
    );
  }
  return 0;
}

async function listOrders(connection: Connection, query: URLSearchParams, json: boolean): Promise<number> {
  const page = await call(connection, 'GET', `/orders${query.size > 0 ? `?${query.toString()}` : ''}`);
  if (json) return printJson(page);
  write(
    table(
      ['id', 'reference', 'status', 'hub', 'total', 'created_at'],
      page.data.map((o: any) => [o.id, o.reference ?? '', o.status, o.hub ?? '', o.total_amount, o.created_at]),
    ),
  );
  if (page.next_cursor) write(`More: oms orders list --cursor ${page.next_cursor}\n`);
  return 0;
}

interface Level {
  hub: string;
  sku: string;
  on_hand: number;
  reserved: number;
  held: number;
  available: number;
}

function showLevels(levels: Level[]): void {
  write(
    table(
      ['hub', 'sku', 'on_hand', 'reserved', 'held', 'available'],
      levels.map((l) => [l.hub, l.sku, l.on_hand, l.reserved, l.held, l.available]),
    ),
  );
}

async function holdsCommand(argv: string[], env: RawEnv): Promise<number> {
  const { values, positionals } = parse(argv, {
    items: { type: 'string' },
    reference: { type: 'string' },
    'expires-in': { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  if (positionals.length > 2) throw new CliError(`usage: oms holds list | create | get | items | extend | release …\n\n${CLIENT_USAGE}`, 2);
  const [sub, id] = positionals;
  const answer = (await holdCommand(connectionFrom(values, env), sub, id, values)) as Hold | { data: Hold[]; next_cursor: string | null };
  if (values.json) return printJson(answer);
  if ('data' in answer) {
    write(
      table(
        ['id', 'reference', 'status', 'expires_at', 'units', 'order_id'],
        answer.data.map((h) => [h.id, h.reference ?? '', h.status, h.expires_at, h.lines.reduce((n, l) => n + l.quantity, 0), h.order_id ?? '']),
      ),
    );
    if (answer.next_cursor) write(`More: oms holds list --cursor ${answer.next_cursor}\n`);
    return 0;
  }
  write(
    `Hold ${answer.id}${answer.reference ? ` (${answer.reference})` : ''}: ${answer.status}, expires ${answer.expires_at}${answer.order_id ? `, order ${answer.order_id}` : ''}\n`,
  );
  write(
    table(
      ['sku', 'hub', 'quantity'],
      answer.lines.map((l) => [l.sku, l.hub, l.quantity]),
    ),
  );
  return 0;
}

async function inventoryCommand(argv: string[], env: RawEnv): Promise<number> {
  const { values, positionals } = parse(argv, {
    hub: { type: 'string' },
    skus: { type: 'string' },
    sku: { type: 'string' },
    'on-hand': { type: 'string' },
    delta: { type: 'string' },
    expected: { type: 'string' },
    reason: { type: 'string' },
  });
  const connection = connectionFrom(values, env);
  const [sub] = positionals;
  const { hub, json } = values;
  if (!hub) throw new CliError('--hub is required', 2);
  if (sub === 'get' && positionals.length === 1) {
    const query = new URLSearchParams({ hub });
    if (values.skus) query.set('skus', values.skus);
    const page = await call(connection, 'GET', `/inventory?${query.toString()}`);
    if (json) return printJson(page);
    showLevels(page.data);
    if (page.next_cursor) write('More SKUs than shown: name them with --skus, or use --json and the API cursor.\n');
    return 0;
  }
  if (sub === 'set' && positionals.length === 1) {
    if (!values.sku) throw new CliError('--sku is required', 2);
    const onHand = integer('on-hand', values['on-hand']);
    const delta = integer('delta', values.delta);
    if ((onHand === undefined) === (delta === undefined)) throw new CliError('give exactly one of --on-hand N or --delta N', 2);
    const expected = integer('expected', values.expected);
    const level = await call(connection, 'PUT', '/inventory', {
      hub,
      sku: values.sku,
      ...(onHand !== undefined ? { on_hand: onHand } : { delta }),
      ...(expected !== undefined ? { expected_on_hand: expected } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
    });
    if (json) return printJson(level);
    showLevels([level]);
    return 0;
  }
  throw new CliError(`usage: oms inventory get|set --hub H …\n\n${CLIENT_USAGE}`, 2);
}

/**
 * Turns a batch of parsed rows into orders to insert and invalid rows with their reasons,
 * with one IMS look-up per kind and tenant for the whole batch (not one per row) and one query
 * for references already taken. Rows that share an order_id and follow each other form one
 * multi-line order; if any of its rows is invalid, all of them are.
 */
import type { Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import type { CatalogRef } from '../../contracts/inventory';
import type { InventoryClient } from '../../ports/inventory-client';
import { formatCents } from '../money';
import type { OrderItem } from '../orders/model';
import { prepareOrder } from '../orders/new-order';
import { findCustomers, findReferences, type OrderToInsert } from '../orders/create-repository';
import type { CsvRow, ParsedLine } from './row-parser';

export interface InvalidRow {
  row: CsvRow;
  reasons: string[];
}

export interface BatchOrders {
  /** Orders to insert, by tenant, each with the rows it came from. */
  byTenant: Map<string, { insert: OrderToInsert; rows: CsvRow[] }[]>;
  invalid: InvalidRow[];
}

/** What the builder remembers across the batches of one file. */
export interface FileContext {
  uploadId: string;
  /** The uploading tenant; undefined for an admin upload whose rows name their tenants. */
  tenantId?: string;
  /** First 16 hex digits of the file's SHA-256: references of rows without an order_id. */
  contentHash: string;
  /** Tenant refs resolved so far (null: unknown). */
  tenants: Map<string, string | null>;
  /** References of orders found invalid earlier in the file: a later use is a duplicate too. */
  invalidReferences: Set<string>;
}

interface Group {
  reference: string;
  /** The reference came from the file (not derived from the row number). */
  explicit: boolean;
  lines: ParsedLine[];
  tenantId?: string;
  errors: string[];
}

/** Splits lines into orders: consecutive lines with the same explicit reference share one. */
export function groupLines(lines: readonly ParsedLine[], contentHash: string): Group[] {
  const groups: Group[] = [];
  for (const line of lines) {
    const last = groups[groups.length - 1];
    if (line.reference !== undefined && last?.explicit && last.reference === line.reference) last.lines.push(line);
    else
      groups.push({ reference: line.reference ?? `CSV-${contentHash}-${line.row.number}`, explicit: line.reference !== undefined, lines: [line], errors: [] });
  }
  return groups;
}

export class BatchBuilder {
  constructor(
    private readonly db: Db,
    private readonly inventory: InventoryClient,
  ) {}

  async build(file: FileContext, lines: readonly ParsedLine[]): Promise<BatchOrders> {
    const groups = groupLines(lines, file.contentHash);
    await this.assignTenants(file, groups);
    const byTenant = new Map<string, Group[]>();
    for (const group of groups) {
      if (!group.tenantId) continue;
      const list = byTenant.get(group.tenantId);
      if (list) list.push(group);
      else byTenant.set(group.tenantId, [group]);
    }
    const result: BatchOrders = { byTenant: new Map(), invalid: [] };
    const seen = new Set<string>();
    for (const [tenantId, tenantGroups] of byTenant) {
      result.byTenant.set(tenantId, await this.buildTenant(file, tenantId, tenantGroups, seen));
    }
    for (const group of groups) {
      const failed = group.errors.length > 0 || group.lines.some((l) => l.errors.length > 0);
      if (!failed) continue;
      if (group.explicit) file.invalidReferences.add(group.reference);
      const firstBad = group.lines.find((l) => l.errors.length > 0);
      for (const line of group.lines) {
        const reasons = [...line.errors, ...group.errors];
        if (reasons.length === 0 && firstBad) reasons.push(`row ${firstBad.row.number} of order ${group.reference} is invalid`);
        result.invalid.push({ row: line.row, reasons });
      }
    }
    result.invalid.sort((a, b) => a.row.number - b.row.number);
    return result;
  }

  /** Every group gets its tenant, or an error saying why it has none. */
  private async assignTenants(file: FileContext, groups: Group[]): Promise<void> {
    const refs = new Set(groups.flatMap((g) => g.lines.map((l) => l.tenant)).filter((t): t is string => t !== undefined));
    for (const ref of refs) {
      if (!file.tenants.has(ref)) file.tenants.set(ref, (await this.inventory.findTenant(ref))?.id ?? null);
    }
    for (const group of groups) {
      const named = new Set(group.lines.map((l) => l.tenant));
      if (named.size > 1) group.errors.push(`rows of order ${group.reference} disagree on tenant_id`);
      const ref = group.lines[0]!.tenant;
      const resolved = ref === undefined ? undefined : file.tenants.get(ref);
      if (file.tenantId) {
        if (ref !== undefined && resolved !== file.tenantId) group.errors.push(`tenant_id "${ref.slice(0, 64)}" is not the uploading tenant`);
        group.tenantId = file.tenantId;
      } else if (ref === undefined) {
        group.errors.push('tenant_id is missing (an admin upload routes rows by it)');
      } else if (!resolved) {
        group.errors.push(`tenant_id "${ref.slice(0, 64)}" is unknown`);
      } else {
        group.tenantId = resolved;
      }
    }
  }

  private async buildTenant(file: FileContext, tenantId: string, groups: Group[], seen: Set<string>) {
    const lines = groups.flatMap((g) => g.lines);
    const codes = (pick: (l: ParsedLine) => string | undefined) => [...new Set(lines.map(pick).filter((c): c is string => !!c))];
    const scope = new TenantScope(this.db, tenantId);
    const [hubs, skus, sellers, settings, taken, customers] = await Promise.all([
      this.inventory.resolve(
        tenantId,
        'hub',
        codes((l) => l.hub),
      ),
      this.inventory.resolve(
        tenantId,
        'sku',
        codes((l) => l.sku),
      ),
      this.inventory.resolve(
        tenantId,
        'seller',
        codes((l) => l.seller),
      ),
      this.inventory.tenantSettings(tenantId),
      findReferences(
        scope,
        groups.map((g) => g.reference),
      ),
      findCustomers(
        scope,
        codes((l) => l.customer.id),
      ),
    ]);
    const orders: { insert: OrderToInsert; rows: CsvRow[] }[] = [];
    for (const group of groups) {
      this.checkGroup(file, group, { hubs, skus, sellers, customers }, taken, seen);
      seen.add(group.reference);
      if (group.errors.length > 0 || group.lines.some((l) => l.errors.length > 0)) continue;
      const first = group.lines[0]!;
      // Rows naming one hub make an order of that hub; rows naming several (or some none) make
      // an order whose lines carry their own hubs, the others allocated when it is finalized.
      const oneHub = group.lines.every((l) => l.hub !== '' && l.hub === first.hub);
      const { items, total } = orderItems(group.lines, skus, oneHub ? undefined : hubs);
      const { insert } = prepareOrder(tenantId, {
        reference: group.reference,
        hub: oneHub ? hubs.get(first.hub) : undefined,
        seller: first.seller === undefined ? undefined : sellers.get(first.seller),
        items,
        totalCents: total,
        currency: first.currency ?? settings.currency,
        shipping_address: first.shippingAddress,
        order_date: first.orderDate,
        source: 'csv',
        upload_id: file.uploadId,
        // A customer named by id goes in whole (the event shows it); by e-mail, it is found or
        // created in the batch's transaction.
        customer: (first.customer.id && customers.get(first.customer.id)) || first.customer,
      });
      orders.push({ insert, rows: group.lines.map((l) => l.row) });
    }
    return orders;
  }

  private checkGroup(
    file: FileContext,
    group: Group,
    known: { hubs: Map<string, CatalogRef>; skus: Map<string, CatalogRef>; sellers: Map<string, CatalogRef>; customers: Map<string, unknown> },
    taken: Map<string, string | null>,
    seen: Set<string>,
  ): void {
    const disagree = (what: string, key: (l: ParsedLine) => string) => {
      if (new Set(group.lines.map(key)).size > 1) group.errors.push(`rows of order ${group.reference} disagree on ${what}`);
    };
    disagree('customer', (l) => JSON.stringify(l.customer));
    for (const line of group.lines) {
      const { hubs, skus, sellers, customers } = known;
      if (line.customer.id && !customers.has(line.customer.id)) line.errors.push(`customer_id "${line.customer.id}" is unknown`);
      if (line.hub && !hubs.has(line.hub)) line.errors.push(`hub "${line.hub.slice(0, 64)}" is unknown`);
      if (line.sku && !skus.has(line.sku)) line.errors.push(`sku "${line.sku.slice(0, 64)}" is unknown`);
      if (line.seller && !sellers.has(line.seller)) line.errors.push(`seller "${line.seller.slice(0, 64)}" is unknown`);
    }
    const owner = taken.get(group.reference);
    if (seen.has(group.reference) || (group.explicit && file.invalidReferences.has(group.reference)) || (owner !== undefined && owner === file.uploadId)) {
      group.errors.push(`order_id ${group.reference} was already used earlier in the file`);
    } else if (owner !== undefined) {
      group.errors.push(`order ${group.reference} already exists`);
    }
  }
}

/** A valid group's lines as order items (a line's name defaults to its SKU's), and their total. */
function orderItems(lines: readonly ParsedLine[], skus: Map<string, CatalogRef>, lineHubs?: Map<string, CatalogRef>): { items: OrderItem[]; total: bigint } {
  let total = 0n;
  const items = lines.map((line) => {
    const sku = skus.get(line.sku)!;
    const lineCents = line.lineCents ?? (line.unitCents ?? 0n) * BigInt(line.quantity);
    total += lineCents;
    const unit = line.unitCents ?? lineCents / BigInt(line.quantity);
    const name = line.productName ?? sku.name;
    const hub = line.hub === '' ? undefined : lineHubs?.get(line.hub);
    return {
      sku: sku.code,
      sku_id: sku.id,
      ...(name ? { name } : {}),
      quantity: line.quantity,
      unit_price: formatCents(unit),
      ...(hub ? { hub: hub.code, hub_id: hub.id } : {}),
    };
  });
  return { items, total };
}

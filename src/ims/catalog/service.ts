/** Business rules of the catalog: unique codes, references between rows, safe deletion. */
import { pgErrorOf, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, type Db } from '../../db/handle';
import { TenantScope, TenantTx } from '../../db/tenant-scope';
import { decodeCursor, toPage } from '../../shared/cursor';
import { conflict, FieldErrors, notFound, invalid } from '../../shared/errors';
import type { CatalogLookup } from './lookup';
import {
  activeReservationsAtHub,
  deleteCatalogRow,
  deleteEmptyStockRows,
  getCatalogRow,
  insertCatalogRow,
  listCatalogRows,
  lockCatalogRow,
  stockHeldBy,
  updateCatalogRow,
} from './repository';
import { CATALOG, type CatalogCreate, type CatalogKind, type CatalogPatch, type CatalogRow } from './resources';

export interface CatalogListQuery {
  ids?: string[];
  codes?: string[];
  cursor?: string;
  limit: number;
}

export class CatalogService {
  constructor(
    private readonly db: Db,
    private readonly lookup: CatalogLookup,
  ) {}

  async create(tenantId: string, kind: CatalogKind, input: CatalogCreate): Promise<CatalogRow> {
    const resolved = await this.resolveSkuReferences(tenantId, kind, input);
    try {
      return await this.db.transaction((tx) => insertCatalogRow(new TenantTx(tx, tenantId), kind, { ...input, ...resolved }));
    } catch (error) {
      throw this.translate(error, kind, input.code);
    }
  }

  async list(tenantId: string, kind: CatalogKind, query: CatalogListQuery) {
    const rows = await listCatalogRows(new TenantScope(this.db, tenantId), kind, {
      ids: query.ids,
      codes: query.codes,
      after: decodeCursor(query.cursor),
      limit: query.limit + 1,
    });
    return toPage(rows, query.limit, (row) => row.id);
  }

  async get(tenantId: string, kind: CatalogKind, ref: string): Promise<CatalogRow> {
    const row = await getCatalogRow(new TenantScope(this.db, tenantId), kind, ref);
    if (!row) throw notFound(CATALOG[kind].label, ref);
    return row;
  }

  async update(tenantId: string, kind: CatalogKind, ref: string, patch: CatalogPatch): Promise<CatalogRow> {
    if (Object.values(patch).every((v) => v === undefined)) {
      throw invalid([{ field: 'body', code: 'field.empty_patch' }]);
    }
    const current = await this.get(tenantId, kind, ref);
    const resolved = await this.resolveSkuReferences(tenantId, kind, patch);
    try {
      return await this.db.transaction(async (tx) => {
        const scope = new TenantTx(tx, tenantId);
        const locked = await lockCatalogRow(scope, kind, current.id);
        if (!locked) throw notFound(CATALOG[kind].label, ref);
        const updated = await updateCatalogRow(scope, kind, current.id, { ...patch, ...resolved });
        scope.onCommit(() => void this.lookup.invalidate(tenantId, kind, current.id, [locked.code, updated.code]));
        return updated;
      });
    } catch (error) {
      throw this.translate(error, kind, patch.code ?? current.code);
    }
  }

  async remove(tenantId: string, kind: CatalogKind, ref: string): Promise<void> {
    const current = await this.get(tenantId, kind, ref);
    const { label } = CATALOG[kind];
    try {
      await this.db.transaction(async (tx) => {
        const scope = new TenantTx(tx, tenantId);
        const locked = await lockCatalogRow(scope, kind, current.id);
        if (!locked) throw notFound(label, ref);
        if (kind === 'hub' || kind === 'sku') {
          const held = await stockHeldBy(scope, kind, current.id);
          const active = kind === 'hub' ? await activeReservationsAtHub(scope, current.id) : 0;
          if (held.on_hand > 0 || held.reserved > 0 || active > 0) {
            throw conflict('resource.in_use', {
              resource: label,
              id: ref,
              reason: `it holds ${held.on_hand} units on hand, ${held.reserved} reserved and ${held.held} held`,
            });
          }
          await deleteEmptyStockRows(scope, kind, current.id);
        }
        await deleteCatalogRow(scope, kind, current.id);
        scope.onCommit(() => void this.lookup.invalidate(tenantId, kind, current.id, [locked.code]));
      });
    } catch (error) {
      if (pgErrorOf(error)?.code === PG_FOREIGN_KEY_VIOLATION) {
        throw conflict('resource.in_use', { resource: label, id: ref, reason: 'other records refer to it' });
      }
      throw error;
    }
  }

  /** A SKU names its seller and category by code or id; stores their ids. */
  private async resolveSkuReferences(tenantId: string, kind: CatalogKind, input: CatalogPatch): Promise<Partial<CatalogPatch>> {
    if (kind !== 'sku') return {};
    const errors = new FieldErrors();
    const out: Partial<CatalogPatch> = {};
    for (const [field, refKind] of [
      ['seller_id', 'seller'],
      ['category_id', 'category'],
    ] as const) {
      const ref = input[field];
      if (ref === undefined || ref === null) continue;
      const found = (await this.lookup.resolve(tenantId, refKind, [ref])).get(ref);
      if (found) out[field] = found.id;
      else errors.unknown(field, CATALOG[refKind].label, ref);
    }
    errors.throwIfAny();
    return out;
  }

  private translate(error: unknown, kind: CatalogKind, code: string): unknown {
    const pg = pgErrorOf(error);
    if (pg?.code === PG_UNIQUE_VIOLATION) {
      return conflict('resource.duplicate_code', { resource: CATALOG[kind].label, code });
    }
    if (pg?.code === PG_FOREIGN_KEY_VIOLATION) {
      // A seller or category deleted between look-up and insert.
      return invalid([{ field: 'seller_id', code: 'field.reference_deleted', params: { resource: 'Seller or Category' } }]);
    }
    return error;
  }
}

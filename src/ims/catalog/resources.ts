/**
 * The four catalog resources share one shape (id, code, name, timestamps) and one
 * implementation; a SKU adds seller, category and free-form attributes.
 */
import { CATALOG_KINDS, type CatalogKind, type CatalogRef } from '../../contracts/inventory';

export { CATALOG_KINDS, type CatalogKind, type CatalogRef };

export interface CatalogResource {
  kind: CatalogKind;
  /** Table name inside the `ims` schema (a constant, never user input). */
  table: string;
  /** URL segment: `/sellers`, `/categories`, … */
  path: string;
  /** Label used in messages. */
  label: string;
}

export const CATALOG: Record<CatalogKind, CatalogResource> = {
  seller: { kind: 'seller', table: 'ims.sellers', path: 'sellers', label: 'Seller' },
  category: { kind: 'category', table: 'ims.categories', path: 'categories', label: 'Category' },
  hub: { kind: 'hub', table: 'ims.hubs', path: 'hubs', label: 'Hub' },
  sku: { kind: 'sku', table: 'ims.skus', path: 'skus', label: 'SKU' },
};

export interface CatalogRow {
  id: string;
  code: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  /** Hubs: the order allocation tries them in (lower first). */
  priority?: number;
  seller_id?: string | null;
  category_id?: string | null;
  attributes?: Record<string, unknown> | null;
}

export interface CatalogCreate {
  code: string;
  name: string;
  priority?: number;
  seller_id?: string | null;
  category_id?: string | null;
  attributes?: Record<string, unknown> | null;
}

export type CatalogPatch = Partial<CatalogCreate>;

/** The columns each kind returns; SKUs carry their extra fields. */
export function columnsOf(kind: CatalogKind): string {
  const base = 'id, code, name, created_at, updated_at';
  if (kind === 'hub') return `${base}, priority`;
  return kind === 'sku' ? `${base}, seller_id, category_id, attributes` : base;
}

export const toRef = (row: CatalogRow): CatalogRef => ({
  id: row.id,
  code: row.code,
  name: row.name,
  ...(row.seller_id !== undefined ? { seller_id: row.seller_id } : {}),
  ...(row.category_id !== undefined ? { category_id: row.category_id } : {}),
});

/**
 * InventoryClient port: how the OMS talks to the IMS. The OMS never reads IMS tables: it asks
 * through this interface, served in-process by default (adapters/inventory/in-process.ts) and
 * over HTTP when IMS_URL is set (adapters/inventory/http.ts). Keep it small.
 */
import type {
  CatalogKind,
  CatalogRef,
  Hold,
  InventoryStats,
  Reservation,
  ReserveInput,
  ReserveResult,
  SettleInput,
  TenantSettings,
} from '../contracts/inventory';

export type { InventoryStats };

export interface InventoryClient {
  /** Resolves codes or ids of one kind; refs naming nothing are absent from the map. */
  resolve(tenantId: string, kind: Extract<CatalogKind, 'hub' | 'sku' | 'seller'>, refs: readonly string[]): Promise<Map<string, CatalogRef>>;
  tenantSettings(tenantId: string): Promise<TenantSettings>;
  /** A tenant by id or code (CSV rows name theirs); undefined when there is none. */
  findTenant(ref: string): Promise<{ id: string; code: string } | undefined>;
  reserve(tenantId: string, input: ReserveInput): Promise<ReserveResult>;
  /** Many orders in one go, oldest first, each all-or-nothing; results in request order. */
  reserveMany(tenantId: string, inputs: readonly ReserveInput[]): Promise<ReserveResult[]>;
  /** Idempotent; answers the reservation, or undefined when the order has none. */
  release(tenantId: string, orderId: string): Promise<Reservation | undefined>;
  /** Idempotent; throws a 409 AppError when the reservation was released. */
  commit(tenantId: string, orderId: string): Promise<Reservation>;
  /**
   * Commits or releases some held units, or restocks returned ones, as one operation: idempotent
   * by its operation id. A 409 AppError when a line holds fewer units than asked (nothing changes).
   */
  settle(tenantId: string, orderId: string, input: SettleInput): Promise<Reservation | undefined>;
  stats(tenantId: string): Promise<InventoryStats>;
  /** A hold (an order may be placed from it); undefined when the tenant has none by that id. */
  hold(tenantId: string, id: string): Promise<Hold | undefined>;
  /** Frees connections (the HTTP client); nothing to do in-process. */
  close?(): Promise<void>;
}

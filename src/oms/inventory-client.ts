/**
 * How OMS talks to IMS. OMS never reads IMS tables: it asks through this interface, served
 * in-process by default and over HTTP when IMS_URL is set (later). Keep it small.
 */
import type { CatalogKind, CatalogRef } from '../ims/catalog/resources';
import type { ReserveInput, ReserveResult, Reservation } from '../ims/reservations/service';
import type { TenantSettings } from '../ims/tenants/service';
import type { AppContext } from '../context';

export interface InventoryStats {
  skus: number;
  units_on_hand: number;
  units_reserved: number;
}

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
  stats(tenantId: string): Promise<InventoryStats>;
  /** Frees connections (the HTTP client); nothing to do in-process. */
  close?(): Promise<void>;
}

/** The default: IMS services in this process. */
export class InProcessInventoryClient implements InventoryClient {
  constructor(private readonly ims: AppContext['ims']) {}

  resolve(tenantId: string, kind: 'hub' | 'sku' | 'seller', refs: readonly string[]) {
    return this.ims.lookup.resolve(tenantId, kind, refs);
  }

  tenantSettings(tenantId: string) {
    return this.ims.tenants.settings(tenantId);
  }

  async findTenant(ref: string) {
    const tenant = await this.ims.tenants.find(ref);
    return tenant && { id: tenant.id, code: tenant.code };
  }

  reserve(tenantId: string, input: ReserveInput) {
    return this.ims.reservations.reserve(tenantId, input);
  }

  reserveMany(tenantId: string, inputs: readonly ReserveInput[]) {
    return this.ims.batch.reserveMany(tenantId, inputs);
  }

  async release(tenantId: string, orderId: string) {
    try {
      return await this.ims.reservations.release(tenantId, orderId);
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  commit(tenantId: string, orderId: string) {
    return this.ims.reservations.commit(tenantId, orderId);
  }

  stats(tenantId: string) {
    return this.ims.stock.stats(tenantId);
  }
}

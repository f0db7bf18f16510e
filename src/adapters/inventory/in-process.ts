/** The InventoryClient served by the IMS services of this process (the default). */
import type { CatalogLookup } from '../../ims/catalog/lookup';
import type { BatchReserver } from '../../ims/reservations/batch';
import type { ReservationService, ReserveInput, SettleInput } from '../../ims/reservations/service';
import type { StockService } from '../../ims/stock/service';
import type { TenantService } from '../../ims/tenants/service';
import type { HoldService } from '../../ims/holds/service';
import type { InventoryClient } from '../../ports/inventory-client';
import { AppError } from '../../shared/errors';

/** The IMS services the client calls. */
export interface ImsServices {
  tenants: TenantService;
  lookup: CatalogLookup;
  stock: StockService;
  reservations: BatchReserver;
  settlements: ReservationService;
  holds: HoldService;
}

/** The port answers "none" where the IMS's services throw not found. */
async function orUndefinedIfNotFound<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof AppError && error.code === 'resource.not_found') return undefined;
    throw error;
  }
}

export class InProcessInventoryClient implements InventoryClient {
  constructor(private readonly ims: ImsServices) {}

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
    return this.ims.reservations.reserveMany(tenantId, inputs);
  }

  release(tenantId: string, orderId: string) {
    return orUndefinedIfNotFound(this.ims.settlements.release(tenantId, orderId));
  }

  commit(tenantId: string, orderId: string) {
    return this.ims.settlements.commit(tenantId, orderId);
  }

  settle(tenantId: string, orderId: string, input: SettleInput) {
    return this.ims.settlements.settle(tenantId, orderId, input);
  }

  hold(tenantId: string, id: string) {
    return orUndefinedIfNotFound(this.ims.holds.get(tenantId, id));
  }

  stats(tenantId: string) {
    return this.ims.stock.stats(tenantId);
  }
}

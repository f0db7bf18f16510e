/**
 * A query handle bound to one tenant. Repositories of tenant-owned data receive only this,
 * never the raw database: it prepends the tenant id as `$1` to every statement and refuses a
 * statement that does not use `tenant_id` with `$1`. Forgetting the tenant filter therefore
 * fails loudly on the first run instead of leaking another tenant's rows. (Composite
 * (tenant_id, id) foreign keys in the schema are the second line of defence.)
 */
import type { Queryable, Tx } from './handle';

const USES_TENANT_PARAM = /tenant_id[\s\S]*\$1\b|\$1\b[\s\S]*tenant_id/;

export class TenantScope {
  constructor(
    private readonly handle: Queryable,
    readonly tenantId: string,
  ) {}

  /** `text` refers to the tenant as `$1`; `params` become `$2`, `$3`, … */
  query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
    if (!USES_TENANT_PARAM.test(text)) {
      throw new Error(`Tenant-scoped SQL must filter tenant_id by $1: ${text.slice(0, 120)}`);
    }
    return this.handle.query<R>(text, [this.tenantId, ...params]);
  }
}

/** A tenant scope inside an open transaction, keeping the transaction's onCommit hook. */
export class TenantTx extends TenantScope {
  constructor(
    readonly tx: Tx,
    tenantId: string,
  ) {
    super(tx, tenantId);
  }
  onCommit(callback: () => void): void {
    this.tx.onCommit(callback);
  }
}

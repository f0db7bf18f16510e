/** Customers of a tenant: one per e-mail address (case-insensitive). */
import { pgErrorOf, PG_UNIQUE_VIOLATION, type Db } from '../../db/handle';
import { TenantScope } from '../../db/tenant-scope';
import { decodeCursor, isUuid, toPage } from '../../shared/cursor';
import { conflict, notFound } from '../../shared/errors';

export interface Customer {
  id: string;
  name: string;
  email: string;
  address: string | object | null;
  created_at: Date;
  updated_at: Date;
}

export interface CustomerInput {
  name: string;
  email: string;
  address?: unknown;
}

const COLUMNS = 'id, name, email, address, created_at, updated_at';

export class CustomerService {
  constructor(private readonly db: Db) {}

  async create(tenantId: string, input: CustomerInput): Promise<Customer> {
    try {
      const rows = await new TenantScope(this.db, tenantId).query<Customer>(
        `INSERT INTO oms.customers (tenant_id, name, email, address) VALUES ($1, $2, $3, $4::jsonb) RETURNING ${COLUMNS}`,
        [input.name, input.email, input.address === undefined ? null : JSON.stringify(input.address)],
      );
      return rows[0]!;
    } catch (error) {
      if (pgErrorOf(error)?.code === PG_UNIQUE_VIOLATION) throw conflict('customer.duplicate_email', { email: input.email });
      throw error;
    }
  }

  async list(tenantId: string, query: { email?: string; limit: number; cursor?: string }) {
    const rows = await new TenantScope(this.db, tenantId).query<Customer>(
      `SELECT ${COLUMNS} FROM oms.customers
       WHERE tenant_id = $1 AND ($2::text IS NULL OR lower(email) = lower($2)) AND ($3::uuid IS NULL OR id > $3::uuid)
       ORDER BY id LIMIT $4`,
      [query.email ?? null, decodeCursor(query.cursor) ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, (r) => r.id);
  }

  async get(tenantId: string, id: string): Promise<Customer> {
    const rows = isUuid(id)
      ? await new TenantScope(this.db, tenantId).query<Customer>(`SELECT ${COLUMNS} FROM oms.customers WHERE tenant_id = $1 AND id = $2`, [id])
      : [];
    if (!rows[0]) throw notFound('Customer', id);
    return rows[0];
  }
}

/**
 * `oms seed-demo`: a demo tenant with two hubs, a seller, five SKUs and stock, plus a fresh API
 * key, so the README walk-through can start at once. Running it again reuses what exists and
 * prints a new key.
 */
import type { Config } from '../config/index';
import { createContext, prepareDatabase } from '../context';
import { openDatabase } from '../db/open';
import { createLogger } from '../logger';
import type { CatalogCreate, CatalogKind } from '../ims/catalog/resources';

export async function seedDemo(config: Config): Promise<void> {
  const logger = createLogger({ logLevel: 'warn' });
  const db = await openDatabase(config);
  const ctx = createContext({ config, logger, db });
  try {
    await prepareDatabase(ctx);
    const { tenants, catalog, stock } = ctx.ims;
    const tenant = (await tenants.find('demo')) ?? (await tenants.create({ code: 'demo', name: 'Demo Store' }));

    const ensure = async (kind: CatalogKind, input: CatalogCreate) => {
      const existing = await catalog.list(tenant.id, kind, { codes: [input.code], limit: 1 });
      return existing.data[0] ?? catalog.create(tenant.id, kind, input);
    };
    await ensure('seller', { code: 'ACME', name: 'Acme Goods' });
    await ensure('category', { code: 'APPAREL', name: 'Apparel' });
    await ensure('hub', { code: 'CAI-1', name: 'Cairo warehouse' });
    await ensure('hub', { code: 'DXB-1', name: 'Dubai warehouse' });
    const skus = [
      ['TSHIRT-BLK-M', 'Black T-shirt, M'],
      ['TSHIRT-WHT-M', 'White T-shirt, M'],
      ['HOODIE-GRY-L', 'Grey hoodie, L'],
      ['CAP-NAVY', 'Navy cap'],
      ['SOCKS-3PK', 'Socks, 3-pack'],
    ] as const;
    for (const [code, name] of skus) await ensure('sku', { code, name, seller_id: 'ACME', category_id: 'APPAREL' });
    await stock.put(
      tenant.id,
      skus.flatMap(([code], i) => [
        { hub: 'CAI-1', sku: code, on_hand: 100 - i * 20, reason: 'demo seed' },
        { hub: 'DXB-1', sku: code, on_hand: 50, reason: 'demo seed' },
      ]),
      true,
    );
    const key = await tenants.createApiKey(tenant.id, 'demo');

    process.stdout.write(
      [
        `Demo tenant "${tenant.code}" (${tenant.id}) is ready: hubs CAI-1, DXB-1; SKUs ${skus.map(([c]) => c).join(', ')}.`,
        'Its API key (shown only now):',
        `  export OMS_KEY=${key.key}`,
        '',
      ].join('\n'),
    );
  } finally {
    await db.close();
  }
}

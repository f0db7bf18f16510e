/**
 * The web console in a real headless Chromium (Debian's package, driven by playwright-core), over
 * real HTTP on loopback: sign in, upload a CSV and see it complete, open an order, cancel it, and
 * see its stock back on sale. Screenshots go to .ci-artifacts/console/ (git-ignored). Skips, saying
 * so, only when no Chromium is installed.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, buildTestApp, expectStatus, seedCatalog, type TestApp, type TestTenant } from './helpers/app';
import { startIngest } from '../src/oms/uploads/ingest-role';
import { startFinalizer } from '../src/oms/orders/finalizer-role';
import type { RunningRole } from '../src/shared/running-role';
import { startWebhooks } from '../src/oms/webhooks/webhooks-role';
import { testEngine } from './helpers/db';
import { EVENT_TYPES } from '../src/contracts/events';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`console e2e SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const SHOTS = path.resolve('.ci-artifacts/console', testEngine());

describe.skipIf(!hasChromium)('web console in headless Chromium', () => {
  let t: TestApp;
  let roles: RunningRole[];
  let own: TestTenant;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_SCHEDULE: '0' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    roles = [await startIngest(t.ctx, { visibilityMs: 30_000 }), await startFinalizer(t.ctx), await startWebhooks(t.ctx, { timeoutMs: 2000 })];
    own = await t.tenant();
    await seedCatalog(own, {
      hubs: ['CAI-1'],
      skus: ['TSHIRT-M', 'CAP'],
      stock: [
        ['CAI-1', 'TSHIRT-M', 10],
        ['CAI-1', 'CAP', 5],
      ],
    });
    await mkdir(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const role of roles ?? []) await role.stop();
    await t?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  /** A desktop-sized page that records script errors and failed loads, but for the statuses a test provokes. */
  async function watchedPage(expectedStatuses: RegExp) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !expectedStatuses.test(message.text())) problems.push(message.text());
    });
    return { context, page, problems };
  }

  it('sign in, upload a CSV and watch it complete, open an order, cancel it, and see its stock restored', async () => {
    // The refusals this test provokes: 401 for a bad key, 409 for a stale count.
    const { context, page, problems } = await watchedPage(/status of (401|409)/);

    await page.goto(`${base}/console/`);
    await page.getByLabel('API key').fill('oms_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(own.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await shot(page, '1-overview');

    // Upload the fixture: two valid orders, one row naming an unknown SKU.
    const csv = path.resolve('test/fixtures/console-orders.csv');
    await page.getByRole('navigation').getByRole('link', { name: 'Upload' }).click();
    await page.getByLabel('Drop a CSV file here, or choose one').setInputFiles(csv);
    await expect.poll(() => page.getByTestId('upload-status').textContent(), { timeout: 30_000 }).toBe('completed');
    expect(await page.getByTestId('rows-valid').textContent()).toBe('2');
    expect(await page.getByTestId('rows-invalid').textContent()).toBe('1');
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('100');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the errors CSV' }).click();
    expect((await download).suggestedFilename()).toBe('console-orders-errors.csv');
    await shot(page, '2-upload-completed');

    // The finalizer reserves WEB-1's 3 T-shirts: wait for it, through the API.
    await expect.poll(async () => (await own.as('GET', '/orders?reference=WEB-1')).body.data[0]?.status, { timeout: 20_000 }).toBe('new_order');

    // Orders: filter by reference, open WEB-1, cancel it.
    await page.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
    await page.getByLabel('Reference').fill('WEB-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name: 'WEB-1' }).click();
    await page.getByRole('heading', { name: /Order WEB-1/ }).waitFor();
    expect(await page.locator('.history li').count()).toBe(2); // created on_hold, then new_order
    await shot(page, '3-order');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('Cancelled');
    expect(await page.locator('.history li').count()).toBe(4); // + its delivery cancelled, then cancelled
    expect(await page.getByRole('button', { name: 'Cancel order' }).count()).toBe(0);
    await shot(page, '4-order-cancelled');

    // Inventory: the 3 T-shirts are available again.
    await page.getByRole('navigation').getByRole('link', { name: 'Inventory' }).click();
    const row = page.locator('tr[data-sku="TSHIRT-M"]');
    await expect.poll(() => row.getByTestId('available').textContent()).toBe('10');
    expect(await row.getByTestId('reserved').textContent()).toBe('0');
    await row.getByRole('button', { name: 'Ledger' }).click();
    await page.getByRole('heading', { name: 'Ledger of TSHIRT-M at CAI-1' }).waitFor();
    expect(await page.locator('section[aria-labelledby="ledger-title"] tbody tr').count()).toBe(3); // count, reserve, release
    await shot(page, '5-inventory');

    // A count with the compare-and-swap guard: someone else changes it first, ours is refused.
    await own.as('PUT', '/inventory', { body: { hub: 'CAI-1', sku: 'CAP', delta: 1 } });
    const cap = page.locator('tr[data-sku="CAP"]');
    await cap.getByLabel('New on-hand count for CAP').fill('20');
    await cap.getByRole('button', { name: 'Set' }).click();
    await expect.poll(() => cap.getByRole('alert').textContent()).toContain('Reload to see the current count');
    // The overview's chart now counts them: one new order, one cancelled.
    await page.getByRole('navigation').getByRole('link', { name: 'Overview' }).click();
    const chart = page.getByRole('img', { name: /^Orders by status/ });
    await expect
      .poll(() => chart.getAttribute('aria-label'))
      .toBe('Orders by status: On hold 0, New 1, Partly shipped 0, Shipped 0, Delivered 0, Partly returned 0, Returned 0, Cancelled 1');
    await shot(page, '7-overview-with-orders');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('an order across two hubs: ship part of one delivery, the rest, deliver, and take a unit back', async () => {
    const shop = await t.tenant();
    await seedCatalog(shop, {
      hubs: ['CAI-1', 'ALX-1'],
      skus: ['TSHIRT-M', 'CAP'],
      stock: [
        ['CAI-1', 'TSHIRT-M', 10],
        ['ALX-1', 'CAP', 5],
      ],
    });
    const created = await shop.as('POST', '/orders', {
      body: {
        reference: 'SPLIT-1',
        customer: { name: 'Mona', email: 'mona@example.com' },
        items: [
          { sku: 'TSHIRT-M', quantity: 2 },
          { sku: 'CAP', quantity: 1 },
        ],
      },
    });
    await expect.poll(async () => (await shop.as('GET', `/orders/${created.body.id}`)).body.status, { timeout: 20_000 }).toBe('new_order');
    const { context, page, problems } = await watchedPage(/^$/);
    await context.addInitScript(`sessionStorage.setItem('oms.apiKey', ${JSON.stringify(shop.key)})`);
    await page.goto(`${base}/console/#/orders/${created.body.id}`);
    await page.getByRole('heading', { name: /Order SPLIT-1/ }).waitFor();
    const rows = page.locator('tr[data-delivery]');
    await expect.poll(() => rows.count()).toBe(2);
    const cairo = rows.filter({ hasText: 'CAI-1' });
    await cairo.getByRole('button', { name: 'Ship part…' }).click();
    await page.locator('input[name="ship-TSHIRT-M"]').fill('1');
    await page.getByRole('button', { name: 'Ship these' }).click();
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('Partly shipped');
    await expect.poll(() => rows.count()).toBe(3);
    await shot(page, '8-order-partly-shipped');
    const pending = page.locator('tr[data-delivery]', { hasText: 'Pending' });
    for (let left = await pending.count(); left > 0; left--) {
      await pending.first().getByRole('button', { name: 'Ship', exact: true }).click();
      await expect.poll(() => pending.count()).toBe(left - 1);
    }
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('Shipped');
    const deliver = page.locator('tr[data-delivery]').getByRole('button', { name: 'Mark delivered' });
    for (let left = await deliver.count(); left > 0; left--) {
      await deliver.first().click();
      await expect.poll(() => deliver.count()).toBe(left - 1);
    }
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('Delivered');
    await page.locator('input[name="return-TSHIRT-M"]').fill('1');
    await page.getByRole('button', { name: 'Record return' }).click();
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('Partly returned');
    await shot(page, '9-order-returned');
    expect((await shop.as('GET', '/inventory?hub=CAI-1&skus=TSHIRT-M')).body.data[0]).toMatchObject({ on_hand: 9, reserved: 0 });
    expect((await shop.as('GET', '/inventory?hub=ALX-1&skus=CAP')).body.data[0]).toMatchObject({ on_hand: 4, reserved: 0 });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is usable at 360 px wide: no sideways scrolling, navigation reachable by keyboard', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    await context.addInitScript(`sessionStorage.setItem('oms.apiKey', ${JSON.stringify(own.key)})`);
    const page = await context.newPage();
    await page.goto(`${base}/console/#/orders`);
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    // Every cell of the orders table is on screen: rows become labelled cards, not a table cut off at the edge.
    await page.locator('table.stack tbody tr').first().waitFor();
    const cellEdges = await page
      .locator('table.stack tbody tr')
      .first()
      .locator('td')
      .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().right));
    expect(cellEdges.length).toBe(6);
    for (const right of cellEdges) expect(right).toBeLessThanOrEqual(360);
    await page.keyboard.press('Tab'); // the skip link first
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Overview');
    await shot(page, '6-orders-360px');
    await context.close();
  });

  it('webhooks: an endpoint, its failed dispatch with the attempt, and a manual retry that succeeds', async () => {
    let answer = 500;
    const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(answer).end()));
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const endpoint = (await expectStatus(own.as('POST', '/webhooks', { body: { url: hook, events: ['order.created'] } }), 201)).body;
      await expectStatus(
        own.as('POST', '/orders', {
          body: {
            reference: 'HOOK-1',
            customer: { name: 'Hook', email: 'hook@example.com' },
            hub: 'CAI-1',
            items: [{ sku: 'CAP', quantity: 1, unit_price: '8.00' }],
          },
        }),
        201,
      );
      // One attempt in the schedule: the 500 fails the dispatch.
      await expect.poll(async () => (await own.as('GET', `/webhooks/${endpoint.id}/dispatches?status=failed`)).body.data.length, { timeout: 20_000 }).toBe(1);

      const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
      await context.addInitScript(`sessionStorage.setItem('oms.apiKey', ${JSON.stringify(own.key)})`);
      const page = await context.newPage();
      await page.goto(`${base}/console/#/webhooks`);
      await page.getByRole('button', { name: new RegExp(hook) }).click();
      await page.getByRole('button', { name: 'order.created', exact: true }).click();
      await page.getByRole('heading', { name: /order\.created, failed/ }).waitFor();
      expect(await page.locator('.attempts li').first().textContent()).toContain('500');
      await shot(page, '8-webhook-failed');
      answer = 204;
      await page.getByRole('button', { name: 'Retry now' }).click();
      await expect.poll(() => page.locator('#dispatch-title').textContent(), { timeout: 20_000 }).toMatch(/order\.created, succeeded/);
      expect(await page.locator('.attempts li').count()).toBe(2);
      await expect.poll(() => page.locator('tbody tr').first().textContent()).toContain('succeeded'); // the list follows
      await shot(page, '9-webhook-retried');
      await context.close();
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  it('explains itself: admin tenant picker, currency, hourly values, names, references, waiting orders, upload columns, counts below reserved', async () => {
    const shop = await t.tenant();
    await seedCatalog(shop, { hubs: ['GIZ-1'], skus: ['MUG'], stock: [['GIZ-1', 'MUG', 2]] });
    await expectStatus(shop.as('PATCH', '/skus/MUG', { body: { name: 'Blue mug' } }), 200);
    const reserved = (
      await expectStatus(
        shop.as('POST', '/orders', {
          body: {
            reference: 'OK-1',
            customer: { name: 'Lina', email: 'lina@example.com' },
            hub: 'GIZ-1',
            items: [{ sku: 'MUG', quantity: 1, unit_price: '4.00' }],
          },
        }),
        201,
      )
    ).body;
    await expect.poll(async () => (await shop.as('GET', `/orders/${reserved.id}`)).body.status, { timeout: 20_000 }).toBe('new_order');
    const waiting = (
      await expectStatus(
        shop.as('POST', '/orders', {
          body: {
            reference: 'WAIT-1',
            customer: { name: 'omar@example.com', email: 'omar@example.com' },
            hub: 'GIZ-1',
            items: [{ sku: 'MUG', quantity: 5, unit_price: '4.00' }],
          },
        }),
        201,
      )
    ).body;
    await expect.poll(async () => (await shop.as('GET', `/orders/${waiting.id}`)).body.status_reason, { timeout: 20_000 }).toBe('insufficient_stock');

    // The refusals this test provokes: 400 for the admin key without a tenant, 409 for a count below reserved.
    const { context, page, problems } = await watchedPage(/status of (400|409)/);

    // The admin key: no jargon, a choice of tenant, then the console acts for it.
    await page.goto(`${base}/console/`);
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This is the admin key. It acts for one tenant at a time: choose which.').waitFor();
    expect(await page.content()).not.toContain('X-Tenant-Id');
    await page.getByLabel('Tenant').selectOption({ label: `${shop.code} — Tenant ${shop.code}` });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.locator('.acting').textContent()).toBe(`Admin, acting for ${shop.code}`);
    // The hourly chart says whose time it is in, and shows this hour's value.
    const hourly = page.getByRole('figure').filter({ hasText: 'Orders created per hour' });
    expect(await hourly.locator('figcaption').textContent()).toMatch(/last 24 hours \(.+ time\)$/);
    const values = await hourly.locator('text.value').allTextContents(); // ['2'], or ['1', '1'] across an hour's end
    expect(values.map(Number).reduce((a, b) => a + b, 0)).toBe(2);
    await shot(page, '10-admin-overview');

    // Orders: the waiting one stands out, amounts carry their currency.
    await page.getByRole('navigation').getByRole('link', { name: 'Orders' }).click();
    const waitingRow = page.locator('tr.waiting');
    await waitingRow.waitFor();
    expect(await waitingRow.getByRole('link').textContent()).toBe('WAIT-1');
    expect(await waitingRow.locator('.badge').textContent()).toBe('Waiting for stock');
    expect(await waitingRow.locator('td.num').textContent()).toBe('20.00 USD');
    await waitingRow.getByRole('link', { name: 'WAIT-1' }).click();
    await page.getByRole('heading', { name: /Order WAIT-1/ }).waitFor();
    const notice = page.getByRole('status');
    expect(await notice.textContent()).toContain('moves to New by itself');
    expect(await notice.locator('tr[data-sku="MUG"] td').allTextContents()).toEqual(['MUG', 'GIZ-1', '5', '1']);
    expect(await page.locator('.details dd').nth(2).textContent()).toBe('omar@example.com'); // no "omar@… <omar@…>"
    expect(await page.locator('.details dd').nth(4).textContent()).toBe('20.00 USD');
    expect(await page.locator('.history li').last().textContent()).toContain('waiting for stock: MUG at GIZ-1 needs 5, 1 available');
    await shot(page, '11-order-waiting');

    // Inventory: names, what the count column does, and a count below what is reserved explained.
    await page.getByRole('navigation').getByRole('link', { name: 'Inventory' }).click();
    const mug = page.locator('tr[data-sku="MUG"]');
    await expect.poll(() => mug.getByTestId('name').textContent()).toBe('Blue mug');
    expect(await page.getByRole('columnheader', { name: 'Record a count' }).count()).toBe(1);
    await mug.getByLabel('New on-hand count for MUG').fill('0');
    await mug.getByRole('button', { name: 'Set' }).click();
    await expect
      .poll(() => mug.getByRole('alert').textContent())
      .toBe('1 units of MUG are reserved for orders not yet shipped, so the count cannot be below 1. Count again, or ship or cancel those orders first.');
    // The ledger names orders by their reference, linked.
    await mug.getByRole('button', { name: 'Ledger' }).click();
    await page.getByRole('heading', { name: 'Ledger of MUG at GIZ-1' }).waitFor();
    await page.getByRole('link', { name: 'OK-1' }).waitFor();
    expect(await page.locator('section[aria-labelledby="ledger-title"]').textContent()).not.toContain(reserved.id);
    await shot(page, '12-inventory-names-ledger');

    // Holds: a cart holds 2 mugs; the inventory shows them held, lists the hold, and releases it.
    const cart = await shop.as('POST', '/holds', { body: { reference: 'cart-42', items: [{ sku: 'MUG', quantity: 1 }], expires_in_seconds: 900 } });
    expect(cart.status).toBe(201);
    await page.getByRole('navigation').getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('navigation').getByRole('link', { name: 'Inventory' }).click();
    await expect.poll(() => mug.getByTestId('held').textContent()).toBe('1');
    const hold = page.locator(`tr[data-hold="${cart.body.id}"]`);
    expect(await hold.locator('td').first().textContent()).toBe('1 × MUG at GIZ-1');
    await shot(page, '12b-inventory-holds');
    page.once('dialog', (dialog) => void dialog.accept());
    await hold.getByRole('button', { name: 'Release hold cart-42' }).click();
    await expect.poll(() => mug.getByTestId('held').textContent()).toBe('0');
    expect((await shop.as('GET', `/holds/${cart.body.id}`)).body.status).toBe('released');

    // Upload: the columns are listed and a sample file is offered.
    await page.getByRole('navigation').getByRole('link', { name: 'Upload' }).click();
    await page.getByText('Columns').click();
    expect(await page.locator('details.columns tbody th').allTextContents()).toEqual(expect.arrayContaining(['sku', 'hub_id', 'quantity', 'order_id']));
    const sample = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download a sample file' }).click();
    expect((await sample).suggestedFilename()).toBe('sample-orders.csv');
    await shot(page, '13-upload-columns');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('webhooks: add an endpoint (its secret shown once), edit it, disable and enable it, rotate its secret, delete it', async () => {
    const shop = await t.tenant();
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    await context.addInitScript(`sessionStorage.setItem('oms.apiKey', ${JSON.stringify(shop.key)})`);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${base}/console/#/webhooks`);
    await page.getByRole('button', { name: 'Add an endpoint' }).click();
    await page.getByLabel('URL').fill('http://127.0.0.1:9/hooks');
    // Every event type the service has is offered (the list comes from the service, not a copy), the order events ticked.
    const offered = await page.locator('fieldset label.check').allTextContents();
    expect(offered.map((label) => label.trim())).toEqual([...EVENT_TYPES]);
    await shot(page, '14-webhook-form');
    await page.getByLabel('order.deleted').uncheck();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect.poll(() => page.getByTestId('secret').textContent()).toMatch(/^whsec_/);
    const [endpoint] = (await shop.as('GET', '/webhooks')).body.data;
    expect(endpoint).toMatchObject({ url: 'http://127.0.0.1:9/hooks', events: ['order.created', 'order.updated'], active: true });
    await shot(page, '14-webhook-added');

    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Description (optional)').fill('ERP');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await shop.as('GET', `/webhooks/${endpoint.id}`)).body.description).toBe('ERP');
    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(async () => (await shop.as('GET', `/webhooks/${endpoint.id}`)).body.active).toBe(false);
    await page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(async () => (await shop.as('GET', `/webhooks/${endpoint.id}`)).body.active).toBe(true);
    const first = await page.getByTestId('secret').textContent();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await expect.poll(async () => (await page.getByTestId('secret').allTextContents()).some((text) => text !== first && text.startsWith('whsec_'))).toBe(true);
    await page.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(async () => (await shop.as('GET', '/webhooks')).body.data.length).toBe(0);
    await page.getByText('No endpoints yet.').waitFor();
    await shot(page, '15-webhook-deleted');
    await context.close();
  });
});

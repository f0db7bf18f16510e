// Orders: the list with the API's filters and cursor paging, and one order with its history and actions.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { Deliveries, ReturnForm } from '/console/deliveries.js';
import {
  ACTION_LABELS,
  ACTIONS,
  api,
  customerLabel,
  ErrorNote,
  html,
  isWaiting,
  money,
  ORDER_STATUSES,
  Pager,
  STATUS_LABELS,
  Status,
  usePager,
  when,
} from '/console/lib.js';

const EMPTY = { status: '', hub: '', seller: '', customer_id: '', reference: '', from: '', to: '' };

export function Orders() {
  const [filters, setFilters] = useState(EMPTY);
  const [applied, setApplied] = useState(EMPTY);
  const pager = usePager();
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const { cursor } = pager;

  useEffect(() => {
    const query = new URLSearchParams({ limit: '20' });
    for (const [name, value] of Object.entries(applied)) {
      if (!value) continue;
      query.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value);
    }
    if (cursor) query.set('cursor', cursor);
    setError(null);
    api('GET', `/orders?${query}`).then((answer) => {
      setPage(answer);
      pager.setNext(answer.next_cursor);
    }, setError);
  }, [applied, cursor]);

  const field = (name) => (e) => setFilters({ ...filters, [name]: e.target.value });
  const apply = (e) => {
    e.preventDefault();
    setApplied(filters);
    pager.reset();
  };
  return html`<section>
    <h1>Orders</h1>
    <form class="filters" onSubmit=${apply} aria-label="Filter orders">
      <label>Status <select value=${filters.status} onChange=${field('status')}>
        <option value="">Any</option>
        ${ORDER_STATUSES.map((value) => html`<option value=${value}>${STATUS_LABELS[value] ?? value}</option>`)}
      </select></label>
      <label>Hub <input value=${filters.hub} onInput=${field('hub')} placeholder="code" /></label>
      <label>Seller <input value=${filters.seller} onInput=${field('seller')} placeholder="code" /></label>
      <label>Customer id <input value=${filters.customer_id} onInput=${field('customer_id')} /></label>
      <label>Reference <input value=${filters.reference} onInput=${field('reference')} /></label>
      <label>From <input type="datetime-local" value=${filters.from} onInput=${field('from')} /></label>
      <label>To <input type="datetime-local" value=${filters.to} onInput=${field('to')} /></label>
      <button type="submit">Apply</button>
    </form>
    <${ErrorNote} error=${error} />
    ${
      page
        ? html`<div class="table-wrap"><table class="stack">
      <caption class="visually-hidden">Orders, newest first</caption>
      <thead><tr><th scope="col">Reference</th><th scope="col">Status</th><th scope="col">Hub</th><th scope="col">Customer</th><th scope="col" class="num">Total</th><th scope="col">Created</th></tr></thead>
      <tbody>${
        page.data.length === 0
          ? html`<tr><td colspan="6">No orders match.</td></tr>`
          : page.data.map(
              (o) => html`<tr class=${isWaiting(o) ? 'waiting' : ''}>
        <td data-label="Reference"><a href=${`#/orders/${o.id}`}>${o.reference || o.id.slice(0, 8)}</a></td>
        <td data-label="Status"><${Status} status=${o.status} order=${o} /></td>
        <td data-label="Hub">${o.hub}</td>
        <td data-label="Customer">${o.customer ? o.customer.name || o.customer.email : '—'}</td>
        <td data-label="Total" class="num">${money(o.total_amount, o.currency)}</td>
        <td data-label="Created">${when(o.created_at)}</td>
      </tr>`,
            )
      }</tbody>
    </table></div>
    <${Pager} pager=${pager} />`
        : html`<p aria-busy="true">Loading…</p>`
    }
  </section>`;
}

/** Why an order waits, line by line, and what happens next. */
function Waiting({ order }) {
  return html`<div class="notice" role="status">
    <p><strong>Waiting for stock.</strong> Not every line could be reserved. The order moves to New by itself,
      oldest orders first, as soon as stock for these lines arrives${order.hub ? ` at ${order.hub}` : ''}; nothing needs doing here.</p>
    <div class="table-wrap"><table>
      <caption class="visually-hidden">Lines short of stock</caption>
      <thead><tr><th scope="col">SKU</th><th scope="col">Hub</th><th scope="col" class="num">Asked</th><th scope="col" class="num">Available</th></tr></thead>
      <tbody>${(order.shortages ?? []).map((s) => html`<tr data-sku=${s.sku}><td>${s.sku}</td><td>${s.hub ?? 'any hub'}</td><td class="num">${s.requested}</td><td class="num">${s.available}</td></tr>`)}</tbody>
    </table></div>
  </div>`;
}

export function OrderDetail({ id }) {
  const [order, setOrder] = useState(null);
  const [history, setHistory] = useState([]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    Promise.all([api('GET', `/orders/${id}`), api('GET', `/orders/${id}/history`)]).then(([o, h]) => {
      setOrder(o);
      setHistory(h.data);
    }, setError);
  useEffect(() => {
    void load();
  }, [id]);

  const act = async (to) => {
    if (to === 'cancelled' && !confirm('Cancel this order? Its reserved stock goes back on sale.')) return;
    setBusy(true);
    setError(null);
    try {
      if (to === 'cancelled') await api('POST', `/orders/${id}/cancel`, { reason: 'cancelled in the console' });
      else await api('PUT', `/orders/${id}/status`, { status: to });
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!order) return error ? html`<${ErrorNote} error=${error} />` : html`<p aria-busy="true">Loading…</p>`;
  return html`<section>
    <p><a href="#/orders">← Orders</a></p>
    <h1>Order ${order.reference || order.id} <${Status} status=${order.status} order=${order} /></h1>
    ${isWaiting(order) ? html`<${Waiting} order=${order} />` : null}
    <dl class="details">
      <dt>Id</dt><dd><code>${order.id}</code></dd>
      <dt>Hub</dt><dd>${order.hub ?? 'per line, or chosen when reserved'}</dd>
      <dt>Customer</dt><dd>${customerLabel(order.customer)}</dd>
      <dt>Ship to</dt><dd>${typeof order.shipping_address === 'object' ? JSON.stringify(order.shipping_address) : (order.shipping_address ?? '—')}</dd>
      <dt>Total</dt><dd>${money(order.total_amount, order.currency)}</dd>
      ${order.status_reason && !isWaiting(order) ? html`<dt>Reason</dt><dd>${order.status_reason}</dd>` : null}
      <dt>Created</dt><dd>${when(order.created_at)}</dd>
    </dl>
    <div class="actions">
      ${ACTIONS[order.status].map((to) => html`<button type="button" class=${to === 'cancelled' ? 'danger' : ''} disabled=${busy} onClick=${() => act(to)}>${ACTION_LABELS[to]}</button>`)}
      ${ACTIONS[order.status].length === 0 ? html`<p class="hint">No further steps for a ${STATUS_LABELS[order.status].toLowerCase()} order.</p>` : null}
    </div>
    <${ErrorNote} error=${error} />
    <h2>Items</h2>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">SKU</th><th scope="col">Name</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Unit price</th><th scope="col">Hub</th></tr></thead>
      <tbody>${order.items.map((i) => html`<tr><td>${i.sku}</td><td>${i.name ?? ''}</td><td class="num">${i.quantity}</td><td class="num">${money(i.unit_price, order.currency)}</td><td>${i.hub ?? ''}</td></tr>`)}</tbody>
    </table></div>
    <${Deliveries} order=${order} reload=${load} />
    <${ReturnForm} order=${order} reload=${load} />
    <h2>History</h2>
    <ol class="history">${history.map(
      (h) => html`<li>
      <time datetime=${h.occurred_at}>${when(h.occurred_at)}</time>
      ${
        h.type === 'order.created'
          ? html` created as <${Status} status=${h.status} />`
          : h.delivery
            ? ` delivery from ${h.delivery.hub} ${h.type.split('.')[1]}: ${h.delivery.items.map((i) => `${i.sku} × ${i.quantity}`).join(', ')}`
            : h.return
              ? ` return received: ${h.return.items.map((i) => `${i.sku} × ${i.quantity} (${i.disposition})`).join(', ')}`
              : h.type === 'order.deleted'
                ? ' deleted'
                : h.status === 'on_hold' && h.status_reason === 'insufficient_stock'
                  ? html` waiting for stock: ${(h.shortages ?? []).map((s) => `${s.sku} at ${s.hub} needs ${s.requested}, ${s.available} available`).join('; ')}`
                  : html` <${Status} status=${h.previous_status} /> → <${Status} status=${h.status} />${h.status_reason ? ` (${h.status_reason})` : ''}${
                      h.allocation
                        ? ` — ships ${h.allocation.map((a) => `${a.sku} × ${a.quantity} from ${a.hub} (${a.reason.replace('_', ' ')})`).join(', ')}`
                        : ''
                    }`
      }
    </li>`,
    )}</ol>
  </section>`;
}

// An order's deliveries (ship whole or in part, deliver) and returns (the return form), on the order page.
import { useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, html, when } from '/console/lib.js';

const DELIVERY_LABELS = { pending: 'Pending', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' };
const units = (items) => items.map((i) => `${i.sku} × ${i.quantity}`).join(', ');

/** Runs one request at a time, then reloads the order; shows what failed. */
function useAction(reload) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (request) => {
    setBusy(true);
    setError(null);
    try {
      await request();
      await reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** Ship only some units of a pending delivery: one quantity field per line. */
function PartialShip({ orderId, delivery, action, onDone }) {
  const [counts, setCounts] = useState(Object.fromEntries(delivery.items.map((i) => [i.sku, 0])));
  const [tracking, setTracking] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const items = Object.entries(counts)
      .filter(([, n]) => Number(n) > 0)
      .map(([sku, n]) => ({ sku, quantity: Number(n) }));
    void action.run(async () => {
      await api('POST', `/orders/${orderId}/deliveries/${delivery.id}/ship`, { items, ...(tracking ? { tracking_number: tracking } : {}) });
      onDone();
    });
  };
  return html`<form class="inline-form" onSubmit=${submit} aria-label=${`Ship part of the delivery from ${delivery.hub}`}>
    ${delivery.items.map(
      (i) => html`<label>${i.sku} <input type="number" min="0" max=${i.quantity} value=${counts[i.sku]} name=${`ship-${i.sku}`}
        onInput=${(e) => setCounts({ ...counts, [i.sku]: e.currentTarget.value })} /> of ${i.quantity}</label>`,
    )}
    <label>Tracking <input name="tracking" value=${tracking} onInput=${(e) => setTracking(e.currentTarget.value)} /></label>
    <button type="submit" disabled=${action.busy}>Ship these</button>
  </form>`;
}

export function Deliveries({ order, reload }) {
  const action = useAction(reload);
  const [partial, setPartial] = useState(null);
  const post = (delivery, verb) => action.run(() => api('POST', `/orders/${order.id}/deliveries/${delivery.id}/${verb}`, {}));
  if (!order.deliveries || order.deliveries.length === 0) return null;
  return html`<h2>Deliveries</h2>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">Hub</th><th scope="col">Status</th><th scope="col">Items</th><th scope="col">Tracking</th><th scope="col">Shipped</th><th scope="col">Delivered</th><th scope="col">Actions</th></tr></thead>
      <tbody>${order.deliveries.map(
        (d) => html`<tr data-delivery=${d.id}>
          <td>${d.hub}</td><td>${DELIVERY_LABELS[d.status]}</td><td>${units(d.items)}</td><td>${d.tracking_number ?? ''}</td>
          <td>${when(d.shipped_at)}</td><td>${when(d.delivered_at)}</td>
          <td>
            ${
              d.status === 'pending'
                ? html`<button type="button" disabled=${action.busy} onClick=${() => post(d, 'ship')}>Ship</button>
              <button type="button" disabled=${action.busy} onClick=${() => setPartial(partial === d.id ? null : d.id)}>Ship part…</button>`
                : null
            }
            ${d.status === 'shipped' ? html`<button type="button" disabled=${action.busy} onClick=${() => post(d, 'deliver')}>Mark delivered</button>` : null}
          </td>
        </tr>
        ${partial === d.id ? html`<tr><td colspan="7"><${PartialShip} orderId=${order.id} delivery=${d} action=${action} onDone=${() => setPartial(null)} /></td></tr>` : null}`,
      )}</tbody>
    </table></div>
    <${ErrorNote} error=${action.error} />`;
}

/** Take delivered units back: a quantity and a disposition per SKU delivered. */
export function ReturnForm({ order, reload }) {
  const action = useAction(reload);
  const delivered = [...new Set((order.deliveries ?? []).filter((d) => d.status === 'delivered').flatMap((d) => d.items.map((i) => i.sku)))];
  const [lines, setLines] = useState({});
  const [reason, setReason] = useState('');
  if (delivered.length === 0) return null;
  const line = (sku) => lines[sku] ?? { quantity: 0, disposition: 'restock' };
  const submit = (event) => {
    event.preventDefault();
    const items = delivered
      .filter((sku) => Number(line(sku).quantity) > 0)
      .map((sku) => ({ sku, quantity: Number(line(sku).quantity), disposition: line(sku).disposition }));
    void action.run(async () => {
      await api('POST', `/orders/${order.id}/returns`, { items, ...(reason ? { reason } : {}) });
      setLines({});
      setReason('');
    });
  };
  return html`<h2>Return</h2>
    <form class="inline-form" onSubmit=${submit} aria-label="Return delivered units">
      ${delivered.map(
        (sku) => html`<fieldset><legend>${sku}</legend>
          <label>Units <input type="number" min="0" name=${`return-${sku}`} value=${line(sku).quantity} onInput=${(e) => setLines({ ...lines, [sku]: { ...line(sku), quantity: e.currentTarget.value } })} /></label>
          <label>Condition <select name=${`disposition-${sku}`} value=${line(sku).disposition} onChange=${(e) => setLines({ ...lines, [sku]: { ...line(sku), disposition: e.currentTarget.value } })}>
            <option value="restock">Back to stock</option><option value="damaged">Damaged</option>
          </select></label>
        </fieldset>`,
      )}
      <label>Reason <input name="reason" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} /></label>
      <button type="submit" disabled=${action.busy}>Record return</button>
    </form>
    <${ErrorNote} error=${action.error} />`;
}

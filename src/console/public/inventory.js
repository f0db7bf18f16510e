// Inventory: stock per hub and SKU, adjusting a count with the compare-and-swap guard, one SKU's ledger.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, html, num, Pager, usePager, when } from '/console/lib.js';

function Adjust({ level, onDone }) {
  const [value, setValue] = useState(String(level.on_hand));
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      // expected_on_hand: refused (409) if someone changed the count since this page read it.
      await api('PUT', '/inventory', { hub: level.hub, sku: level.sku, on_hand: Number(value), expected_on_hand: level.on_hand, reason: 'count in the console' });
      onDone();
    } catch (err) {
      setError(err.status === 409 ? new Error(`${err.message} Reload to see the current count.`) : err);
    }
  };
  return html`<form class="inline" onSubmit=${submit}>
    <label class="visually-hidden" for=${`on-hand-${level.sku}`}>New on-hand count for ${level.sku}</label>
    <input id=${`on-hand-${level.sku}`} type="number" min="0" step="1" required value=${value} onInput=${(e) => setValue(e.target.value)} />
    <button type="submit">Set</button>
    <${ErrorNote} error=${error} />
  </form>`;
}

function Ledger({ hub, sku }) {
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { api('GET', `/inventory/transactions?${new URLSearchParams({ hub, sku, limit: '50' })}`).then(setPage, setError); }, [hub, sku]);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!page) return html`<p aria-busy="true">Loading…</p>`;
  return html`<section aria-labelledby="ledger-title">
    <h2 id="ledger-title">Ledger of ${sku} at ${hub}</h2>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">When</th><th scope="col">Reason</th><th scope="col">Order</th><th scope="col" class="num">Δ on hand</th><th scope="col" class="num">Δ reserved</th><th scope="col" class="num">On hand after</th><th scope="col" class="num">Reserved after</th></tr></thead>
      <tbody>${page.data.map((t) => html`<tr><td>${when(t.created_at)}</td><td>${t.reason}</td><td>${t.order_id ?? ''}</td><td class="num">${t.delta_on_hand}</td><td class="num">${t.delta_reserved}</td><td class="num">${t.on_hand_after}</td><td class="num">${t.reserved_after}</td></tr>`)}</tbody>
    </table></div>
  </section>`;
}

export function Inventory() {
  const [hubs, setHubs] = useState([]);
  const [hub, setHub] = useState('');
  const [levels, setLevels] = useState(null);
  const [ledger, setLedger] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  const pager = usePager();
  const { cursor } = pager;

  useEffect(() => {
    api('GET', '/hubs?limit=100').then((page) => {
      setHubs(page.data);
      if (page.data[0]) setHub(page.data[0].code);
    }, setError);
  }, []);
  useEffect(() => {
    if (!hub) return;
    setError(null);
    const query = new URLSearchParams({ hub, limit: '100' });
    if (cursor) query.set('cursor', cursor);
    api('GET', `/inventory?${query}`).then((page) => { setLevels(page.data); pager.setNext(page.next_cursor); }, setError);
  }, [hub, version, cursor]);

  return html`<section>
    <h1>Inventory</h1>
    <label for="hub-select">Hub</label>
    <select id="hub-select" value=${hub} onChange=${(e) => { setHub(e.target.value); setLedger(null); pager.reset(); }}>
      ${hubs.map((h) => html`<option value=${h.code}>${h.code} — ${h.name}</option>`)}
    </select>
    <${ErrorNote} error=${error} />
    ${levels ? html`<div class="table-wrap"><table>
      <caption class="visually-hidden">Stock at ${hub}</caption>
      <thead><tr><th scope="col">SKU</th><th scope="col" class="num">On hand</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Available</th><th scope="col">Count</th><th scope="col">Ledger</th></tr></thead>
      <tbody>${levels.map((l) => html`<tr data-sku=${l.sku}>
        <th scope="row">${l.sku}</th>
        <td class="num" data-testid="on-hand">${num(l.on_hand)}</td>
        <td class="num" data-testid="reserved">${num(l.reserved)}</td>
        <td class="num" data-testid="available">${num(l.available)}</td>
        <td><${Adjust} key=${`${l.sku}:${l.on_hand}`} level=${l} onDone=${() => setVersion((v) => v + 1)} /></td>
        <td><button type="button" class="link" onClick=${() => setLedger(l.sku)}>Ledger</button></td>
      </tr>`)}</tbody>
    </table></div>
    <${Pager} pager=${pager} />` : null}
    ${ledger ? html`<${Ledger} hub=${hub} sku=${ledger} />` : null}
  </section>`;
}

// Inventory: stock per hub and SKU, adjusting a count with the compare-and-swap guard, one SKU's ledger, the active holds.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, html, num, Pager, usePager, UUID, when } from '/console/lib.js';

function Adjust({ level, onDone }) {
  const [value, setValue] = useState(String(level.on_hand));
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      // expected_on_hand: refused (409) if someone changed the count since this page read it.
      await api('PUT', '/inventory', {
        hub: level.hub,
        sku: level.sku,
        on_hand: Number(value),
        expected_on_hand: level.on_hand,
        reason: 'count in the console',
      });
      onDone();
    } catch (err) {
      if (err.problem?.code === 'inventory.below_reserved') {
        setError(
          new Error(
            level.held === 0
              ? `${level.reserved} units of ${level.sku} are reserved for orders not yet shipped, so the count cannot be below ${level.reserved}. ` +
                  'Count again, or ship or cancel those orders first.'
              : `${level.reserved + level.held} units of ${level.sku} are promised (${level.reserved} reserved for orders not yet shipped, ${level.held} held for carts), ` +
                  `so the count cannot be below ${level.reserved + level.held}. Count again, or ship or cancel those orders or release those holds first.`,
          ),
        );
      } else {
        setError(err.status === 409 ? new Error('Someone changed this count since the page loaded. Reload to see the current count.') : err);
      }
    }
  };
  return html`<form class="inline" onSubmit=${submit}>
    <label class="visually-hidden" for=${`on-hand-${level.sku}`}>New on-hand count for ${level.sku}</label>
    <input id=${`on-hand-${level.sku}`} type="number" min="0" step="1" required value=${value} onInput=${(e) => setValue(e.target.value)} />
    <button type="submit" aria-label=${`Set the on-hand count of ${level.sku}`}>Set</button>
    <${ErrorNote} error=${error} />
  </form>`;
}

/** The orders a ledger page names, by id, for their references (ids of API reservations are the caller's own). */
async function referencesOf(transactions) {
  const ids = [...new Set(transactions.map((t) => t.order_id).filter((id) => id && UUID.test(id)))];
  if (ids.length === 0) return new Map();
  const page = await api('GET', `/orders?${new URLSearchParams({ ids: ids.join(','), limit: '100' })}`);
  return new Map(page.data.map((o) => [o.id, o.reference]));
}

function Ledger({ hub, sku }) {
  const [page, setPage] = useState(null);
  const [references, setReferences] = useState(new Map());
  const [error, setError] = useState(null);
  useEffect(() => {
    api('GET', `/inventory/transactions?${new URLSearchParams({ hub, sku, limit: '50' })}`)
      .then(async (answer) => {
        setReferences(await referencesOf(answer.data));
        setPage(answer);
      })
      .catch(setError);
  }, [hub, sku]);
  const order = (id) => (!id ? '' : references.has(id) ? html`<a href=${`#/orders/${id}`}>${references.get(id)}</a>` : id);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!page) return html`<p aria-busy="true">Loading…</p>`;
  return html`<section aria-labelledby="ledger-title">
    <h2 id="ledger-title">Ledger of ${sku} at ${hub}</h2>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">When</th><th scope="col">Reason</th><th scope="col">Order</th><th scope="col" class="num">Δ on hand</th><th scope="col" class="num">Δ reserved</th><th scope="col" class="num">Δ held</th><th scope="col" class="num">On hand after</th><th scope="col" class="num">Reserved after</th><th scope="col" class="num">Held after</th></tr></thead>
      <tbody>${page.data.map((t) => html`<tr><td>${when(t.created_at)}</td><td>${t.reason}</td><td>${order(t.order_id)}</td><td class="num">${t.delta_on_hand}</td><td class="num">${t.delta_reserved}</td><td class="num">${t.delta_held}</td><td class="num">${t.on_hand_after}</td><td class="num">${t.reserved_after}</td><td class="num">${t.held_after}</td></tr>`)}</tbody>
    </table></div>
  </section>`;
}

export function Inventory() {
  const [hubs, setHubs] = useState([]);
  const [hub, setHub] = useState('');
  const [levels, setLevels] = useState(null);
  const [names, setNames] = useState(new Map());
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
    api('GET', `/inventory?${query}`)
      .then(async (page) => {
        // The SKUs' names, one call for the page (levels carry codes only).
        const codes = page.data.map((l) => l.sku);
        const skus = codes.length === 0 ? { data: [] } : await api('GET', `/skus?${new URLSearchParams({ codes: codes.join(','), limit: '100' })}`);
        setNames(new Map(skus.data.map((s) => [s.code, s.name])));
        setLevels(page.data);
        pager.setNext(page.next_cursor);
      })
      .catch(setError);
  }, [hub, version, cursor]);

  return html`<section>
    <h1>Inventory</h1>
    <label for="hub-select">Hub</label>
    <select id="hub-select" value=${hub} onChange=${(e) => {
      setHub(e.target.value);
      setLedger(null);
      pager.reset();
    }}>
      ${hubs.map((h) => html`<option value=${h.code}>${h.code} — ${h.name}</option>`)}
    </select>
    <${ErrorNote} error=${error} />
    <p class="hint">Available = on hand − reserved (for orders not yet shipped) − held (for carts and checkouts, until they expire). After counting a shelf, type the number
      of units you counted under “Record a count” and press Set: it is refused if someone changed the count since this page loaded.</p>
    ${
      levels
        ? html`<div class="table-wrap"><table class="stack">
      <caption class="visually-hidden">Stock at ${hub}</caption>
      <thead><tr><th scope="col">SKU</th><th scope="col">Name</th><th scope="col" class="num">On hand</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Held</th><th scope="col" class="num">Available</th><th scope="col">Record a count</th><th scope="col">Ledger</th></tr></thead>
      <tbody>${levels.map(
        (l) => html`<tr data-sku=${l.sku}>
        <th scope="row" data-label="SKU">${l.sku}</th>
        <td data-label="Name" data-testid="name">${names.get(l.sku) ?? ''}</td>
        <td class="num" data-label="On hand" data-testid="on-hand">${num(l.on_hand)}</td>
        <td class="num" data-label="Reserved" data-testid="reserved">${num(l.reserved)}</td>
        <td class="num" data-label="Held" data-testid="held">${num(l.held)}</td>
        <td class="num" data-label="Available" data-testid="available">${num(l.available)}</td>
        <td data-label="Record a count"><${Adjust} key=${`${l.sku}:${l.on_hand}`} level=${l} onDone=${() => setVersion((v) => v + 1)} /></td>
        <td data-label="Ledger"><button type="button" class="link" onClick=${() => setLedger(l.sku)}>Ledger</button></td>
      </tr>`,
      )}</tbody>
    </table></div>
    <${Pager} pager=${pager} />`
        : null
    }
    ${ledger ? html`<${Ledger} hub=${hub} sku=${ledger} />` : null}
    <${Holds} version=${version} onReleased=${() => setVersion((v) => v + 1)} />
  </section>`;
}

/** The active holds, soonest to expire last seen first (newest first, as the API pages them), each releasable. */
function Holds({ version, onReleased }) {
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api('GET', '/holds?status=active&limit=50').then(setPage, setError);
  }, [version]);
  const release = async (hold) => {
    if (!confirm(`Release hold ${hold.reference ?? hold.id}? Its units become available to everyone again.`)) return;
    try {
      await api('DELETE', `/holds/${hold.id}`);
      onReleased();
    } catch (err) {
      setError(err);
    }
  };
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!page) return null;
  return html`<section aria-labelledby="holds-title">
    <h2 id="holds-title">Active holds, every hub</h2>
    ${
      page.data.length === 0
        ? html`<p class="hint">No cart or checkout holds stock right now.</p>`
        : html`<div class="table-wrap"><table class="stack">
      <caption class="visually-hidden">Holds not yet ordered, released or expired</caption>
      <thead><tr><th scope="col">Reference</th><th scope="col">Lines</th><th scope="col">Expires</th><th scope="col">Release</th></tr></thead>
      <tbody>${page.data.map(
        (h) => html`<tr data-hold=${h.id}>
        <th scope="row" data-label="Reference">${h.reference ?? h.id}</th>
        <td data-label="Lines">${h.lines.map((l) => `${l.quantity} × ${l.sku} at ${l.hub}`).join(', ')}</td>
        <td data-label="Expires">${when(h.expires_at)}</td>
        <td data-label="Release"><button type="button" onClick=${() => release(h)} aria-label=${`Release hold ${h.reference ?? h.id}`}>Release</button></td>
      </tr>`,
      )}</tbody>
    </table></div>`
    }
    ${page.next_cursor ? html`<p class="hint">More holds than shown: see GET /holds or oms holds list.</p>` : null}
  </section>`;
}

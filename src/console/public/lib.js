// Shared pieces of the console: the API call with the session's key, formatting, small widgets.
import { h } from '/console/vendor/preact.js';
import { useState } from '/console/vendor/hooks.js';
import htm from '/console/vendor/htm.js';

export const html = htm.bind(h);

const KEY = 'oms.apiKey';
const TENANT = 'oms.tenant'; // the admin key's chosen tenant: {id, code}
export const session = {
  key: () => sessionStorage.getItem(KEY),
  tenant: () => JSON.parse(sessionStorage.getItem(TENANT) || 'null'),
  signIn: (key, tenant) => {
    sessionStorage.setItem(KEY, key);
    if (tenant) sessionStorage.setItem(TENANT, JSON.stringify(tenant));
    else sessionStorage.removeItem(TENANT);
  },
  signOut: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(TENANT);
  },
};

/** The headers every call carries: the key, and for the admin key the tenant it acts for. */
function authHeaders(key, tenantId) {
  return { authorization: `Bearer ${key}`, ...(tenantId ? { 'x-tenant-id': tenantId } : {}) };
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** One call to the JSON API; a FormData body is sent as is. Answers the parsed body. */
export async function api(method, path, body, key = session.key(), tenantId = session.tenant()?.id) {
  const form = body instanceof FormData;
  const res = await fetch(path, {
    method,
    headers: { ...authHeaders(key, tenantId), ...(body !== undefined && !form ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { detail: data });
  return data;
}

/** Downloads an authenticated resource as a file (a link cannot carry the key). */
export async function download(path, filename) {
  const res = await fetch(path, { headers: authHeaders(session.key(), session.tenant()?.id) });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const num = (n) => Number(n).toLocaleString('en');
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

export const STATUS_LABELS = {
  on_hold: 'On hold',
  new_order: 'New',
  partially_shipped: 'Partly shipped',
  shipped: 'Shipped',
  delivered: 'Delivered',
  partially_returned: 'Partly returned',
  returned: 'Returned',
  cancelled: 'Cancelled',
};
/** An amount with its currency, as the API gives both: "19.90 EGP". */
export const money = (amount, currency) => (currency ? `${amount} ${currency}` : amount);
/** "Name <email>", or the e-mail alone when there is no other name (CSV rows without one). */
export const customerLabel = (c) => (!c ? '—' : c.name && c.name !== c.email ? `${c.name} <${c.email}>` : c.email);
/** An order on hold because stock is short: it moves on by itself when stock arrives. */
export const isWaiting = (order) => order.status === 'on_hold' && order.status_reason === 'insufficient_stock';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What a person may do with an order in each status (the finalizer alone moves on_hold → new_order): the service's own table. */
export { ACTIONS, EVENT_TYPES, ORDER_STATUSES } from '/console/catalogue.js';
export const ACTION_LABELS = { cancelled: 'Cancel order', shipped: 'Mark shipped', delivered: 'Mark delivered' };

export const Status = ({ status, order }) =>
  order && isWaiting(order)
    ? html`<span class="badge badge-waiting" title="Reserved by itself when stock arrives">Waiting for stock</span>`
    : html`<span class=${`badge badge-${status}`}>${STATUS_LABELS[status] || status}</span>`;

/**
 * Cursor paging forward and back over an API list: keeps the cursor of every page seen so far.
 * `cursor` is the page to fetch; tell it the answer's `next_cursor` with `setNext`.
 */
export function usePager() {
  const [cursors, setCursors] = useState([null]);
  const [next, setNext] = useState(null);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    next,
    setNext,
    forward: () => setCursors([...cursors, next]),
    back: () => setCursors(cursors.slice(0, -1)),
    reset: () => setCursors([null]),
  };
}

export const Pager = ({ pager }) => html`<div class="pager">
  <button type="button" disabled=${pager.page === 1} onClick=${pager.back}>Previous</button>
  <span>Page ${pager.page}</span>
  <button type="button" disabled=${!pager.next} onClick=${pager.forward}>Next</button>
</div>`;

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message || String(error)}</p>`;
}

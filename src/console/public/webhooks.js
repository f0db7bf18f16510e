// Webhooks: the endpoints, each one's deliveries with every attempt, and a manual retry.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, html, when } from '/console/lib.js';

function Delivery({ endpoint, id, onChanged }) {
  const [delivery, setDelivery] = useState(null);
  const [error, setError] = useState(null);
  const load = () => api('GET', `/webhooks/${endpoint}/deliveries/${id}`).then(setDelivery, setError);
  useEffect(() => { load(); }, [endpoint, id]);
  // A pending delivery is still being tried: follow it until it settles.
  useEffect(() => {
    if (delivery?.status !== 'pending') return undefined;
    const timer = setTimeout(() => { load().then(onChanged); }, 1000);
    return () => clearTimeout(timer);
  }, [delivery]);
  const retry = async () => {
    setError(null);
    try {
      await api('POST', `/webhooks/${endpoint}/deliveries/${id}/retry`);
      await load();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  if (!delivery) return error ? html`<${ErrorNote} error=${error} />` : null;
  return html`<section aria-labelledby="delivery-title">
    <h3 id="delivery-title">Delivery ${delivery.id}: ${delivery.event_type}, ${delivery.status}</h3>
    <button type="button" onClick=${retry} disabled=${delivery.status === 'pending'}>Retry now</button>
    <${ErrorNote} error=${error} />
    <ol class="attempts">${(delivery.attempt_log ?? []).map((a) => html`<li>
      <time datetime=${a.attempted_at}>${when(a.attempted_at)}</time>: ${a.status_code ?? a.error ?? "—"} in ${a.latency_ms} ms
      ${a.response_body ? html`<pre>${a.response_body}</pre>` : null}
    </li>`)}</ol>
  </section>`;
}

export function Webhooks() {
  const [endpoints, setEndpoints] = useState(null);
  const [selected, setSelected] = useState(null);
  const [deliveries, setDeliveries] = useState(null);
  const [delivery, setDelivery] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);

  useEffect(() => { api('GET', '/webhooks').then((page) => setEndpoints(page.data), setError); }, []);
  useEffect(() => {
    if (!selected) return;
    api('GET', `/webhooks/${selected}/deliveries?limit=50`).then((page) => setDeliveries(page.data), setError);
  }, [selected, version]);

  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!endpoints) return html`<p aria-busy="true">Loading…</p>`;
  return html`<section>
    <h1>Webhooks</h1>
    ${endpoints.length === 0 ? html`<p>No endpoints yet. Create one with <code>POST /webhooks</code> (see the API docs).</p>` : null}
    <ul class="cards">${endpoints.map((e) => html`<li>
      <button type="button" class="card" aria-pressed=${selected === e.id} onClick=${() => { setSelected(e.id); setDelivery(null); }}>
        <strong>${e.url}</strong><br />${e.active ? 'active' : 'disabled'} · ${e.events.join(', ')}
      </button>
    </li>`)}</ul>
    ${deliveries ? html`<div class="table-wrap"><table>
      <caption>Deliveries, newest first</caption>
      <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th></tr></thead>
      <tbody>${deliveries.map((d) => html`<tr>
        <td><button type="button" class="link" onClick=${() => setDelivery(d.id)}>${d.event_type}</button></td>
        <td>${d.status}</td><td class="num">${d.attempts}</td><td>${d.last_status_code ?? d.last_error ?? '—'}</td><td>${when(d.created_at)}</td>
      </tr>`)}</tbody>
    </table></div>` : null}
    ${delivery ? html`<${Delivery} endpoint=${selected} id=${delivery} onChanged=${() => setVersion((v) => v + 1)} />` : null}
  </section>`;
}

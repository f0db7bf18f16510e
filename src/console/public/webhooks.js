// Webhooks: the endpoints (add, edit, disable or enable, rotate the secret, delete), each one's
// dispatches with every attempt, and a manual retry.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, EVENT_TYPES, html, when } from '/console/lib.js';

function Dispatch({ endpoint, id, onChanged }) {
  const [dispatch, setDispatch] = useState(null);
  const [error, setError] = useState(null);
  const load = () => api('GET', `/webhooks/${endpoint}/dispatches/${id}`).then(setDispatch, setError);
  useEffect(() => {
    load();
  }, [endpoint, id]);
  // A pending dispatch is still being tried: follow it until it settles.
  useEffect(() => {
    if (dispatch?.status !== 'pending') return undefined;
    const timer = setTimeout(() => {
      load().then(onChanged);
    }, 1000);
    return () => clearTimeout(timer);
  }, [dispatch]);
  const retry = async () => {
    setError(null);
    try {
      await api('POST', `/webhooks/${endpoint}/dispatches/${id}/retry`);
      await load();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  if (!dispatch) return error ? html`<${ErrorNote} error=${error} />` : null;
  return html`<section aria-labelledby="dispatch-title">
    <h3 id="dispatch-title">Dispatch ${dispatch.id}: ${dispatch.event_type}, ${dispatch.status}</h3>
    <button type="button" onClick=${retry} disabled=${dispatch.status === 'pending'}>Retry now</button>
    <${ErrorNote} error=${error} />
    <ol class="attempts">${(dispatch.attempt_log ?? []).map(
      (a) => html`<li>
      <time datetime=${a.attempted_at}>${when(a.attempted_at)}</time>: ${a.status_code ?? a.error ?? '—'} in ${a.latency_ms} ms
      ${a.response_body ? html`<pre>${a.response_body}</pre>` : null}
    </li>`,
    )}</ol>
  </section>`;
}

/** Offered: every type the service has; ticked for a new endpoint: the order events. */
const EVENTS = EVENT_TYPES;
const DEFAULT_EVENTS = EVENT_TYPES.filter((type) => type.startsWith('order.'));

/** A secret is shown once, by the API's answer that made it: say so, and make it easy to copy. */
const Secret = ({ secret }) => html`<div class="notice" role="status">
  <p><strong>The signing secret, shown only now.</strong> Copy it into your receiver to verify the signature of each event it receives.</p>
  <output data-testid="secret"><code>${secret}</code></output>
</div>`;

/** Adds an endpoint, or edits one (its URL, events and description). */
function EndpointForm({ endpoint, onSaved, onCancel }) {
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [events, setEvents] = useState(endpoint?.events ?? DEFAULT_EVENTS);
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [error, setError] = useState(null);
  const toggle = (event) => setEvents(events.includes(event) ? events.filter((e) => e !== event) : [...events, event]);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const body = { url: url.trim(), events, description: description.trim() || (endpoint ? null : undefined) };
      onSaved(endpoint ? await api('PUT', `/webhooks/${endpoint.id}`, body) : await api('POST', '/webhooks', body));
    } catch (err) {
      setError(err.problem?.errors ? new Error(err.problem.errors.map((f) => `${f.field}: ${f.message}`).join('; ')) : err);
    }
  };
  return html`<form class="endpoint-form" onSubmit=${submit} aria-label=${endpoint ? 'Edit endpoint' : 'Add an endpoint'}>
    <label for="hook-url">URL</label>
    <input id="hook-url" type="url" required placeholder="https://example.com/webhooks" value=${url} onInput=${(e) => setUrl(e.target.value)} />
    <fieldset><legend>Events</legend>
      ${EVENTS.map((event) => html`<label class="check"><input type="checkbox" checked=${events.includes(event)} onChange=${() => toggle(event)} /> ${event}</label>`)}
    </fieldset>
    <label for="hook-description">Description (optional)</label>
    <input id="hook-description" value=${description} onInput=${(e) => setDescription(e.target.value)} />
    <div class="actions">
      <button type="submit" disabled=${events.length === 0}>${endpoint ? 'Save' : 'Add endpoint'}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

/** What can be done to one endpoint. */
function EndpointActions({ endpoint, onChanged, onDeleted }) {
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState(null);
  const [error, setError] = useState(null);
  const run = (work) => async () => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e);
    }
  };
  const setActive = run(async () => onChanged(await api('PUT', `/webhooks/${endpoint.id}`, { active: !endpoint.active })));
  const rotate = run(async () => {
    if (!confirm('Make a new signing secret? The current one keeps signing for 24 hours, so your receiver can switch over.')) return;
    setSecret((await api('POST', `/webhooks/${endpoint.id}/secrets`, {})).secret);
  });
  const remove = run(async () => {
    if (!confirm(`Delete the endpoint ${endpoint.url} and its dispatch log?`)) return;
    await api('DELETE', `/webhooks/${endpoint.id}`);
    onDeleted();
  });
  if (editing)
    return html`<${EndpointForm} endpoint=${endpoint} onSaved=${(saved) => {
      setEditing(false);
      onChanged(saved);
    }} onCancel=${() => setEditing(false)} />`;
  return html`<div>
    <div class="actions">
      <button type="button" onClick=${() => setEditing(true)}>Edit</button>
      <button type="button" onClick=${setActive}>${endpoint.active ? 'Disable' : 'Enable'}</button>
      <button type="button" onClick=${rotate}>Rotate secret</button>
      <button type="button" class="danger" onClick=${remove}>Delete</button>
    </div>
    ${!endpoint.active && endpoint.disabled_reason ? html`<p class="hint">Disabled: ${endpoint.disabled_reason}</p>` : null}
    ${secret ? html`<${Secret} secret=${secret} />` : null}
    <${ErrorNote} error=${error} />
  </div>`;
}

export function Webhooks() {
  const [endpoints, setEndpoints] = useState(null);
  const [selected, setSelected] = useState(null);
  const [dispatches, setDispatches] = useState(null);
  const [dispatch, setDispatch] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  const [adding, setAdding] = useState(false);
  const [created, setCreated] = useState(null);

  const reload = () => api('GET', '/webhooks?limit=100').then((page) => setEndpoints(page.data), setError);
  useEffect(() => {
    reload();
  }, []);
  const replace = (saved) => setEndpoints(endpoints.map((e) => (e.id === saved.id ? saved : e)));
  useEffect(() => {
    if (!selected) return;
    api('GET', `/webhooks/${selected}/dispatches?limit=50`).then((page) => setDispatches(page.data), setError);
  }, [selected, version]);

  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!endpoints) return html`<p aria-busy="true">Loading…</p>`;
  return html`<section>
    <h1>Webhooks</h1>
    <p>Each endpoint gets a signed POST for the events it chose (an order's, or the inventory's), retried for about three days until it answers 2xx.</p>
    ${
      adding
        ? html`<${EndpointForm}
        onSaved=${(saved) => {
          setAdding(false);
          setCreated(saved.secret);
          reload();
          setSelected(saved.id);
        }}
        onCancel=${() => setAdding(false)} />`
        : html`<button type="button" onClick=${() => {
            setAdding(true);
            setCreated(null);
          }}>Add an endpoint</button>`
    }
    ${created ? html`<${Secret} secret=${created} />` : null}
    ${endpoints.length === 0 && !adding ? html`<p>No endpoints yet.</p>` : null}
    <ul class="cards">${endpoints.map(
      (e) => html`<li>
      <button type="button" class="card" aria-pressed=${selected === e.id} onClick=${() => {
        setSelected(e.id);
        setDispatch(null);
      }}>
        <strong>${e.url}</strong><br />${e.active ? 'active' : 'disabled'} · ${e.events.join(', ')}${e.description ? ` · ${e.description}` : ''}
      </button>
      ${
        selected === e.id
          ? html`<${EndpointActions} key=${e.id} endpoint=${e} onChanged=${replace}
        onDeleted=${() => {
          setSelected(null);
          setDispatches(null);
          reload();
        }} />`
          : null
      }
    </li>`,
    )}</ul>
    ${
      dispatches
        ? html`<div class="table-wrap"><table>
      <caption>Events sent to this endpoint (dispatches), newest first</caption>
      <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th></tr></thead>
      <tbody>${dispatches.map(
        (d) => html`<tr>
        <td><button type="button" class="link" onClick=${() => setDispatch(d.id)}>${d.event_type}</button></td>
        <td>${d.status}</td><td class="num">${d.attempts}</td><td>${d.last_status_code ?? d.last_error ?? '—'}</td><td>${when(d.created_at)}</td>
      </tr>`,
      )}</tbody>
    </table></div>`
        : null
    }
    ${dispatch ? html`<${Dispatch} endpoint=${selected} id=${dispatch} onChanged=${() => setVersion((v) => v + 1)} />` : null}
  </section>`;
}

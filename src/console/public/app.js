// The console's shell: sign-in, navigation (hash routes, so every view has a link), the views.
import { render } from '/console/vendor/preact.js';
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, ErrorNote, html, session } from '/console/lib.js';
import { Dashboard } from '/console/dashboard.js';
import { Upload } from '/console/upload.js';
import { OrderDetail, Orders } from '/console/orders.js';
import { Inventory } from '/console/inventory.js';
import { Webhooks } from '/console/webhooks.js';

const NAV = [
  ['#/', 'Overview'],
  ['#/upload', 'Upload'],
  ['#/orders', 'Orders'],
  ['#/inventory', 'Inventory'],
  ['#/webhooks', 'Webhooks'],
];

function useRoute() {
  const [route, setRoute] = useState(location.hash || '#/');
  useEffect(() => {
    const onChange = () => setRoute(location.hash || '#/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [tenants, setTenants] = useState(null); // the admin key: the tenants it may act for
  const [tenant, setTenant] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (tenants) {
        const chosen = tenants.find((t) => t.id === tenant);
        session.signIn(key.trim(), { id: chosen.id, code: chosen.code });
        return onSignedIn();
      }
      try {
        await api('GET', '/stats', undefined, key.trim(), null); // a tenant key can read its stats
        session.signIn(key.trim());
        return onSignedIn();
      } catch (e) {
        if (e.problem?.code !== 'auth.tenant_required') throw e;
      }
      // The admin key: it works for one tenant at a time, so ask which.
      const page = await api('GET', '/tenants?limit=100', undefined, key.trim(), null);
      setTenants(page.data);
      setTenant(page.data[0]?.id ?? '');
    } catch (e) {
      setError(e.status === 401 || e.status === 403 ? new Error('That key was not accepted. Use a tenant API key, or the admin key.') : e);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>OMS console</h1>
    <form onSubmit=${submit}>
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" required value=${key} disabled=${tenants !== null}
        onInput=${(e) => setKey(e.target.value)} />
      <p class="hint">A tenant's API key, or the admin key. Kept in this browser tab only, until you sign out or close it.</p>
      ${
        tenants === null
          ? null
          : tenants.length === 0
            ? html`<p class="error" role="alert">This is the admin key, and there is no tenant yet. Create one first (POST /tenants, step 1 of the README's walk-through).</p>`
            : html`<p>This is the admin key. It acts for one tenant at a time: choose which.</p>
          <label for="tenant-select">Tenant</label>
          <select id="tenant-select" value=${tenant} onChange=${(e) => setTenant(e.target.value)}>
            ${tenants.map((t) => html`<option value=${t.id}>${t.code} — ${t.name}</option>`)}
          </select>`
      }
      <button type="submit" disabled=${busy || (tenants !== null && tenants.length === 0)}>${busy ? 'Signing in…' : tenants ? 'Continue' : 'Sign in'}</button>
      <${ErrorNote} error=${error} />
    </form>
  </main>`;
}

function View({ route }) {
  const [path] = route.slice(1).split('?');
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (order) return html`<${OrderDetail} id=${decodeURIComponent(order[1])} />`;
  switch (path) {
    case '/upload':
      return html`<${Upload} />`;
    case '/orders':
      return html`<${Orders} />`;
    case '/inventory':
      return html`<${Inventory} />`;
    case '/webhooks':
      return html`<${Webhooks} />`;
    default:
      return html`<${Dashboard} />`;
  }
}

function App() {
  const [signedIn, setSignedIn] = useState(Boolean(session.key()));
  const route = useRoute();
  if (!signedIn) return html`<${SignIn} onSignedIn=${() => setSignedIn(true)} />`;
  const current = NAV.filter(([href]) => route === href || (href !== '#/' && route.startsWith(href))).pop()?.[0] ?? '#/';
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header>
      <span class="brand">OMS console</span>
      <nav aria-label="Main">
        <ul>${NAV.map(([href, label]) => html`<li><a href=${href} aria-current=${href === current ? 'page' : undefined}>${label}</a></li>`)}</ul>
      </nav>
      ${session.tenant() ? html`<span class="acting">Admin, acting for <strong>${session.tenant().code}</strong></span>` : null}
      <button class="link" type="button" onClick=${() => {
        session.signOut();
        setSignedIn(false);
      }}>Sign out</button>
    </header>
    <main id="main" tabindex="-1"><${View} route=${route} /></main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the "Loading…" placeholder: Preact renders beside what it did not create
render(html`<${App} />`, root);

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
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('GET', '/stats', undefined, key.trim()); // a tenant key can read its stats
      session.signIn(key.trim());
      onSignedIn();
    } catch (e) {
      setError(e.status === 401 || e.status === 403 ? new Error('That key was not accepted. Use a tenant API key.') : e);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>OMS console</h1>
    <form onSubmit=${submit}>
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" required value=${key} onInput=${(e) => setKey(e.target.value)} />
      <p class="hint">Kept in this browser tab only, until you sign out or close it.</p>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <${ErrorNote} error=${error} />
    </form>
  </main>`;
}

function View({ route }) {
  const [path] = route.slice(1).split('?');
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (order) return html`<${OrderDetail} id=${decodeURIComponent(order[1])} />`;
  switch (path) {
    case '/upload': return html`<${Upload} />`;
    case '/orders': return html`<${Orders} />`;
    case '/inventory': return html`<${Inventory} />`;
    case '/webhooks': return html`<${Webhooks} />`;
    default: return html`<${Dashboard} />`;
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
      <button class="link" type="button" onClick=${() => { session.signOut(); setSignedIn(false); }}>Sign out</button>
    </header>
    <main id="main" tabindex="-1"><${View} route=${route} /></main>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the "Loading…" placeholder: Preact renders beside what it did not create
render(html`<${App} />`, root);

// Upload a CSV by drag and drop (or the file picker), watch it being ingested, get the errors CSV.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, download, ErrorNote, html, num } from '/console/lib.js';

/** The columns a file may have (names are case-insensitive; the aliases work too; others are ignored). */
const COLUMNS = [
  ['sku', 'required', 'the SKU code (or id)', 'sku_id, sku_code'],
  ['hub_id', 'required', 'the hub code (or id) it ships from', 'hub, hub_code'],
  ['quantity', 'required', 'a whole number above 0', 'qty'],
  ['order_id', 'optional', 'your order number; consecutive rows with the same one are one order', 'reference, order_number'],
  ['customer_name, customer_email', 'optional', 'the customer, found or created by e-mail', ''],
  ['unit_price, total_amount', 'optional', 'decimals such as 19.90 (19,90 in “;” files); total = quantity × unit price', 'price'],
  ['product_name', 'optional', 'the line’s name (else the SKU’s)', ''],
  ['order_date', 'optional', 'YYYY-MM-DD or ISO 8601', ''],
  ['shipping_address, currency, seller_id, customer_id', 'optional', '', 'seller'],
];

export function Upload() {
  const [upload, setUpload] = useState(null);
  const [decimal, setDecimal] = useState('');
  const [error, setError] = useState(null);
  const [dragging, setDragging] = useState(false);
  const [sending, setSending] = useState(false);

  // Poll the upload until it is finished.
  useEffect(() => {
    if (!upload || upload.status === 'completed' || upload.status === 'failed') return undefined;
    const timer = setTimeout(() => api('GET', `/uploads/${upload.id}`).then(setUpload, setError), 500);
    return () => clearTimeout(timer);
  }, [upload]);

  const send = async (file) => {
    if (!file) return;
    setError(null);
    setUpload(null);
    setSending(true);
    try {
      const form = new FormData();
      if (decimal) form.append('decimal_separator', decimal); // fields go before the file
      form.append('file', file, file.name);
      const accepted = await api('POST', '/orders/upload', form);
      setUpload(await api('GET', `/uploads/${accepted.upload_id}`));
    } catch (e) {
      setError(e);
    } finally {
      setSending(false);
    }
  };

  const done = upload && (upload.status === 'completed' || upload.status === 'failed');
  const fraction = !upload ? 0 : upload.status === 'completed' ? 1 : upload.size_bytes ? upload.bytes_done / upload.size_bytes : 0;
  return html`<section>
    <h1>Upload orders</h1>
    <p>A CSV file with a header row and one row per order line. It is checked row by row: valid rows become orders,
      invalid rows go to an errors file with the reason for each. Fields are separated by commas, semicolons or tabs (detected).
      <a href="/console/sample-orders.csv" download="sample-orders.csv">Download a sample file</a>.</p>
    <details class="columns">
      <summary>Columns</summary>
      <div class="table-wrap"><table class="stack">
        <thead><tr><th scope="col">Column</th><th scope="col">Needed</th><th scope="col">Holds</th><th scope="col">Also accepted as</th></tr></thead>
        <tbody>${COLUMNS.map(
          ([name, needed, holds, aliases]) => html`<tr>
          <th scope="row" data-label="Column"><code>${name}</code></th><td data-label="Needed">${needed}</td><td data-label="Holds">${holds}</td><td data-label="Also accepted as">${aliases}</td>
        </tr>`,
        )}</tbody>
      </table></div>
    </details>
    <label for="decimal-select">Prices are written</label>
    <select id="decimal-select" value=${decimal} onChange=${(e) => setDecimal(e.target.value)}>
      <option value="">as 19.90 (or 19,90 in a “;” file)</option>
      <option value=".">as 19.90</option>
      <option value=",">as 19,90</option>
    </select>
    <div class=${`dropzone${dragging ? ' dragging' : ''}`}
      onDragOver=${(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave=${() => setDragging(false)}
      onDrop=${(e) => {
        e.preventDefault();
        setDragging(false);
        void send(e.dataTransfer.files[0]);
      }}>
      <label for="csv-file">Drop a CSV file here, or choose one</label>
      <input id="csv-file" type="file" accept=".csv,text/csv" disabled=${sending} onChange=${(e) => send(e.target.files[0])} />
    </div>
    <${ErrorNote} error=${error} />
    ${sending ? html`<p aria-busy="true">Sending the file…</p>` : null}
    ${
      upload
        ? html`<div class="upload-status" aria-live="polite">
      <h2>${upload.filename}: <span data-testid="upload-status">${upload.status}</span></h2>
      <label for="upload-progress">Progress</label>
      <progress id="upload-progress" max="100" value=${Math.round(fraction * 100)}>${Math.round(fraction * 100)}%</progress>
      <dl class="figures">
        <div><dt>Rows processed</dt><dd data-testid="rows-total">${num(upload.rows_total)}</dd></div>
        <div><dt>Valid</dt><dd data-testid="rows-valid">${num(upload.rows_valid)}</dd></div>
        <div><dt>Invalid</dt><dd data-testid="rows-invalid">${num(upload.rows_invalid)}</dd></div>
        <div><dt>Orders created</dt><dd>${num(upload.orders_created)}</dd></div>
      </dl>
      ${upload.error ? html`<p class="error" role="alert">${upload.error}</p>` : null}
      ${done && upload.rows_invalid > 0 ? html`<button type="button" onClick=${() => download(`/uploads/${upload.id}/errors`, `${upload.filename.replace(/\.csv$/i, '')}-errors.csv`).catch(setError)}>Download the errors CSV</button>` : null}
      ${done && upload.orders_created > 0 ? html`<p><a href="#/orders">See the orders</a></p>` : null}
    </div>`
        : null
    }
  </section>`;
}

// Upload a CSV by drag and drop (or the file picker), watch it being ingested, get the errors CSV.
import { useEffect, useState } from '/console/vendor/hooks.js';
import { api, download, ErrorNote, html, num } from '/console/lib.js';

export function Upload() {
  const [upload, setUpload] = useState(null);
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
    <p>A CSV with one row per order line (see the format in the API docs). It is checked row by row; invalid rows go to an errors file with the reason for each.</p>
    <div class=${`dropzone${dragging ? ' dragging' : ''}`}
      onDragOver=${(e) => { e.preventDefault(); setDragging(true); }}
      onDragLeave=${() => setDragging(false)}
      onDrop=${(e) => { e.preventDefault(); setDragging(false); send(e.dataTransfer.files[0]); }}>
      <label for="csv-file">Drop a CSV file here, or choose one</label>
      <input id="csv-file" type="file" accept=".csv,text/csv" disabled=${sending} onChange=${(e) => send(e.target.files[0])} />
    </div>
    <${ErrorNote} error=${error} />
    ${sending ? html`<p aria-busy="true">Sending the file…</p>` : null}
    ${upload ? html`<div class="upload-status" aria-live="polite">
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
    </div>` : null}
  </section>`;
}

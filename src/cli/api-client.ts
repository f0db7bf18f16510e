/**
 * The command line's view of a running service: its URL and an API key, and one request
 * function that answers the JSON body or throws the problem+json's detail as a CliError.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Connection {
  url: string;
  key: string;
}

/** `--url`/`--key`, else OMS_URL/OMS_API_KEY (or the admin key), else the local default. */
export function connectionFrom(flags: { url?: string; key?: string }, env: { OMS_URL?: string; OMS_API_KEY?: string; OMS_ADMIN_API_KEY?: string }): Connection {
  const url = (flags.url ?? env.OMS_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new CliError(`--url must be an http:// or https:// URL, got "${url}"`, 2);
  const key = flags.key ?? env.OMS_API_KEY ?? env.OMS_ADMIN_API_KEY;
  if (!key) throw new CliError('an API key is needed: --key KEY, or OMS_API_KEY in the environment', 2);
  return { url, key };
}

export async function call<T = any>(connection: Connection, method: string, path: string, body?: unknown): Promise<T> {
  const isForm = body instanceof FormData;
  let res: Response;
  try {
    res = await fetch(`${connection.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${connection.key}`, ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${connection.url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  const text = await res.text();
  const json = text !== '' && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (!res.ok) {
    const problem = json as {
      title?: string;
      detail?: string;
      errors?: { field?: string; message?: string }[];
      shortages?: { sku: string; hub?: string; requested: number; available: number }[];
    };
    const fields = problem.errors?.map((e) => `\n  - ${e.field ? `${e.field}: ` : ''}${e.message ?? ''}`).join('') ?? '';
    const short = problem.shortages?.map((s) => `\n  - ${s.sku}${s.hub ? ` at ${s.hub}` : ''}: asked ${s.requested}, available ${s.available}`).join('') ?? '';
    throw new CliError(`${method} ${path} answered ${res.status}: ${problem.detail ?? problem.title ?? text}${fields}${short}`);
  }
  return json as T;
}

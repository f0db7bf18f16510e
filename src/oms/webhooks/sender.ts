/**
 * Sends one webhook request. Keep-alive connections (undici Agent), no redirects followed, a
 * timeout, and at most 4 KiB of the answer kept for the dispatch log.
 *
 * SSRF: the host is resolved at send time and every address it resolves to is checked
 * (address-guard.ts); the connection then goes to the address that was checked: our lookup
 * function is the one the socket uses, so a DNS answer that changes between check and connect
 * (rebinding) cannot slip through. A literal IP in the URL is checked as is.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { isForbiddenAddress } from './address-guard';

export interface SendResult {
  statusCode?: number;
  latencyMs: number;
  error?: string;
  responseBody?: string;
  /** The receiver's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface SenderOptions {
  allowPrivateNetworks: boolean;
  timeoutMs?: number;
  /** Connections kept per origin. */
  connections?: number;
  /** DNS resolution (tests stub it so that no name ever leaves the machine). */
  resolve?: Resolver;
}

const RESPONSE_BODY_LIMIT = 4096;

export class RefusedAddressError extends Error {}

export class WebhookSender {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(private readonly options: SenderOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    const resolve = options.resolve ?? ((hostname: string) => dnsLookup(hostname, { all: true, verbatim: true }));
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      resolve(hostname)
        .then((addresses) => {
          const usable = addresses.filter((a) => options.allowPrivateNetworks || !isForbiddenAddress(a.address));
          if (addresses.length === 0) throw Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' });
          if (usable.length === 0)
            throw new RefusedAddressError(
              `${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}: private, loopback or link-local targets are not allowed`,
            );
          // Any forbidden answer refuses the host: a name that mixes public and private answers is suspect.
          if (usable.length < addresses.length) throw new RefusedAddressError(`${hostname} resolves to a private, loopback or link-local address among others`);
          if (lookupOptions.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, usable);
          else callback(null, usable[0]!.address, usable[0]!.family);
        })
        .catch((error: Error) => callback(error as NodeJS.ErrnoException, '', 0));
    };
    this.agent = new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: { lookup, timeout: this.timeoutMs },
    });
  }

  async send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // The whole send's deadline (a receiver that drips its answer is cut off too). A controller
    // and a cleared timer, not AbortSignal.timeout: that one cost ~8% of the dispatcher's rate
    // in the webhooks bench (its timer and finalizer outlive every send).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('the send took too long', 'TimeoutError')), this.timeoutMs);
    try {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !this.options.allowPrivateNetworks && isForbiddenAddress(host)) {
        throw new RefusedAddressError(`${host} is a private, loopback or link-local address: not allowed`);
      }
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'oms-webhooks/1', ...headers },
        body,
        signal: deadline.signal,
      });
      // Most receivers answer 2xx with no body: nothing to keep, so no stream to read.
      const responseBody =
        response.headers['content-length'] === '0' || response.statusCode === 204 ? (await response.body.dump(), '') : await readLimited(response.body);
      const retryAfter = response.headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      return { statusCode: response.statusCode, latencyMs: elapsed(), responseBody, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } catch (error) {
      return { latencyMs: elapsed(), error: describe(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_BODY_LIMIT) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describe(error: unknown): string {
  if (error instanceof RefusedAddressError) return `refused: ${error.message}`;
  const e = error as { name?: string; code?: string; message?: string; cause?: { message?: string; code?: string } };
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT')
    return 'timeout';
  if (e.cause instanceof RefusedAddressError) return `refused: ${e.cause.message}`;
  return [e.code ?? e.cause?.code, e.message ?? String(error)].filter(Boolean).join(': ').slice(0, 500);
}

/**
 * A dependency that is away (the database restarting, Redis stopped, the object store or the
 * queue unreachable) is not a bug of ours and not the caller's fault: requests answer 503
 * `dependency.unavailable` naming it, with Retry-After; background work backs off and does not
 * count the failure against an event or a file (a poison input is what attempts are for).
 *
 * Adapters for the object store, the queue and the cache wrap what their client throws into a
 * `DependencyUnavailable`; the database's errors are recognised by their SQLSTATE class and the
 * driver's connection errors, which come from `pg`, PGlite or the socket.
 */
export const DEPENDENCIES = ['database', 'cache', 'object_store', 'queue', 'event_log', 'inventory', 'disk'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: Dependency,
    override readonly cause: unknown,
  ) {
    super(`${dependency} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DependencyUnavailable';
  }
}

/**
 * SQLSTATEs of a server that is away or going away: the connection failures of class 08 (not
 * 08P01, a protocol violation: our bug), shutdown and crash (57P01–57P03), too many connections.
 * A statement cut off by its timeout (57014) is not among them: a slow statement is ours to fix,
 * and a server that does not answer at all is the client's read timeout below.
 */
const PG_UNAVAILABLE = /^(08000|08001|08003|08004|08006|57P0[1-3]|53300)$/;
/** What a socket says when the other end is not there, or not answering. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** The `pg` driver's own words for a lost or unreachable server (it gives these no code). */
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|terminating connection/i;

/** The dependency an error says is away, or undefined for any other error. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  if (error instanceof DependencyUnavailable) return error.dependency;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 'ENOSPC' || (typeof message === 'string' && /No space left on device/i.test(message))) return 'disk';
  if (typeof code === 'string' && (PG_UNAVAILABLE.test(code) || NETWORK_CODES.has(code))) return 'database';
  if (typeof message === 'string' && PG_MESSAGES.test(message)) return 'database';
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error ? unavailableDependency(cause) : undefined;
}

/** `error` as the outage of `dependency` when it is one (named after whoever made the call), else unchanged. */
export function asOutageOf(dependency: Dependency, error: unknown): unknown {
  return unavailableDependency(error) && !(error instanceof DependencyUnavailable) ? new DependencyUnavailable(dependency, error) : error;
}

/** How long to wait before trying again while a dependency is away: 250 ms, doubling, capped. */
export const outageBackoffMs = (tries: number, capMs: number): number => Math.min(250 * 2 ** tries, capMs);

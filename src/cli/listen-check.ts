/**
 * A start that cannot listen must say so in one line and exit, not print a stack and linger.
 * The port is tried before anything slow (opening the database, migrations) happens.
 */
import { createServer } from 'node:net';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the address is in use, probably by another oms; stop it, or choose another PORT',
  EACCES: 'permission denied; choose a PORT above 1023',
  EADDRNOTAVAIL: 'this machine has no such address; check HOST',
};

export class ListenError extends Error {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    super(`oms: cannot listen on ${host}:${port}: ${REASONS[cause.code ?? ''] ?? cause.message}`);
    this.name = 'ListenError';
  }
}

/** Binds the address for a moment and lets it go; throws ListenError when it cannot. */
export async function assertCanListen(host: string, port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(host, port, error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

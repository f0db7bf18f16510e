/**
 * Notifications between transactions and listeners. `Tx.notify(channel, payload)` is
 * delivered only after the transaction commits: at once to listeners in this process, and to
 * other processes (PostgreSQL server) by a NOTIFY sent after the commit, not inside it — a
 * NOTIFY in a transaction takes a global lock at commit and would serialize every committing
 * writer. Payload-less wake-ups are coalesced: at most one NOTIFY per channel per window.
 */
import { randomUUID } from 'node:crypto';

type Listener = (payload: string) => void;

export class Notifications {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly pending = new Set<string>();
  /** Tags this process's NOTIFYs so that its own listeners, already told, ignore the echo. */
  readonly origin = randomUUID().slice(0, 8);

  constructor(
    /** Sends a NOTIFY to other processes; undefined when there are none (PGlite). */
    private readonly send: ((channel: string, payload: string) => Promise<void>) | undefined,
    private readonly onError: (error: unknown) => void,
    private readonly coalesceMs = 5,
  ) {}

  listen(channel: string, listener: Listener): () => void {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener);
    this.listeners.set(channel, set);
    return () => set.delete(listener);
  }

  /** Called after a commit. */
  deliver(channel: string, payload: string): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        this.onError(error);
      }
    }
    if (!this.send) return;
    if (payload !== '') {
      this.send(channel, `${this.origin}|${payload}`).catch(this.onError);
      return;
    }
    if (this.pending.has(channel)) return;
    this.pending.add(channel);
    setTimeout(() => {
      this.pending.delete(channel);
      this.send!(channel, `${this.origin}|`).catch(this.onError);
    }, this.coalesceMs).unref();
  }

  /** A NOTIFY from the server: passes on another process's payload, drops our own echo. */
  received(channel: string, raw: string): void {
    const bar = raw.indexOf('|');
    if (bar < 0 || raw.slice(0, bar) === this.origin) return;
    const payload = raw.slice(bar + 1);
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

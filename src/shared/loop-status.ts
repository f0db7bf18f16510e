/**
 * What each background loop of a process is doing, for operators: every loop (an event-log
 * consumer group, a job worker, the webhook dispatcher) reports through a LoopStatus, and the
 * registry shows them all on /metrics (as pg-boss's workers report their state):
 *   oms_loop_state{loop, state}                       1 for the state it is in
 *   oms_loop_last_active_timestamp_seconds{loop}      when it last finished a piece of work
 *   oms_loop_last_error_timestamp_seconds{loop}       when it last failed (absent: never)
 *   oms_loop_errors_total{loop}                       failures so far
 * A loop `waiting` waits out a dependency that is away; `failing` failed on its last turn and
 * backs off; `standby` is one whose work another process holds (the event log's lease).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const LOOP_STATES = ['starting', 'working', 'idle', 'standby', 'waiting', 'failing', 'stopped'] as const;
export type LoopState = (typeof LOOP_STATES)[number];

export class LoopStatus {
  state: LoopState = 'starting';
  lastActiveAt: number | undefined;
  lastError: { message: string; at: number } | undefined;
  errors = 0;

  constructor(
    readonly name: string,
    private readonly onError: () => void = () => {},
  ) {}

  /** The loop is in `state`; `working` → anything else marks a piece of work finished. */
  set(state: LoopState): void {
    if (this.state === 'working' && state !== 'working') this.lastActiveAt = Date.now();
    this.state = state;
  }

  failed(error: unknown): void {
    this.errors++;
    this.lastError = { message: error instanceof Error ? error.message : String(error), at: Date.now() };
    this.state = 'failing';
    this.onError();
  }
}

export class LoopRegistry {
  private readonly loops = new Map<string, LoopStatus>();

  constructor(registry?: Registry) {
    if (!registry) return;
    const loops = () => [...this.loops.values()];
    new Gauge({
      name: 'oms_loop_state',
      help: 'Each background loop of this process: 1 for the state it is in',
      labelNames: ['loop', 'state'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const loop of loops()) for (const state of LOOP_STATES) this.set({ loop: loop.name, state }, loop.state === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'oms_loop_last_active_timestamp_seconds',
      help: 'When each background loop last finished a piece of work (unix seconds)',
      labelNames: ['loop'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const loop of loops()) if (loop.lastActiveAt) this.set({ loop: loop.name }, loop.lastActiveAt / 1000);
      },
    });
    new Gauge({
      name: 'oms_loop_last_error_timestamp_seconds',
      help: 'When each background loop last failed (unix seconds)',
      labelNames: ['loop'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const loop of loops()) if (loop.lastError) this.set({ loop: loop.name }, loop.lastError.at / 1000);
      },
    });
    const errors = new Counter({
      name: 'oms_loop_errors_total',
      help: 'Failures of each background loop',
      labelNames: ['loop'] as const,
      registers: [registry],
    });
    this.onError = (loop) => errors.inc({ loop });
  }

  private onError: (loop: string) => void = () => {};

  /** The status of the loop named `name` (one per name: a loop started again reports as the same). */
  loop(name: string): LoopStatus {
    let status = this.loops.get(name);
    if (!status) {
      status = new LoopStatus(name, () => this.onError(name));
      this.loops.set(name, status);
    }
    return status;
  }

  list(): LoopStatus[] {
    return [...this.loops.values()];
  }
}

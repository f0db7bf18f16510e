/**
 * What every background role (finalizer, ingest, webhooks, relay) hands back when started: the
 * CLI stops it on SIGTERM, and tests run it to quiescence instead of sleeping.
 */
export interface RunningRole {
  /** Runs to quiescence: every visible event or job handled, every queued retry done. */
  drain(): Promise<void>;
  /** Finishes the batch in hand, then stops; resolves when stopped. */
  stop(): Promise<void>;
}

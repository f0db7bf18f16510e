/**
 * The pause of a background loop (job worker, event-log consumer, webhook dispatcher): it waits
 * until a timeout or a wake-up, whichever comes first. A wake-up that comes while the loop is
 * busy is kept, so its next wait returns at once: no signal is lost between "nothing to do"
 * and "going to sleep". Modelled on pg-boss's delay() + notify().
 */
export class Wakeable {
  private pending = false;
  private closed = false;
  private endWait: (() => void) | undefined;

  /** Ends the wait in progress, or makes the next one return at once. */
  wake(): void {
    this.pending = true;
    this.endWait?.();
  }

  /** Forgets a wake-up that came while the loop was busy (it has seen the news already). */
  clear(): void {
    this.pending = false;
  }

  /** Every wait from now on returns at once: the loop is stopping. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits up to `ms`, less if woken; uses up the wake-up. */
  wait(ms: number): Promise<void> {
    if (this.pending || this.closed) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endWait = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endWait = done;
    });
  }
}

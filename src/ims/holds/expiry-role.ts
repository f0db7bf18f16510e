/**
 * The hold expiry loop (runs with the finalizer role): gives every due hold back, each exactly
 * once, and sleeps until the next hold is due (a second at most, so holds made by other
 * processes are seen). Any number of processes may run it: each takes due holds the others have
 * not locked (SKIP LOCKED), and a hold leaves `active` in the transaction that gives its units
 * back. The units' return announces raised stock, so orders waiting for it are retried, oldest
 * first, at once.
 */
import type { AppContext } from '../../context';
import type { RunningRole } from '../../shared/running-role';
import { Wakeable } from '../../shared/wakeable';
import { EXPIRY_BATCH } from './service';
import { nextDueInMs } from './repository';

export const HOLD_EXPIRY_LOOP = 'holds:expiry';
const BUSY_RETRY_MS = 100;

export function startHoldExpiry(ctx: AppContext, options: { maxSleepMs?: number } = {}): RunningRole {
  const holds = ctx.ims.holds;
  const status = ctx.loops.loop(HOLD_EXPIRY_LOOP);
  const wakeup = new Wakeable();
  const maxSleep = options.maxSleepMs ?? 1000;
  /** Expires due holds until none is left; answers how many. */
  const expireAll = async () => {
    let expired = 0;
    for (let n = EXPIRY_BATCH; n === EXPIRY_BATCH && !wakeup.isClosed; expired += n) n = await holds.expireDue(EXPIRY_BATCH);
    return expired;
  };
  let turn: Promise<number> = Promise.resolve(0);
  const loop = async () => {
    while (!wakeup.isClosed) {
      try {
        status.set('working');
        turn = expireAll();
        const expired = await turn;
        const due = await nextDueInMs(ctx.db);
        status.set('idle');
        // Due but not taken: another process (or a conversion) holds those holds; look again shortly, not at once.
        const soon = expired === 0 && due !== undefined && due <= 0 ? BUSY_RETRY_MS : 0;
        await wakeup.wait(Math.max(soon, Math.min(due ?? maxSleep, maxSleep)));
      } catch (error) {
        status.failed(error);
        ctx.logger.warn({ err: error }, 'hold expiry round failed');
        await wakeup.wait(maxSleep);
      }
    }
    status.set('stopped');
  };
  const running = loop();
  return {
    async drain() {
      await turn.catch(() => undefined);
      await expireAll();
    },
    async stop() {
      wakeup.close();
      await running;
    },
  };
}

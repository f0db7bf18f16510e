import { afterEach, expect, it, vi } from 'vitest';
import { Wakeable } from './wakeable';

afterEach(() => void vi.useRealTimers());

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
};

it('a wait ends at its timeout, or earlier when woken', async () => {
  vi.useFakeTimers();
  const wakeup = new Wakeable();
  const timed = wakeup.wait(1000);
  expect(await settled(timed)).toBe(false);
  await vi.advanceTimersByTimeAsync(1000);
  expect(await settled(timed)).toBe(true);

  const woken = wakeup.wait(60_000);
  expect(await settled(woken)).toBe(false);
  wakeup.wake();
  expect(await settled(woken)).toBe(true);
});

it('keeps a wake-up that came while the loop was busy, once, unless cleared', async () => {
  vi.useFakeTimers();
  const wakeup = new Wakeable();
  wakeup.wake(); // while busy
  expect(await settled(wakeup.wait(60_000))).toBe(true);
  const next = wakeup.wait(60_000);
  expect(await settled(next)).toBe(false); // used up
  wakeup.wake();
  expect(await settled(next)).toBe(true);

  wakeup.wake();
  wakeup.clear();
  expect(await settled(wakeup.wait(60_000))).toBe(false);
});

it('once closed, every wait returns at once', async () => {
  vi.useFakeTimers();
  const wakeup = new Wakeable();
  const waiting = wakeup.wait(60_000);
  wakeup.close();
  expect(await settled(waiting)).toBe(true);
  expect(wakeup.isClosed).toBe(true);
  expect(await settled(wakeup.wait(60_000))).toBe(true);
  expect(await settled(wakeup.wait(60_000))).toBe(true);
});

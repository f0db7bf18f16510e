/**
 * Waits until `check` stops throwing (for effects of background work, or of time passing). The
 * limit only matters when something is broken: it is generous, so a loaded machine never hits it.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

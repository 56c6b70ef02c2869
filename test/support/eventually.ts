import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries `check` (an assertion) until it passes or `timeoutMs` is over, then throws its last
 * failure: for what other processes or sinks write a moment after the call that caused it.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

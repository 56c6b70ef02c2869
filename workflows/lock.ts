import { condition } from '@temporalio/workflow';

/**
 * A deterministic mutual-exclusion lock for workflow code, so the `pay` and `cancel` handlers
 * (and the expiry) never interleave around an in-flight charge.
 */
export class Lock {
  private held = false;

  async runExclusive<T>(critical: () => Promise<T>): Promise<T> {
    // A loop, not one wait: the SDK may unblock several waiting conditions in the same pass, and
    // only the first waiter to resume may take the lock.
    while (this.held) await condition(() => !this.held);
    this.held = true;
    try {
      return await critical();
    } finally {
      this.held = false;
    }
  }
}

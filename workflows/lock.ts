/**
 * A deterministic, first-come first-served mutual-exclusion lock for workflow code: pay, cancel,
 * ship, deliver, returns and the timers take it, so none of them acts on an order that another
 * one is still changing, and they are served in the order they arrived.
 */
export class Lock {
  private held = false;
  private readonly waiting: Array<() => void> = [];

  async runExclusive<T>(critical: () => Promise<T>): Promise<T> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held = true;
    try {
      return await critical();
    } finally {
      // Handed straight to the next in line, so nobody arriving later can overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.held = false;
    }
  }
}

const tasks: Array<() => Promise<unknown>> = [];

/** Registers clean-up for the end of the whole run, run last-registered first. */
export function onTeardown(task: () => Promise<unknown>): void {
  tasks.push(task);
}

export async function runTeardown(): Promise<void> {
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    try {
      await task();
    } catch (err) {
      console.error('teardown failed:', err);
    }
  }
}

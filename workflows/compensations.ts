import { CancellationScope } from '@temporalio/workflow';

/** One undo step; it learns why the saga is being unwound (e.g. to release stock as `expired`). */
export type Compensation<Reason> = (reason: Reason) => Promise<unknown>;

/**
 * The saga's undo stack: each step that changed the world pushes the step that reverses it.
 * Unwinding runs them newest first, one after another.
 */
export class Compensations<Reason> {
  private readonly steps: Compensation<Reason>[] = [];

  push(step: Compensation<Reason>): void {
    this.steps.push(step);
  }

  /**
   * Runs every pushed step in reverse order. Non-cancellable, because a cancelled workflow must
   * still give back what it took. A failing step is not caught: its activity is retried by
   * Temporal, and a step that fails for good fails the workflow loudly rather than leaving a
   * hold behind silently. Steps are popped as they complete, so unwinding twice never repeats one.
   */
  unwind(reason: Reason): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        await step(reason);
      }
    });
  }
}

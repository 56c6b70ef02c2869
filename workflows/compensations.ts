import { CancellationScope } from '@temporalio/workflow';

/** One undo step; it learns why the saga is being unwound (e.g. to release stock as `expired`). */
export type Compensation<Reason> = (reason: Reason) => Promise<unknown>;

/**
 * The saga's undo stack: each step that may change the world pushes the step that reverses it
 * (before the step runs when its outcome could be lost). Unwinding runs them newest first.
 */
export class Compensations<Reason> {
  private steps: Compensation<Reason>[] = [];

  push(step: Compensation<Reason>): Compensation<Reason> {
    this.steps.push(step);
    return step;
  }

  /** Takes a step back off the stack unrun: what it would undo is known not to have happened. */
  discard(step: Compensation<Reason>): void {
    this.steps = this.steps.filter((pushed) => pushed !== step);
  }

  /** The point of no return: nothing done so far is ever undone by unwinding. */
  cut(): void {
    this.steps = [];
  }

  get size(): number {
    return this.steps.length;
  }

  /**
   * Runs every pushed step in reverse order. Non-cancellable, because a cancelled workflow must
   * still give back what it took. Each step's activity is retried by Temporal for as long as the
   * failure may heal; a step that fails for good does not stop the others from running, and the
   * first such failure is thrown once all have run, so the saga fails loudly instead of leaving a
   * hold or a charge behind silently. Steps are popped as they run: unwinding twice repeats none.
   */
  unwind(reason: Reason): Promise<void> {
    return CancellationScope.nonCancellable(async () => {
      let failure: unknown;
      for (let step = this.steps.pop(); step; step = this.steps.pop()) {
        try {
          await step(reason);
        } catch (err) {
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    });
  }
}

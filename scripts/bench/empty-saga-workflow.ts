// The engine's ceiling for placing: the saga's shape with nothing in it. Update-with-Start
// starts it and waits on `placed`, which answers once three no-op steps have run (regular
// activities in one, local activities in the other), as the order saga answers once its three
// placing steps have. Bundled for the bench's own worker, on a task queue of its own.
import { allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { EmptySagaActivities } from './empty-saga';

export const placedUpdate = defineUpdate<string>('placed');

const regular = proxyActivities<EmptySagaActivities>({ startToCloseTimeout: '10s' });
const local = proxyLocalActivities<EmptySagaActivities>({ startToCloseTimeout: '10s' });

async function threeSteps(steps: EmptySagaActivities): Promise<void> {
  let placed = false;
  setHandler(placedUpdate, async () => {
    await condition(() => placed);
    return 'placed';
  });
  await steps.noop();
  await steps.noop();
  await steps.noop();
  placed = true;
  await condition(allHandlersFinished);
}

export async function emptySagaRegular(): Promise<void> {
  await threeSteps(regular);
}

export async function emptySagaLocal(): Promise<void> {
  await threeSteps(local);
}

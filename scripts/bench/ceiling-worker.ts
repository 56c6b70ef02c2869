// The empty saga's worker, a process of its own like the service's worker:
//   TEMPORAL_ADDRESS=127.0.0.1:7233 BENCH_TASK_QUEUE=bench-empty-saga node --import tsx scripts/bench/ceiling-worker.ts
// SDK defaults throughout: the ceiling is what the engine does without tuning for this service.
import { NativeConnection, Worker } from '@temporalio/worker';
import { CEILING_WORKER_READY, emptySagaActivities } from './empty-saga';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const taskQueue = process.env.BENCH_TASK_QUEUE ?? 'bench-empty-saga';
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./empty-saga-workflow'),
    activities: emptySagaActivities,
  });
  console.log(`${CEILING_WORKER_READY} on ${taskQueue} at ${address}`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error('ceiling worker failed:', err);
  process.exit(1);
});

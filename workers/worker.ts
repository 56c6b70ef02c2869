import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Db } from '../db/client';
import { createActivities } from '../activities';
import type { PaymentProvider } from '../activities/payment-provider';
import { activityInterceptors } from './activity-interceptors';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';

/**
 * The workflow interceptor modules: bundled with the workflows here and in the tests' shared
 * bundle, so replays and tests run exactly what production runs.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

export interface OrderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  paymentProvider: PaymentProvider;
  /** A pre-built bundle (tests build one and share it); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where sagas and activity failures are counted; a registry of its own when absent. */
  metrics?: WorkerMetrics;
  /** On shutdown, how long running activities may take to finish before they are handed back. */
  shutdownGraceMs?: number;
  /** Slots and pollers (WORKER_* settings); each unset one keeps the SDK's default. */
  slots?: { workflowTasks?: number; workflowPollers?: number; localActivities?: number; activities?: number; cachedWorkflows?: number };
}

/** A worker that runs OrderWorkflow and every activity it calls. */
export function createOrderWorker(options: OrderWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ db: options.db, paymentProvider: options.paymentProvider }),
    interceptors: {
      // Ignored with a pre-built bundle, which was built with the same modules.
      workflowModules: WORKFLOW_INTERCEPTOR_MODULES,
      activity: [activityInterceptors(options.metrics ?? createWorkerMetrics())],
    },
    ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceTime: options.shutdownGraceMs }),
    ...definedOnly({
      maxConcurrentWorkflowTaskExecutions: options.slots?.workflowTasks,
      maxConcurrentWorkflowTaskPolls: options.slots?.workflowPollers,
      maxConcurrentLocalActivityExecutions: options.slots?.localActivities,
      maxConcurrentActivityTaskExecutions: options.slots?.activities,
      maxCachedWorkflows: options.slots?.cachedWorkflows,
    }),
  });
}

function definedOnly<T extends Record<string, number | undefined>>(fields: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<Record<keyof T, number>>;
}

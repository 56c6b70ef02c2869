import { temporal as proto } from '@temporalio/proto';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { route, type Route } from '../route';

const PROBE_TIMEOUT_MS = 2_000;
/**
 * A worker long-polls for up to a minute; one whose last poll is older than this is gone. The
 * server forgets pollers only after some minutes, so its list alone would say ready too long.
 */
const POLLER_FRESH_MS = 75_000;

const DEPENDENCY = z.enum(['ok', 'unavailable']);

/**
 * Health (the process is up) and readiness (the database and Temporal answer, and a worker polls
 * the saga's task queue), both without credentials since probes never carry them.
 */
export function operationsRoutes({ config, database, temporal }: RouteDeps): Route[] {
  const ready = async () => {
    const deadline = () => Date.now() + PROBE_TIMEOUT_MS;
    const [db, engine, worker] = await Promise.all([
      answers(() => database.sql`select 1`),
      answers(() => temporal.withDeadline(deadline(), () => temporal.workflowService.getSystemInfo({}))),
      answers(async () => {
        const { pollers } = await temporal.withDeadline(deadline(), () =>
          temporal.workflowService.describeTaskQueue({
            namespace: config.TEMPORAL_NAMESPACE,
            taskQueue: { name: config.TASK_QUEUE, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          }),
        );
        const fresh = (pollers ?? []).some((poller) => Date.now() - secondsOf(poller.lastAccessTime) * 1000 < POLLER_FRESH_MS);
        if (!fresh) throw new Error(`no worker polls task queue ${config.TASK_QUEUE}`);
      }),
    ]);
    return {
      database: db ? 'ok' : 'unavailable',
      workflowEngine: engine ? 'ok' : 'unavailable',
      worker: worker ? 'ok' : 'unavailable',
    } as const;
  };

  return [
    route({
      method: 'get',
      path: '/health',
      tag: 'operations',
      summary: 'The process is running',
      access: 'public',
      answers: [{ status: 200, data: z.object({ status: z.literal('ok') }) }],
      handle: (_input, res) => sendData(res, 200, { status: 'ok' }),
    }),
    route({
      method: 'get',
      path: '/ready',
      tag: 'operations',
      summary: 'The database and the workflow engine answer, and a worker polls the saga task queue',
      description: 'The 503 names what is missing in `details`: `{ database, workflowEngine, worker }`, each `ok` or `unavailable`.',
      access: 'public',
      answers: [
        {
          status: 200,
          data: z.object({ status: z.literal('ready'), database: DEPENDENCY, workflowEngine: DEPENDENCY, worker: DEPENDENCY }),
        },
      ],
      errors: ['INVENTORY_UNAVAILABLE'],
      handle: async (_input, res) => {
        const checks = await ready();
        const missing = Object.entries(checks)
          .filter(([, state]) => state !== 'ok')
          .map(([name]) => name);
        if (missing.length > 0) {
          throw new DomainError('INVENTORY_UNAVAILABLE', `not ready: ${missing.join(', ')} unavailable`, checks);
        }
        sendData(res, 200, { status: 'ready', ...checks });
      },
    }),
  ];
}

/** A protobuf timestamp in seconds (0 when absent). */
function secondsOf(time: { seconds?: unknown } | null | undefined): number {
  return Number(time?.seconds ?? 0);
}

/** True when the probe answers within PROBE_TIMEOUT_MS. */
async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

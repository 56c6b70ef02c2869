import { Router, type RequestHandler } from 'express';
import { temporal as proto } from '@temporalio/proto';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { openApiDocument } from '../openapi';

const PROBE_TIMEOUT_MS = 2_000;
/**
 * A worker long-polls for up to a minute; one whose last poll is older than this is gone. The
 * server forgets pollers only after some minutes, so its list alone would say ready too long.
 */
const POLLER_FRESH_MS = 75_000;

/**
 * Health (the process is up) and readiness (the database and Temporal answer, and a worker polls
 * the saga's task queue), both without credentials since probes never carry them; and the
 * OpenAPI document, which needs them like everything else.
 */
export function operationsRouter({ config, database, temporal }: RouteDeps, authenticated: RequestHandler): Router {
  const router = Router();
  const document = openApiDocument();

  router.get('/health', (_req, res) => sendData(res, 200, { status: 'ok' }));

  router.get('/ready', async (_req, res) => {
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
    const checks = {
      database: db ? 'ok' : 'unavailable',
      workflowEngine: engine ? 'ok' : 'unavailable',
      worker: worker ? 'ok' : 'unavailable',
    };
    if (!db || !engine || !worker) {
      const missing = Object.entries(checks)
        .filter(([, state]) => state !== 'ok')
        .map(([name]) => name);
      throw new DomainError('INVENTORY_UNAVAILABLE', `not ready: ${missing.join(', ')} unavailable`, checks);
    }
    sendData(res, 200, { status: 'ready', ...checks });
  });

  router.get('/openapi.json', authenticated, (_req, res) => {
    res.status(200).json(document);
  });

  return router;
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

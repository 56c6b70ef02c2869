import { Router, type RequestHandler } from 'express';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { openApiDocument } from '../openapi';

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Health (no credentials: the process is up), readiness (the database and Temporal answer) and
 * the OpenAPI document. Readiness and the document need credentials like everything else.
 */
export function operationsRouter({ database, temporal }: RouteDeps, authenticated: RequestHandler): Router {
  const router = Router();
  const document = openApiDocument();

  router.get('/health', (_req, res) => sendData(res, 200, { status: 'ok' }));

  router.get('/ready', authenticated, async (_req, res) => {
    const [db, engine] = await Promise.all([
      answers(() => database.sql`select 1`),
      answers(() =>
        temporal.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({})),
      ),
    ]);
    const checks = { database: db ? 'ok' : 'unavailable', workflowEngine: engine ? 'ok' : 'unavailable' };
    if (!db || !engine) {
      throw new DomainError('INVENTORY_UNAVAILABLE', 'the database or the workflow engine does not answer', checks);
    }
    sendData(res, 200, { status: 'ready', ...checks });
  });

  router.get('/openapi.json', authenticated, (_req, res) => {
    res.status(200).json(document);
  });

  return router;
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

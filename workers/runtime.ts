import { Runtime } from '@temporalio/worker';
import type { Logger } from '../logging/logger';
import { temporalLogger } from '../logging/temporal-logger';

/**
 * Installs the Temporal SDK's process-wide runtime, once, before any connection or worker exists:
 * every SDK, workflow and activity log line goes to `logger` (native Core lines too, WARN and
 * above), and the SDK's own worker metrics are served in Prometheus format on `metricsBind`
 * (`host:port`) unless it is `off`.
 */
export function installWorkerRuntime({ logger, metricsBind }: { logger: Logger; metricsBind: string }): Runtime {
  return Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(metricsBind === 'off' ? {} : { metrics: { prometheus: { bindAddress: metricsBind } } }),
    },
  });
}

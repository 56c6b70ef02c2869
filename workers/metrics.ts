import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { FINAL_ORDER_STATUSES, ORDER_STATUSES, type OrderStatus } from '../domain/order';

/**
 * A way to add metrics to the worker's registry from elsewhere: a function that creates its
 * collectors with `registers: [registry]`. The event outbox registers its depth and oldest-age
 * gauges this way (`outbox_pending_events`, `outbox_oldest_pending_age_seconds`, which the
 * Grafana dashboard plots), for instance:
 *
 * ```ts
 * metrics.extend((registry) => new Gauge({ name: 'outbox_pending_events', help: '...', registers: [registry],
 *   async collect() { this.set(await countPending(db)); } }));
 * ```
 */
export type MetricsExtension = (registry: Registry) => void;

/**
 * The worker's Prometheus metrics (beside the Temporal SDK's own, served on TEMPORAL_METRICS_BIND):
 * sagas by outcome, every order status written, and activity failures by type. Counted from the
 * activities as they complete, so an activity retried after it had written counts twice.
 */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const outcomes = new Counter({
    name: 'order_saga_outcomes_total',
    help: 'Sagas that reached a final order status (rejected, cancelled, expired, returned)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const statuses = new Counter({
    name: 'order_status_changes_total',
    help: 'Order statuses written by the saga, by status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'activity_failures_total',
    help: 'Activity attempts that failed, by activity and failure type (the contract code for refusals)',
    labelNames: ['activity', 'type'] as const,
    registers: [registry],
  });

  return {
    registry,
    /** An order's status was written (setOrderStatus, or rejectOrder / rejectPlacement for `rejected`). */
    statusWritten(status: OrderStatus): void {
      statuses.inc({ status });
      if (FINAL_ORDER_STATUSES.includes(status)) outcomes.inc({ outcome: status });
    },
    activityFailed(activity: string, type: string): void {
      failures.inc({ activity, type });
    },
    extend(extension: MetricsExtension): void {
      extension(registry);
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export function isOrderStatus(value: unknown): value is OrderStatus {
  return (ORDER_STATUSES as readonly unknown[]).includes(value);
}

/**
 * Serves GET /metrics from `registry` on `port` (all interfaces, so Prometheus can reach it in a
 * container network). With a token, scrapes must present it as a bearer token, as at the API.
 */
export function serveMetrics(registry: Registry, options: { port: number; token?: string }): Promise<Server> {
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    const presented = Buffer.from(req.headers.authorization ?? '');
    if (expected && !(presented.length === expected.length && timingSafeEqual(presented, expected))) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer' }).end('unauthenticated\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => resolve(server));
  });
}

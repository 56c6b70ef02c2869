import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/client';
import { outboxStats, type OutboxStats } from '../db/outbox';

/** How long one scrape's reading of the outbox is reused by its three gauges. */
const READING_TTL_MS = 1_000;

/**
 * The outbox's depth and lag on the worker's /metrics (what the dashboard's outbox panels plot):
 * events waiting, events parked as failed, and the age of the oldest waiting one. Read from the
 * database at scrape time, once per scrape.
 */
export function registerOutboxGauges(registry: Registry, db: Db): void {
  let reading: { at: number; stats: Promise<OutboxStats> } | undefined;
  const current = () => {
    if (!reading || Date.now() - reading.at > READING_TTL_MS) reading = { at: Date.now(), stats: outboxStats(db) };
    return reading.stats;
  };
  const gauge = (name: string, help: string, value: (stats: OutboxStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(value(await current()));
      },
    });
  gauge('outbox_pending_events', 'Events written to the outbox and not yet published', (stats) => stats.pending);
  gauge('outbox_failed_events', 'Events the relay gave up on (GET /api/v1/events/failed)', (stats) => stats.failed);
  gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest event waiting to be published', (stats) => stats.oldestPendingAgeSeconds);
}

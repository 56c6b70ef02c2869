// `npm run bench:outbox`: how fast the outbox relay publishes, and how long it takes to catch up
// after the broker was away. Runs against a fresh database on DATABASE_URL's server (or an embedded
// PostgreSQL) and the pinned nats-server (or NATS_URL), with the relay settings of the environment
// (OUTBOX_BATCH_SIZE, ...; defaults otherwise).
//
//   BENCH_EVENTS       events written before the relay starts (default 20000)
//   BENCH_OUTAGE_S     how long the broker is away while writers keep going (default 10)
//   BENCH_SUBJECTS     distinct subjects (orders / stock levels) the events spread over (default 500)
//   BENCH_OUTBOX_JSON  also write the figures to this JSON file (`npm run bench` does)
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase, type Db } from '../db/client';
import { appendEvents, outboxStats } from '../db/outbox';
import { loadConfig } from '../domain/config';
import type { NewEvent } from '../domain/events';
import { createTestDatabase } from '../test/support/database';
import { brokerLink, testBroker } from '../test/support/nats';
import { outboxCount, startRelay } from '../test/support/outbox-relay';
import { runTeardown } from '../test/support/teardown';
import { relaySettings } from '../workers/outbox-relay';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_S ?? 10);
const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 500);
/** Events per writing transaction, and transactions writing at once: a busy service's shape. */
const EVENTS_PER_TX = 4;
const WRITERS = 8;

function eventFor(n: number): NewEvent {
  const productId = `sku-${n % SUBJECTS}`;
  return {
    type: 'inventory.adjusted',
    subject: `${productId}/wh-bench`,
    correlationId: `bench-${n}`,
    data: {
      productId,
      warehouseId: 'wh-bench',
      onHand: 100,
      reserved: 0,
      available: 100,
      lowStockThreshold: 5,
      reason: 'adjustment',
      deltaOnHand: 1,
      deltaReserved: 0,
      orderId: null,
      note: 'benchmark',
    },
  };
}

/** Writes `count` events, WRITERS transactions at a time; stops early when `until` says so. */
async function write(db: Db, count: number, until: () => boolean = () => false): Promise<number> {
  let next = 0;
  async function writer(): Promise<void> {
    while (next < count && !until()) {
      const first = next;
      next += EVENTS_PER_TX;
      const batch = Array.from({ length: Math.min(EVENTS_PER_TX, count - first) }, (_, i) => eventFor(first + i));
      await db.transaction((tx) => appendEvents(tx, batch));
    }
  }
  await Promise.all(Array.from({ length: WRITERS }, writer));
  return Math.min(next, count);
}

async function waitForEmptyOutbox(db: Db): Promise<void> {
  while ((await outboxCount(db, 'pending')) > 0) await sleep(20);
}

function perSecond(count: number, ms: number): string {
  return `${Math.round((count * 1000) / ms).toLocaleString('en-US')}/s`;
}

async function main(): Promise<void> {
  const broker = await testBroker();
  if (!broker) throw new Error('no NATS: set NATS_URL or run `npm run tools` for the pinned nats-server');
  const { url } = await createTestDatabase();
  const database = openDatabase(url, { max: WRITERS + 2 });
  const db = database.db;
  const tag = `bench${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ ...process.env, NATS_SUBJECT_PREFIX: `${tag}.orders-service.`, NATS_WAREHOUSE_SUBJECT_PREFIX: `${tag}.warehouse.` });
  const settings = relaySettings(config);
  const results: Record<string, string | number> = {};
  console.log(`[bench] ${EVENTS} events over ${SUBJECTS} subjects; relay batch ${settings.batchSize}, broker ${broker.url}`);

  // 1. Throughput: a backlog, then the relay drains it.
  let started = Date.now();
  await write(db, EVENTS);
  results['write (events/s, 8 writers, 4 per transaction)'] = perSecond(EVENTS, Date.now() - started);
  const link = await brokerLink(broker);
  const relay = await startRelay(url, link.url, settings);
  started = Date.now();
  await waitForEmptyOutbox(db);
  const drainMs = Date.now() - started;
  results['relay throughput, backlog drained (events/s)'] = perSecond(EVENTS, drainMs);

  // 2. Latency while idle: one event, from commit to marked published (NOTIFY wakes the relay).
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = Date.now();
    await db.transaction((tx) => appendEvents(tx, [eventFor(i)]));
    await waitForEmptyOutbox(db);
    latencies.push(Date.now() - t);
    await sleep(20);
  }
  latencies.sort((a, b) => a - b);
  results['idle: commit to published, p50 / p95 (ms)'] = `${latencies[24]} / ${latencies[47]}`;

  // 3. Outage: the broker is away while writers keep going, then comes back.
  await link.cut();
  let outage = true;
  const writtenDuringOutage = write(db, Number.MAX_SAFE_INTEGER, () => !outage);
  await sleep(OUTAGE_S * 1000);
  outage = false;
  const backlog = await writtenDuringOutage;
  const { oldestPendingAgeSeconds } = await outboxStats(db);
  started = Date.now();
  await link.restore();
  await waitForEmptyOutbox(db);
  const catchUpMs = Date.now() - started;
  results[`outage of ${OUTAGE_S} s: events written meanwhile`] = backlog;
  results['outage: oldest event waited (s)'] = Math.round(oldestPendingAgeSeconds);
  results['outage: catch-up after the broker returned (s)'] = (catchUpMs / 1000).toFixed(1);
  results['outage: catch-up rate (events/s)'] = perSecond(backlog, catchUpMs);

  await relay.stop();
  await database.close();
  console.table(results);
  if (process.env.BENCH_OUTBOX_JSON) writeFileSync(process.env.BENCH_OUTBOX_JSON, JSON.stringify(results, null, 2));
}

main()
  .catch((err) => {
    console.error('[bench] failed:', err);
    process.exitCode = 1;
  })
  .finally(() => runTeardown());

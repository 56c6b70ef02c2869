import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Client } from '@temporalio/client';
import { createOrderWorkflows } from '../api/order-workflows';
import { openDatabase, type Db } from '../db/client';
import type { Config } from '../domain/config';
import type { Logger } from '../logging/logger';
import { temporalLogger } from '../logging/temporal-logger';
import { createOutboxRelay, relaySettings, type OutboxRelay } from './outbox-relay';
import { createWarehouseEventConsumer, warehouseEventSettings, type WarehouseEventConsumer } from './warehouse-events';

const CONNECT_RETRY_MS = 2_000;

export interface EventTransportDeps {
  config: Config;
  databaseUrl: string;
  /** The worker's pool, for the warehouse consumer's reads. */
  db: Db;
  /** For the saga calls the warehouse consumer makes, as the API makes them. */
  temporal: Client;
  /** The worker's logger; the relay and the consumer log as children of it. */
  logger: Logger;
}

export interface EventTransport {
  stop(): Promise<void>;
}

/**
 * The worker's side of NATS: the outbox relay and the warehouse consumer. Without NATS_URL both
 * are off and events wait in the outbox. A broker away at start-up only delays them: the
 * connection is retried until it succeeds (and then the client reconnects by itself).
 */
export function startEventTransport({ config, databaseUrl, db, temporal, logger }: EventTransportDeps): EventTransport {
  const named = (name: string) => temporalLogger(logger.child({ name }));
  const log = named('events');
  if (!config.NATS_URL) {
    log.info('NATS_URL is not set: the outbox relay and the warehouse consumer are off; events wait in the outbox');
    return { stop: async () => {} };
  }
  const servers = config.NATS_URL;
  const stopping = new AbortController();
  // The relay's lead is a session of its own (see createOutboxRelay).
  const relayDatabase = openDatabase(databaseUrl, { max: 1 });
  let nats: NatsConnection | undefined;
  let relay: OutboxRelay | undefined;
  let consumer: WarehouseEventConsumer | undefined;

  const started = (async () => {
    while (!stopping.signal.aborted) {
      try {
        nats = await connect({ servers, name: 'order-saga-worker', maxReconnectAttempts: -1, reconnectTimeWait: 1_000 });
        break;
      } catch (err) {
        log.warn(`NATS at ${servers} does not answer; trying again`, { error: String(err) });
        await sleep(CONNECT_RETRY_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
    if (!nats || stopping.signal.aborted) return;
    log.info(`connected to NATS at ${servers}`);
    relay = createOutboxRelay({ sql: relayDatabase.sql, nats, settings: relaySettings(config), log: named('outbox-relay') });
    consumer = createWarehouseEventConsumer({
      nats,
      db,
      moves: createOrderWorkflows(config, temporal),
      settings: warehouseEventSettings(config),
      log: named('warehouse-events'),
    });
    relay.start();
    consumer.start();
  })();

  return {
    async stop() {
      stopping.abort();
      await started;
      await Promise.all([relay?.stop(), consumer?.stop()]);
      await nats?.drain().catch(() => undefined);
      await relayDatabase.close();
    },
  };
}

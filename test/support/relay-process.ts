// A relay in a process of its own, for the test that kills one between publishing and marking:
// with RELAY_KILL_AFTER_ACK=1 it SIGKILLs itself as soon as the broker has acknowledged its first
// batch, before the rows are marked published. Settings come from the environment (RELAY_SETTINGS).
import { connect } from '@nats-io/transport-node';
import postgres from 'postgres';
import { createOutboxRelay, type RelaySettings } from '../../workers/outbox-relay';
import { temporalLogger } from '../../logging/temporal-logger';
import { testLogger } from './logs';

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.RELAY_SETTINGS!) as RelaySettings;
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  const nats = await connect({ servers: process.env.NATS_URL!, maxReconnectAttempts: -1, waitOnFirstConnect: true });
  const relay = createOutboxRelay({
    sql,
    nats,
    settings,
    log: temporalLogger(testLogger.child({ name: 'relay-process' })),
    onAcknowledged: (events) => {
      if (process.env.RELAY_KILL_AFTER_ACK !== '1') return;
      console.log(`acknowledged ${events.length}; dying before marking them`);
      process.kill(process.pid, 'SIGKILL');
    },
  });
  relay.start();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

// The ceilings the service is measured against, driven the same way as the placements: the
// engine's (the empty saga over Update-with-Start, regular and local activities) and the
// database's (the reservation's conditional UPDATE on its own, one row a statement).
import { randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import postgres from 'postgres';
import { EMPTY_SAGA_WORKFLOWS } from './empty-saga';
import { placedUpdate } from './empty-saga-workflow';
import type { Call } from './load';

export type EmptySagaKind = keyof typeof EMPTY_SAGA_WORKFLOWS;

/** Update-with-Start of an empty saga, as the API places an order: one round trip, answered once the steps ran. */
export async function connectEmptySagas(address: string, taskQueue: string) {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const call =
    (kind: EmptySagaKind): Call =>
    async () => {
      const start = new WithStartWorkflowOperation(EMPTY_SAGA_WORKFLOWS[kind], {
        workflowId: `bench-${kind}-${randomUUID()}`,
        taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      try {
        await client.workflow.executeUpdateWithStart(placedUpdate, { startWorkflowOperation: start });
        return 'placed';
      } catch (err) {
        return `error ${(err as Error).name}`;
      }
    };
  return { call, close: () => connection.close() };
}

const CEILING_TABLE = 'bench_ceiling_levels';

/**
 * The reservation's core on its own: `UPDATE ... SET reserved = reserved + q WHERE ... AND
 * on_hand - reserved >= q`, single statements over `rows` rows of a table shaped like
 * inventory_levels, in a scratch table of the service's database (dropped on close).
 */
export async function connectStockUpdates(databaseUrl: string, rows: number, poolSize: number) {
  const sql = postgres(databaseUrl, { max: poolSize, onnotice: () => {} });
  await sql.unsafe(`DROP TABLE IF EXISTS ${CEILING_TABLE}`);
  await sql.unsafe(`
    CREATE TABLE ${CEILING_TABLE} (
      product_id text NOT NULL, warehouse_id text NOT NULL,
      on_hand integer NOT NULL, reserved integer NOT NULL DEFAULT 0,
      PRIMARY KEY (product_id, warehouse_id),
      CHECK (reserved >= 0 AND reserved <= on_hand)
    )`);
  await sql.unsafe(
    `INSERT INTO ${CEILING_TABLE} (product_id, warehouse_id, on_hand)
     SELECT 'sku-' || n, 'wh-bench', 1000000000 FROM generate_series(0, ${rows - 1}) AS n`,
  );
  /** `hot`: every statement on the same row, as a flash sale's reservations are. */
  const call =
    (hot: boolean): Call =>
    async () => {
      const productId = `sku-${hot ? 0 : Math.floor(Math.random() * rows)}`;
      const updated = await sql`
        UPDATE bench_ceiling_levels SET reserved = reserved + 1
        WHERE product_id = ${productId} AND warehouse_id = 'wh-bench' AND on_hand - reserved >= 1`;
      return updated.count === 1 ? 'reserved' : 'refused';
    };
  return {
    call,
    close: async () => {
      await sql.unsafe(`DROP TABLE IF EXISTS ${CEILING_TABLE}`);
      await sql.end({ timeout: 5 });
    },
  };
}

import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/messages';

/** Registers the workflows' search attributes (OrderStatus, CustomerId, HoldStatus, HoldId) unless they are there already. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = ORDER_SEARCH_ATTRIBUTES.filter((key) => !(key.name in customAttributes));
  if (missing.length > 0) await addSearchAttributes(connection, namespace, missing);
}

/** Adds Keyword search attributes (the saga's are all keywords), without asking what is there. */
export async function addSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly { name: string }[],
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      keys.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from '../support/http';
import { KEYS, type Stack } from '../support/stack';

/**
 * Waits (up to `timeoutMs`) until the order's status reads `status`: the saga records some
 * changes (shipped, delivered, a closed return window) after the call that caused them answers.
 */
export async function orderStatusBecomes(stack: Stack, orderId: string, status: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.admin })).body.data.status;
    if (seen === status) return;
    await sleep(100);
  }
  assert.equal(seen, status);
}

/**
 * The saga's view of its activities: proxies with the retry policy each kind of step needs.
 * Types only from activities/: nothing here does I/O.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * The steps a shopper waits on while an order is placed. Bounded: a database that stays away
 * ends the saga (compensated) within a minute instead of leaving it retrying behind a 503.
 */
export const placing = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '200ms', maximumInterval: '5s' },
});

/**
 * The same steps as local activities (`local-placing`): run by the worker that runs the saga's
 * workflow task, their results recorded with it, so placing takes one task. Bounded the same way.
 */
export const placingLocally = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '200ms', maximumInterval: '5s' },
});

/**
 * Taking a stock hold's units over: a regular activity, since it waits on the hold's own workflow
 * (its lock, its conversion), bounded like the other placing steps.
 */
export const adoption = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1m',
  retry: { initialInterval: '200ms', maximumInterval: '5s' },
});

/**
 * Everything else, compensations included: retried for as long as the failure may heal (a
 * database or provider away). Failures that will not heal (a refusal, a constraint or data
 * error) are non-retryable, so they end the saga with its compensations instead of for ever.
 */
export const durable = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});

/**
 * The charge: one call may take `paymentTimeoutMs`, and a payer waits on the `pay` update, so
 * its attempts are few; when the provider stays silent the payer hears PAYMENT_UNAVAILABLE and
 * the order stays payable (its outcome is found out before the order can end).
 */
export function payments(paymentTimeoutMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: paymentTimeoutMs,
    retry: { maximumAttempts: 3, initialInterval: '1s', nonRetryableErrorTypes: ['PAYMENT_DECLINED'] },
  });
}

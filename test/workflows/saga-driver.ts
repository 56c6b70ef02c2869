/**
 * What the workflow tests share: a time-skipping server per suite, a worker per test over fake
 * activities, and a driver that talks to sagas the way the API does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { CancelledFailure } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DomainError } from '../../domain/errors';
import { fromTemporalFailure } from '../../domain/failure';
import { workflowIdFor } from '../../domain/order';
import {
  deliverUpdate,
  ORDER_WORKFLOW_TYPE,
  payUpdate,
  placeOrderUpdate,
  shipUpdate,
  stateQuery,
  type OrderState,
  type PlaceOrderInput,
} from '../../workflows/messages';
import type { orderWorkflow } from '../../workflows/order';
import { sharedWorkflowBundle, startTimeSkippingServer } from '../support/temporal';
import { CallLog, fakeActivities, type FakeActivityOptions } from './fake-activities';

export const FIFTEEN_MINUTES = 15 * 60_000;
export const DAY = 24 * 60 * 60_000;

export type OrderHandle = WorkflowHandle<typeof orderWorkflow>;

export interface WorkflowHarness {
  /** The suite's time-skipping server (started in `before`). */
  readonly env: TestWorkflowEnvironment;
  /** Runs `body` with a worker of its own whose fake activities record into a fresh log. */
  withWorker(options: FakeActivityOptions, body: (saga: SagaDriver) => Promise<void>, server?: TestWorkflowEnvironment): Promise<void>;
  /**
   * Polls the saga's task queue until `body` settles; meanwhile its sagas can make progress.
   * `uncached`: keeps no saga in memory, so none is bound to this worker (a sticky queue) after it stops.
   */
  runWorker(saga: SagaDriver, options: FakeActivityOptions, body: () => Promise<void>, flags?: { uncached?: boolean }): Promise<void>;
}

/** Registers the suite's server hooks and returns what its tests drive sagas with. */
export function workflowHarness(): WorkflowHarness {
  let env: TestWorkflowEnvironment | undefined;
  before(async function () {
    env = await startTimeSkippingServer();
  });
  after(async function () {
    await env?.teardown();
  });

  const harness: WorkflowHarness = {
    get env() {
      if (!env) throw new Error('the time-skipping server is used before its before() hook ran');
      return env;
    },
    async withWorker(options, body, server = harness.env) {
      const saga = new SagaDriver(server, `order-workflow-test-${randomUUID()}`, new CallLog());
      try {
        await harness.runWorker(saga, options, () => body(saga));
      } finally {
        // Sagas left open (awaiting payment, awaiting delivery) would fire timers in later tests.
        await saga.terminateOpenSagas();
      }
    },
    async runWorker(saga, options, body, { uncached = false } = {}) {
      const worker = await Worker.create({
        connection: saga.env.nativeConnection,
        taskQueue: saga.taskQueue,
        workflowBundle: await sharedWorkflowBundle(),
        activities: fakeActivities(saga.log, options),
        ...(uncached ? { maxCachedWorkflows: 0 } : {}),
      });
      await worker.runUntil(body());
    },
  };
  return harness;
}

/** Drives one worker's sagas the way the API does: Update-with-Start, then updates. */
export class SagaDriver {
  private readonly orderIds = new Set<string>();

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly taskQueue: string,
    readonly log: CallLog,
  ) {}

  input(overrides: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
    return {
      orderId: randomUUID(),
      customerId: 'alice',
      items: [{ productId: 'sku-mug', warehouseId: 'wh-east', quantity: 2 }],
      shippingAddress: '1 Main St',
      voucherCode: null,
      requestHash: 'hash-of-the-placing-body',
      reservationTtlMs: FIFTEEN_MINUTES,
      paymentTimeoutMs: 5_000,
      ...overrides,
    };
  }

  async place(
    input: PlaceOrderInput = this.input(),
    requestHash = input.requestHash,
  ): Promise<{ input: PlaceOrderInput; state: OrderState; handle: OrderHandle }> {
    this.orderIds.add(input.orderId);
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof orderWorkflow>(ORDER_WORKFLOW_TYPE, {
      workflowId: workflowIdFor(input.orderId),
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
    const state = await this.env.client.workflow.executeUpdateWithStart(placeOrderUpdate, {
      args: [{ requestHash }],
      startWorkflowOperation,
    });
    return { input, state, handle: this.handleFor(input) };
  }

  /** Places and pays an order; answers once it is confirmed. */
  async paid(input: PlaceOrderInput = this.input()): Promise<{ input: PlaceOrderInput; state: OrderState; handle: OrderHandle }> {
    const { handle } = await this.place(input);
    const state = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
    return { input, state, handle };
  }

  /** Pays (unless paid), ships and delivers every delivery order; answers once the saga has recorded it delivered. */
  async deliver(handle: OrderHandle): Promise<void> {
    let state = await handle.query(stateQuery);
    if (state.status === 'awaiting_payment') state = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: null }] });
    for (const update of [shipUpdate, deliverUpdate]) {
      for (const deliveryOrderId of state.deliveryOrderIds) state = await handle.executeUpdate(update, { args: [{ deliveryOrderId }] });
    }
    assert.equal(state.status, 'delivered');
  }

  handleFor(input: PlaceOrderInput): OrderHandle {
    this.orderIds.add(input.orderId);
    return this.env.client.workflow.getHandle<typeof orderWorkflow>(workflowIdFor(input.orderId));
  }

  async terminateOpenSagas(): Promise<void> {
    for (const orderId of this.orderIds) {
      const handle = this.env.client.workflow.getHandle(workflowIdFor(orderId));
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') await handle.terminate('test finished');
    }
  }
}

/** The contract refusal a workflow update or Update-with-Start failed with. */
export async function refusalOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    const refusal = fromTemporalFailure(err);
    if (refusal) return refusal;
    throw err;
  }
  assert.fail('expected the call to be refused');
}

export function rejection(outcome: PromiseSettledResult<unknown>): unknown {
  assert.equal(outcome.status, 'rejected');
  return outcome.reason;
}

export async function assertCancelled(handle: OrderHandle): Promise<void> {
  await assert.rejects(handle.result(), (err) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
}

/** Polls the saga's state until `ready` holds; fails the test after a bounded number of tries. */
export async function untilState(handle: OrderHandle, ready: (state: OrderState) => boolean, what: string): Promise<OrderState> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const state = await handle.query(stateQuery);
    if (ready(state)) return state;
    await setTimeout(25);
  }
  assert.fail(`the saga never reached: ${what}`);
}

/**
 * A stock hold's messages: one source of truth shared by StockHoldWorkflow, the API and the
 * activity an order saga adopts a hold through. Only definitions and plain types here.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ReservedOrder, ReserveStockInput } from '../activities/inventory';
import type { HoldStatus } from '../domain/holds';
import type { OrderLineRequest } from '../domain/order';
import type { StockLine } from '../domain/stock';

export const STOCK_HOLD_WORKFLOW_TYPE = 'stockHoldWorkflow';

/** The workflow's input: one per hold, id `hold-<holdId>`. */
export interface StockHoldInput {
  holdId: string;
  customerId: string;
  items: OrderLineRequest[];
  /** How long the hold lasts from its start (expiresIn, else RESERVATION_TTL). */
  expiresInMs: number;
  /** The longest it may last from its start, extensions included (HOLD_MAX_TTL). */
  maxTtlMs: number;
  /** How many times it may be extended (RESERVATION_MAX_EXTENSIONS). */
  maxExtensions: number;
  metadata: Record<string, unknown>;
}

/** `pending` while it is being placed; `rejected` when it could not be (nothing was held). */
export type HoldRunStatus = 'pending' | 'rejected' | HoldStatus;

/** What the workflow knows of its hold; answered by the `state` query and the updates. */
export interface HoldState {
  holdId: string;
  customerId: string;
  status: HoldRunStatus;
  expiresAt: string | null;
  maxExpiresAt: string | null;
  extensions: number;
  /** What is held, per (product, warehouse). */
  lines: StockLine[];
  /** The order that adopted the hold, once converted. */
  convertedOrderId: string | null;
  /** Why it was rejected: the contract error code and message. */
  failure: { code: string; message: string } | null;
}

export interface ExtendRequest {
  /** How much later the hold should lapse; capped at the hold's ceiling. */
  byMs: number;
}

/** Sent with Update-with-Start; returns once the stock is held (or fails with the refusal). */
export const placeHoldUpdate = defineUpdate<HoldState, []>('placeHold');
/** Gives the units back; a released or expired hold answers as it is; HOLD_NOT_ACTIVE once converted. */
export const releaseHoldUpdate = defineUpdate<HoldState, []>('release');
/** Pushes the expiry out; HOLD_NOT_ACTIVE, or HOLD_NOT_EXTENDABLE past its limits. */
export const extendHoldUpdate = defineUpdate<HoldState, [ExtendRequest]>('extend');
/**
 * Places an order on the hold's units (the order saga's reservation, without reserving again);
 * HOLD_NOT_ACTIVE once expired, released or converted by another order, HOLD_MISMATCH for other
 * items. The same order adopting again gets the same answer.
 */
export const adoptHoldUpdate = defineUpdate<ReservedOrder, [ReserveStockInput]>('adopt');
export const holdStateQuery = defineQuery<HoldState>('state');

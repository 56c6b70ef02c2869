/**
 * In-memory stand-ins for the saga's activities, for workflow unit tests only: each records its
 * calls in one shared CallLog (so tests can assert order across concerns) and can be told how to
 * answer. Typed against the real activity types, so a signature change breaks these tests.
 */
import type { Activities } from '../../activities';
import type { DeliveryActivities } from '../../activities/delivery';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { PaymentActivities } from '../../activities/payments';
import { DomainError } from '../../domain/errors';
import { toApplicationFailure } from '../../domain/failure';
import type { OrderLineRequest, Quote } from '../../domain/order';

export const UNIT_PRICE = 1250;

export interface ActivityCall {
  name: keyof Activities;
  args: unknown[];
}

/** Every activity call of one test, in the order the workflow made them. */
export class CallLog {
  readonly calls: ActivityCall[] = [];

  record(name: keyof Activities, args: unknown[]): void {
    this.calls.push({ name, args });
  }

  names(): Array<keyof Activities> {
    return this.calls.map((call) => call.name);
  }

  argsOf(name: keyof Activities): unknown[][] {
    return this.calls.filter((call) => call.name === name).map((call) => call.args);
  }
}

/** Holds an activity until the test opens it; `reached` tells the test the activity is waiting. */
export class Gate {
  readonly reached: Promise<void>;
  readonly opened: Promise<void>;
  private arrive!: () => void;
  open!: () => void;

  constructor() {
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.opened = new Promise((resolve) => (this.open = resolve));
  }

  pass(): Promise<void> {
    this.arrive();
    return this.opened;
  }
}

export function quoteFor(items: OrderLineRequest[]): Quote {
  const lines = items.map((item) => ({ ...item, unitPrice: UNIT_PRICE, lineTotal: UNIT_PRICE * item.quantity }));
  const subtotal = lines.reduce((sum, line) => sum + line.lineTotal, 0);
  return { lines, subtotal, discount: 0, total: subtotal, currency: 'USD' };
}

/**
 * Prices every line at UNIT_PRICE; `refusal` makes checkAvailability refuse like the real one,
 * `availabilityGate` holds it, `releaseOutages` makes the first releases fail like an unreachable database.
 */
export function fakeInventory(
  log: CallLog,
  options: { refusal?: DomainError; releaseOutages?: number; availabilityGate?: Gate } = {},
): InventoryActivities {
  let outages = options.releaseOutages ?? 0;
  return {
    async checkAvailability(items) {
      log.record('checkAvailability', [items]);
      await options.availabilityGate?.pass();
      if (options.refusal) throw toApplicationFailure(options.refusal);
      return quoteFor(items);
    },
    async reserveStock(input) {
      log.record('reserveStock', [input]);
      return { orderId: input.orderId, expiresAt: input.expiresAt };
    },
    async releaseStock(orderId, reason) {
      log.record('releaseStock', [orderId, reason]);
      if (outages > 0) {
        outages -= 1;
        throw new Error('connection refused: the database is unreachable');
      }
    },
    async commitStock(orderId) {
      log.record('commitStock', [orderId]);
    },
  };
}

/**
 * The sandbox provider's rules: `tok_decline…` declines, `tok_timeout…` answers too late,
 * anything else succeeds. With `gate`, a successful charge waits for the test to open it.
 */
export function fakePayments(log: CallLog, options: { gate?: Gate; lateAnswerMs?: number } = {}): PaymentActivities {
  return {
    async chargePayment(input) {
      log.record('chargePayment', [input]);
      if (input.paymentToken?.startsWith('tok_decline')) {
        throw toApplicationFailure(new DomainError('PAYMENT_DECLINED', 'the card was declined', { declineCode: 'card_declined' }));
      }
      if (input.paymentToken?.startsWith('tok_timeout')) {
        await new Promise((resolve) => setTimeout(resolve, options.lateAnswerMs ?? 1_000));
      }
      await options.gate?.pass();
      return { paymentId: `payment-${input.idempotencyKey}`, status: 'succeeded' };
    },
    async refundPayment(orderId) {
      log.record('refundPayment', [orderId]);
    },
  };
}

export function fakeOrders(log: CallLog): OrderActivities {
  return {
    async rejectOrder(input) {
      log.record('rejectOrder', [input]);
    },
    async setOrderStatus(orderId, status, cancelReason = null) {
      log.record('setOrderStatus', [orderId, status, cancelReason]);
    },
  };
}

/** One delivery order per entry of `warehouses` (default one), ids `<orderId>-do-<n>`. */
export function fakeDelivery(log: CallLog, options: { warehouses?: number } = {}): DeliveryActivities {
  return {
    async createDeliveryOrders(orderId) {
      log.record('createDeliveryOrders', [orderId]);
      return Array.from({ length: options.warehouses ?? 1 }, (_, n) => `${orderId}-do-${n + 1}`);
    },
    async markDeliveryOrder(deliveryOrderId, status) {
      log.record('markDeliveryOrder', [deliveryOrderId, status]);
    },
  };
}

export interface FakeActivityOptions {
  refusal?: DomainError;
  releaseOutages?: number;
  availabilityGate?: Gate;
  chargeGate?: Gate;
  lateAnswerMs?: number;
  warehouses?: number;
}

/** All fakes over one log, shaped like the worker's real activities. */
export function fakeActivities(log: CallLog, options: FakeActivityOptions = {}): Activities {
  return {
    ...fakeInventory(log, {
      refusal: options.refusal,
      releaseOutages: options.releaseOutages,
      availabilityGate: options.availabilityGate,
    }),
    ...fakePayments(log, { gate: options.chargeGate, lateAnswerMs: options.lateAnswerMs }),
    ...fakeOrders(log),
    ...fakeDelivery(log, { warehouses: options.warehouses }),
  };
}

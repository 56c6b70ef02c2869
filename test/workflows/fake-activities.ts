/**
 * In-memory stand-ins for the saga's activities, for workflow unit tests only: each records its
 * calls in one shared CallLog (so tests can assert order across concerns) and can be told how to
 * answer. Typed against the real activity types, so a signature change breaks these tests.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { CustomerActivities } from '../../activities/customers';
import type { DeliveryActivities } from '../../activities/delivery';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { PaymentActivities } from '../../activities/payments';
import type { ReturnActivities } from '../../activities/returns';
import type { VoucherActivities } from '../../activities/vouchers';
import { DomainError } from '../../domain/errors';
import { toApplicationFailure } from '../../domain/failure';
import type { AllocatedLine, OrderLineRequest, Quote } from '../../domain/order';

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

/** What the fake warehouse holds per order: the allocated lines, and how many units came back. */
export class FakeLedger {
  readonly allocations = new Map<string, AllocatedLine[]>();
  readonly returned = new Map<string, Map<string, number>>();
}

/** The warehouse a fake reservation allocates a line to when the request names none. */
export const DEFAULT_WAREHOUSE = 'wh-east';

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
  ledger: FakeLedger,
  options: {
    refusal?: DomainError;
    reserveRefusal?: DomainError;
    releaseOutages?: number;
    availabilityGate?: Gate;
    commitFailure?: boolean;
  } = {},
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
      if (options.reserveRefusal) throw toApplicationFailure(options.reserveRefusal);
      const lines = input.quote.lines.map((line) => ({ ...line, warehouseId: line.warehouseId ?? DEFAULT_WAREHOUSE }));
      ledger.allocations.set(input.orderId, lines);
      return { orderId: input.orderId, expiresAt: input.expiresAt, lines };
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
      if (options.commitFailure) {
        // Not a business refusal and not retried: a failure the saga has no answer for.
        throw ApplicationFailure.create({ type: 'LedgerInvariantBroken', message: 'the ledger disagrees', nonRetryable: true });
      }
    },
    async restockStock(orderId) {
      log.record('restockStock', [orderId]);
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
    async settlePayments(orderId) {
      log.record('settlePayments', [orderId]);
      return { voided: 0, refunded: 0 };
    },
    async refundPartial(input) {
      log.record('refundPartial', [input]);
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
    async cancelDeliveryOrders(orderId) {
      log.record('cancelDeliveryOrders', [orderId]);
    },
    async markDeliveryOrder(deliveryOrderId, status) {
      log.record('markDeliveryOrder', [deliveryOrderId, status]);
    },
  };
}

/** `customerRefusal` makes validateCustomer refuse like the real one (CUSTOMER_NOT_ALLOWED). */
export function fakeCustomers(log: CallLog, options: { customerRefusal?: DomainError } = {}): CustomerActivities {
  return {
    async validateCustomer(customerId, orderId) {
      log.record('validateCustomer', orderId === undefined ? [customerId] : [customerId, orderId]);
      if (options.customerRefusal) throw toApplicationFailure(options.customerRefusal);
    },
  };
}

/** Every voucher is worth `discount` (default 500); `voucherRefusal` makes redemption refuse. */
export function fakeVouchers(
  log: CallLog,
  options: { discount?: number; voucherRefusal?: DomainError } = {},
): VoucherActivities {
  return {
    async redeemVoucher(input) {
      log.record('redeemVoucher', [input]);
      if (options.voucherRefusal) throw toApplicationFailure(options.voucherRefusal);
      return { discount: options.discount ?? 500 };
    },
    async releaseVoucher(orderId) {
      log.record('releaseVoucher', [orderId]);
    },
  };
}

/**
 * Takes back what the fake reservation allocated, never more (RETURN_NOT_ALLOWED, like the real
 * one), refunding UNIT_PRICE per unit.
 */
export function fakeReturns(log: CallLog, ledger: FakeLedger): ReturnActivities {
  const pairOf = (line: { productId: string; warehouseId: string }) => `${line.productId}@${line.warehouseId}`;
  return {
    async recordReturn(input) {
      log.record('recordReturn', [input]);
      const returned = new Map(ledger.returned.get(input.orderId)); // a copy: a refusal changes nothing
      const left = new Map<string, number>();
      for (const line of ledger.allocations.get(input.orderId) ?? []) {
        left.set(pairOf(line), (left.get(pairOf(line)) ?? 0) + line.quantity - (returned.get(pairOf(line)) ?? 0));
      }
      const asked: Array<[string, number]> = input.items
        ? input.items.map((item) => [pairOf(item), item.quantity])
        : [...left].filter(([, quantity]) => quantity > 0);
      for (const [pair, quantity] of asked) {
        if (quantity > (left.get(pair) ?? 0)) {
          throw toApplicationFailure(new DomainError('RETURN_NOT_ALLOWED', `only ${left.get(pair) ?? 0} of ${pair} can come back`));
        }
        left.set(pair, left.get(pair)! - quantity);
        returned.set(pair, (returned.get(pair) ?? 0) + quantity);
      }
      ledger.returned.set(input.orderId, returned);
      return {
        returnId: input.returnId,
        refundAmount: asked.reduce((sum, [, quantity]) => sum + quantity * UNIT_PRICE, 0),
        everythingReturned: [...left.values()].every((quantity) => quantity === 0),
      };
    },
  };
}

export interface FakeActivityOptions {
  refusal?: DomainError;
  reserveRefusal?: DomainError;
  customerRefusal?: DomainError;
  voucherRefusal?: DomainError;
  discount?: number;
  commitFailure?: boolean;
  releaseOutages?: number;
  availabilityGate?: Gate;
  chargeGate?: Gate;
  lateAnswerMs?: number;
  warehouses?: number;
}

/** All fakes over one log, shaped like the worker's real activities. */
export function fakeActivities(log: CallLog, options: FakeActivityOptions = {}): Activities {
  const ledger = new FakeLedger();
  return {
    ...fakeInventory(log, ledger, {
      refusal: options.refusal,
      reserveRefusal: options.reserveRefusal,
      releaseOutages: options.releaseOutages,
      availabilityGate: options.availabilityGate,
      commitFailure: options.commitFailure,
    }),
    ...fakePayments(log, { gate: options.chargeGate, lateAnswerMs: options.lateAnswerMs }),
    ...fakeOrders(log),
    ...fakeDelivery(log, { warehouses: options.warehouses }),
    ...fakeCustomers(log, { customerRefusal: options.customerRefusal }),
    ...fakeVouchers(log, { discount: options.discount, voucherRefusal: options.voucherRefusal }),
    ...fakeReturns(log, ledger),
  };
}

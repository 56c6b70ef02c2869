/**
 * In-memory stand-ins for the saga's activities, for workflow unit tests only: each records its
 * calls in one shared CallLog (so tests can assert order across concerns) and can be told how to
 * answer. Typed against the real activity types, so a signature change breaks these tests.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type { CustomerActivities } from '../../activities/customers';
import type { DeliveryActivities } from '../../activities/delivery';
import type { HoldActivities } from '../../activities/holds';
import type { InventoryActivities } from '../../activities/inventory';
import type { OrderActivities } from '../../activities/orders';
import type { PaymentActivities } from '../../activities/payments';
import type { ReturnActivities } from '../../activities/returns';
import type { VoucherActivities } from '../../activities/vouchers';
import { DomainError } from '../../domain/errors';
import { toApplicationFailure } from '../../domain/failure';
import { ORDER_ALREADY_PLACED, type AllocatedLine, type OrderLineRequest, type Quote } from '../../domain/order';

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

export function quoteFor(items: OrderLineRequest[], unitPrice = UNIT_PRICE): Quote {
  const lines = items.map((item) => ({ ...item, unitPrice, lineTotal: unitPrice * item.quantity }));
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
    extensionGate?: Gate;
    commitFailure?: boolean;
    reserveFailure?: boolean;
    unitPrice?: number;
  } = {},
): InventoryActivities {
  let outages = options.releaseOutages ?? 0;
  return {
    async checkAvailability(items) {
      log.record('checkAvailability', [items]);
      await options.availabilityGate?.pass();
      if (options.refusal) throw toApplicationFailure(options.refusal);
      return quoteFor(items, options.unitPrice);
    },
    async priceItems(items) {
      log.record('priceItems', [items]);
      return quoteFor(items, options.unitPrice);
    },
    async reserveStock(input) {
      log.record('reserveStock', [input]);
      if (options.reserveRefusal) throw toApplicationFailure(options.reserveRefusal);
      if (options.reserveFailure) {
        throw ApplicationFailure.create({ type: 'DatabaseRejected', message: 'value out of range', nonRetryable: true });
      }
      const lines = input.quote.lines.map((line) => ({ ...line, warehouseId: line.warehouseId ?? DEFAULT_WAREHOUSE }));
      ledger.allocations.set(input.orderId, lines);
      return { orderId: input.orderId, expiresAt: input.expiresAt, lines };
    },
    async extendReservation(orderId, expiresAt) {
      log.record('extendReservation', [orderId, expiresAt]);
      await options.extensionGate?.pass();
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

/** What the fake provider holds: per idempotency key, the amount charged and not given back. */
export class FakeProvider {
  readonly kept = new Map<string, number>();
  /** The keys each settlePayments was told the saga charged with. */
  readonly settledKeys: (readonly string[])[] = [];

  total(): number {
    return [...this.kept.values()].reduce((sum, amount) => sum + amount, 0);
  }
}

/**
 * The sandbox provider's rules: `tok_decline…` declines, `tok_timeout…` answers too late (and
 * charges nothing), `tok_lost…` charges and then never answers, anything else succeeds, once per
 * key. With `gate`, a successful charge waits for the test to open it. settlePayments gives back
 * whatever the order's keys hold, as the real one does (void or refund).
 */
export function fakePayments(
  log: CallLog,
  provider: FakeProvider,
  options: { gate?: Gate; lateAnswerMs?: number; settleFailure?: boolean } = {},
): PaymentActivities {
  return {
    async chargePayment(input) {
      log.record('chargePayment', [input]);
      if (input.paymentToken?.startsWith('tok_decline')) {
        throw toApplicationFailure(new DomainError('PAYMENT_DECLINED', 'the card was declined', { declineCode: 'card_declined' }));
      }
      if (input.paymentToken?.startsWith('tok_lost')) {
        provider.kept.set(input.idempotencyKey, input.amount);
        throw new Error('the payment provider did not answer');
      }
      if (input.paymentToken?.startsWith('tok_timeout')) {
        await new Promise((resolve) => setTimeout(resolve, options.lateAnswerMs ?? 1_000));
      }
      await options.gate?.pass();
      provider.kept.set(input.idempotencyKey, input.amount);
      return { paymentId: `payment-${input.idempotencyKey}`, status: 'succeeded' };
    },
    async settlePayments(orderId, keys) {
      log.record('settlePayments', [orderId]);
      if (keys) provider.settledKeys.push(keys);
      if (options.settleFailure) {
        throw ApplicationFailure.create({ type: 'DatabaseRejected', message: 'a constraint refused the refund', nonRetryable: true });
      }
      let refunded = 0;
      for (const [key, amount] of provider.kept) {
        if (!key.startsWith(`${orderId}:`)) continue;
        refunded += amount;
        provider.kept.delete(key);
      }
      return { voided: 0, refunded };
    },
    async refundPartial(input) {
      log.record('refundPartial', [input]);
    },
    async refundPayment(orderId) {
      log.record('refundPayment', [orderId]);
    },
  };
}

/** `rejectPlacementFailure`: rejectPlacement fails for good, as a database away for its whole bound would make it. */
export function fakeOrders(log: CallLog, options: { rejectPlacementFailure?: boolean } = {}): OrderActivities {
  return {
    async rejectOrder(input) {
      log.record('rejectOrder', [input]);
    },
    async rejectPlacement(input) {
      log.record('rejectPlacement', [input]);
      if (options.rejectPlacementFailure) {
        throw ApplicationFailure.create({ type: 'DatabaseUnavailable', message: 'the database stayed away', nonRetryable: true });
      }
    },
    async setOrderStatus(orderId, status, cancelReason = null) {
      log.record('setOrderStatus', [orderId, status, cancelReason]);
    },
    async cancelUnfinishedPlacement(orderId, reason) {
      log.record('cancelUnfinishedPlacement', [orderId, reason]);
    },
  };
}

/**
 * One delivery order per entry of `warehouses` (default one), ids `<orderId>-do-<n>`. `moveGate`
 * holds markDeliveryOrder, `unwindGate` holds cancelDeliveryOrders, until the test opens them.
 */
export function fakeDelivery(
  log: CallLog,
  options: { warehouses?: number; moveGate?: Gate; unwindGate?: Gate } = {},
): DeliveryActivities {
  return {
    async createDeliveryOrders(orderId) {
      log.record('createDeliveryOrders', [orderId]);
      return Array.from({ length: options.warehouses ?? 1 }, (_, n) => `${orderId}-do-${n + 1}`);
    },
    async cancelDeliveryOrders(orderId) {
      log.record('cancelDeliveryOrders', [orderId]);
      await options.unwindGate?.pass();
    },
    async markDeliveryOrder(deliveryOrderId, status) {
      log.record('markDeliveryOrder', [deliveryOrderId, status]);
      await options.moveGate?.pass();
    },
  };
}

/**
 * `customerRefusal` makes validateCustomer refuse like the real one (CUSTOMER_NOT_ALLOWED);
 * `placedByAnother` makes it answer as to a stale second saga over an order another run placed.
 */
export function fakeCustomers(log: CallLog, options: { customerRefusal?: DomainError; placedByAnother?: boolean } = {}): CustomerActivities {
  return {
    async validateCustomer(customerId, orderId) {
      log.record('validateCustomer', orderId === undefined ? [customerId] : [customerId, orderId]);
      if (options.customerRefusal) throw toApplicationFailure(options.customerRefusal);
      if (options.placedByAnother) {
        throw ApplicationFailure.create({ type: ORDER_ALREADY_PLACED, message: `order ${orderId} was already placed`, nonRetryable: true });
      }
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
        items: asked.map(([pair, quantity]) => {
          const [productId, warehouseId] = pair.split('@') as [string, string];
          return { productId, warehouseId, quantity };
        }),
      };
    },
  };
}

/** What the fake stock holds: per hold, its status as the database would record it. */
export class FakeHoldBook {
  readonly statuses = new Map<string, string>();
  readonly expiries = new Map<string, string>();
}

/**
 * Stock holds over an in-memory book, with the real activities' rules (a release or a conversion
 * of a hold that is not active changes nothing or refuses). `holdRefusal` refuses the reservation,
 * `convertGate` / `releaseGate` / `extendGate` hold a conversion, a release or an extension until
 * the test opens them.
 */
export function fakeHolds(
  log: CallLog,
  book: FakeHoldBook,
  options: { holdRefusal?: DomainError; convertGate?: Gate; releaseGate?: Gate; extendGate?: Gate } = {},
): HoldActivities {
  return {
    async reserveHold(input) {
      log.record('reserveHold', [input]);
      if (options.holdRefusal) throw toApplicationFailure(options.holdRefusal);
      book.statuses.set(input.holdId, 'active');
      book.expiries.set(input.holdId, input.expiresAt);
      const lines = input.items.map(({ productId, warehouseId, quantity }) => ({
        productId,
        warehouseId: warehouseId ?? DEFAULT_WAREHOUSE,
        quantity,
      }));
      return { holdId: input.holdId, expiresAt: input.expiresAt, lines };
    },
    async releaseHold(holdId, end) {
      log.record('releaseHold', [holdId, end]);
      await options.releaseGate?.pass();
      if (book.statuses.get(holdId) === 'active') book.statuses.set(holdId, end);
    },
    async extendHold(holdId, expiresAt, extensions) {
      log.record('extendHold', [holdId, expiresAt, extensions]);
      await options.extendGate?.pass();
      book.expiries.set(holdId, expiresAt);
    },
    async convertHold(holdId, order) {
      log.record('convertHold', [holdId, order]);
      await options.convertGate?.pass();
      if (book.statuses.get(holdId) !== 'active') {
        throw toApplicationFailure(new DomainError('HOLD_NOT_ACTIVE', `stock hold ${holdId} is not active`));
      }
      book.statuses.set(holdId, 'converted');
      const lines = order.quote.lines.map((line) => ({ ...line, warehouseId: line.warehouseId ?? DEFAULT_WAREHOUSE }));
      return { orderId: order.orderId, expiresAt: order.expiresAt, lines };
    },
    async adoptHold(holdId, order) {
      log.record('adoptHold', [holdId, order]);
      throw new Error('adoptHold sends an update to the hold workflow; workflow tests send it themselves');
    },
  };
}

export interface FakeActivityOptions {
  /** Holds extendReservation until the test opens it. */
  extensionGate?: Gate;
  holdRefusal?: DomainError;
  convertGate?: Gate;
  releaseGate?: Gate;
  extendGate?: Gate;
  /** Shared across workers of one test, so a hold can be followed across a restart. */
  holdBook?: FakeHoldBook;
  refusal?: DomainError;
  reserveRefusal?: DomainError;
  customerRefusal?: DomainError;
  /** validateCustomer answers OrderAlreadyPlaced: another saga run placed this order. */
  placedByAnother?: boolean;
  voucherRefusal?: DomainError;
  discount?: number;
  commitFailure?: boolean;
  releaseOutages?: number;
  availabilityGate?: Gate;
  chargeGate?: Gate;
  lateAnswerMs?: number;
  warehouses?: number;
  moveGate?: Gate;
  unwindGate?: Gate;
  settleFailure?: boolean;
  /** rejectPlacement fails for good: the saga must fall back on its durable compensations. */
  rejectPlacementFailure?: boolean;
  /** Chooses what reserveStock prices each unit at (default UNIT_PRICE). */
  unitPrice?: number;
  /** Makes reserveStock fail for good with a failure that is not a refusal (a bug, a constraint). */
  reserveFailure?: boolean;
  /** Shared across workers of one test, so money can be followed across a restart. */
  provider?: FakeProvider;
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
      extensionGate: options.extensionGate,
      commitFailure: options.commitFailure,
      reserveFailure: options.reserveFailure,
      unitPrice: options.unitPrice,
    }),
    ...fakePayments(log, options.provider ?? new FakeProvider(), {
      gate: options.chargeGate,
      lateAnswerMs: options.lateAnswerMs,
      settleFailure: options.settleFailure,
    }),
    ...fakeOrders(log, { rejectPlacementFailure: options.rejectPlacementFailure }),
    ...fakeDelivery(log, { warehouses: options.warehouses, moveGate: options.moveGate, unwindGate: options.unwindGate }),
    ...fakeCustomers(log, { customerRefusal: options.customerRefusal, placedByAnother: options.placedByAnother }),
    ...fakeVouchers(log, { discount: options.discount, voucherRefusal: options.voucherRefusal }),
    ...fakeReturns(log, ledger),
    ...fakeHolds(log, options.holdBook ?? new FakeHoldBook(), {
      holdRefusal: options.holdRefusal,
      convertGate: options.convertGate,
      releaseGate: options.releaseGate,
      extendGate: options.extendGate,
    }),
  };
}

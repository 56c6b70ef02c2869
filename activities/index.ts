import type { Db } from '../db/client';
import { createCustomerActivities } from './customers';
import { rejectingPoisonInputs } from './database-rejection';
import { createDeliveryActivities } from './delivery';
import { createHoldActivities } from './holds';
import { createInventoryActivities } from './inventory';
import { createOrderActivities } from './orders';
import type { PaymentProvider } from './payment-provider';
import { createPaymentActivities } from './payments';
import { createReturnActivities } from './returns';
import { createVoucherActivities } from './vouchers';

export interface ActivityDeps {
  db: Db;
  paymentProvider: PaymentProvider;
}

/**
 * Every activity the worker registers, wired over its dependencies. A database error that will
 * fail the same way again is not retried (database-rejection.ts).
 */
export function createActivities({ db, paymentProvider }: ActivityDeps) {
  return rejectingPoisonInputs({
    ...createInventoryActivities(db),
    ...createHoldActivities(db),
    ...createPaymentActivities(db, paymentProvider),
    ...createOrderActivities(db),
    ...createDeliveryActivities(db),
    ...createCustomerActivities(db),
    ...createVoucherActivities(db),
    ...createReturnActivities(db),
  });
}

export type Activities = ReturnType<typeof createActivities>;

import type { Db } from '../db/client';
import { createDeliveryActivities } from './delivery';
import { createInventoryActivities } from './inventory';
import { createOrderActivities } from './orders';
import type { PaymentProvider } from './payment-provider';
import { createPaymentActivities } from './payments';

export interface ActivityDeps {
  db: Db;
  paymentProvider: PaymentProvider;
}

/** Every activity the worker registers, wired over its dependencies. */
export function createActivities({ db, paymentProvider }: ActivityDeps) {
  return {
    ...createInventoryActivities(db),
    ...createPaymentActivities(db, paymentProvider),
    ...createOrderActivities(db),
    ...createDeliveryActivities(db),
  };
}

export type Activities = ReturnType<typeof createActivities>;

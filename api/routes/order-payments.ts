import type { RouteDeps } from '../app';
import { listOrderPayments } from '../read-models/order-payment';
import type { Route } from '../route';
import { orderPayment } from '../schemas/payments';
import { orderListRoute } from './order-list';

/** The money side of an order (its charges and refunds), for admins and the customer who ordered. */
export function orderPaymentsRoutes({ database: { db } }: RouteDeps): Route[] {
  return [
    orderListRoute(db, {
      what: 'payments',
      summary: "The order's money, oldest first: its charges (pending while an outcome is being found out) and refunds",
      item: orderPayment,
      read: (orderId) => listOrderPayments(db, orderId),
    }),
  ];
}

import type { PaymentProvider } from '../activities/payment-provider';
import { createSandboxPaymentProvider } from '../activities/sandbox-payment-provider';
import type { Db } from '../db/client';
import { paymentProviderOf, type Config } from '../domain/config';

/** The provider the configuration names (PAYMENT_PROVIDER); throws, before the worker polls, when production names none. */
export function createConfiguredPaymentProvider(config: Pick<Config, 'NODE_ENV' | 'PAYMENT_PROVIDER'>, db: Db): PaymentProvider {
  const name = paymentProviderOf(config);
  switch (name) {
    case 'sandbox':
      return createSandboxPaymentProvider(db);
  }
}

import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runTeardown } from './teardown';

// Workers log every state change at INFO, and the SDK core warns about the time-skipping test
// server's age on every worker; tests only want to hear about trouble.
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});

/** Root hooks: shared servers started lazily by suites are stopped once, at the very end. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await runTeardown();
  },
};

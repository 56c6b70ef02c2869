import { runTeardown } from './teardown';

/** Root hooks: shared servers started lazily by suites are stopped once, at the very end. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await runTeardown();
  },
};

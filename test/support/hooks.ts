import { setDefaultLogger } from '../../logging/logger';
import { installWorkerRuntime } from '../../workers/runtime';
import { testLogger } from './logs';
import { runTeardown } from './teardown';

// Every logger of the process writes through the test log stream: errors reach stderr, captures
// see everything. The Runtime is the worker's own (logs forwarded to pino), without SDK metrics.
setDefaultLogger(testLogger);
installWorkerRuntime({ logger: testLogger.child({ name: 'worker' }), metricsBind: 'off' });

/** Root hooks: shared servers started lazily by suites are stopped once, at the very end. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await runTeardown();
  },
};

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporalCliPath, temporalTestServerPath } from '../../scripts/temporal-binaries';
import { ORDER_SEARCH_ATTRIBUTES } from '../../workflows/messages';
import { onTeardown } from './teardown';

let devServer: Promise<TestWorkflowEnvironment> | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** One real `temporal server start-dev` for the whole run, with the saga's search attributes. */
export function sharedDevServer(): Promise<TestWorkflowEnvironment> {
  devServer ??= (async () => {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCliPath() },
        ip: '127.0.0.1',
        ui: false,
        searchAttributes: ORDER_SEARCH_ATTRIBUTES,
        log: { format: 'pretty', level: 'error' },
      },
    });
    onTeardown(() => env.teardown());
    return env;
  })();
  return devServer;
}

/** A time-skipping test server of its own; the caller tears it down. */
export function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
}

/** The workflow bundle, built once per run and shared by every test worker. */
export function sharedWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: undefined });
  return bundle;
}

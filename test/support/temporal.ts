import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DEV_SERVER_SQLITE_ARGS, temporalCliPath, temporalTestServerPath } from '../../scripts/temporal-binaries';
import { addSearchAttributes } from '../../workers/search-attributes';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/worker';
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
        extraArgs: [...DEV_SERVER_SQLITE_ARGS],
        log: { format: 'pretty', level: 'error' },
      },
    });
    onTeardown(() => env.teardown());
    return env;
  })();
  return devServer;
}

/** A time-skipping test server of its own, with the saga's search attributes; the caller tears it down. */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  // Without them every workflow task that upserts OrderStatus fails. The test server cannot
  // list search attributes (so ensureSearchAttributes cannot be used), but it can add them.
  await addSearchAttributes(env.connection, env.namespace ?? 'default', ORDER_SEARCH_ATTRIBUTES);
  return env;
}

/** The workflow bundle with the production interceptors, built once per run and shared by every test worker. */
export function sharedWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

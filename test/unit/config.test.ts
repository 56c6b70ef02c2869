import { strict as assert } from 'node:assert';
import { loadConfig, paymentProviderOf } from '../../domain/config';

describe('the payment provider setting', function () {
  it('uses the sandbox outside production when PAYMENT_PROVIDER is unset', function () {
    assert.equal(paymentProviderOf(loadConfig({})), 'sandbox');
    assert.equal(paymentProviderOf(loadConfig({ NODE_ENV: 'test' })), 'sandbox');
  });

  it('refuses to fall back to the sandbox in production, naming the setting', function () {
    assert.throws(() => paymentProviderOf(loadConfig({ NODE_ENV: 'production' })), /PAYMENT_PROVIDER=sandbox/);
  });

  it('runs on the sandbox in production when asked for by name', function () {
    assert.equal(paymentProviderOf(loadConfig({ NODE_ENV: 'production', PAYMENT_PROVIDER: 'sandbox' })), 'sandbox');
  });

  it('refuses a provider that does not exist', function () {
    assert.throws(() => loadConfig({ PAYMENT_PROVIDER: 'stripe' }), /PAYMENT_PROVIDER/);
  });

  it('leaves the worker slots to the SDK unless set, and refuses one the SDK would refuse', function () {
    const defaults = loadConfig({});
    assert.deepEqual(
      [defaults.WORKER_WORKFLOW_TASKS, defaults.WORKER_WORKFLOW_POLLERS, defaults.WORKER_LOCAL_ACTIVITIES, defaults.WORKER_ACTIVITIES],
      [undefined, undefined, undefined, undefined],
    );
    assert.equal(loadConfig({ WORKER_WORKFLOW_TASKS: '20' }).WORKER_WORKFLOW_TASKS, 20);
    assert.throws(() => loadConfig({ WORKER_WORKFLOW_TASKS: '1' }), /WORKER_WORKFLOW_TASKS/);
    assert.equal(defaults.WORKER_CACHED_WORKFLOWS, undefined);
    assert.equal(loadConfig({ WORKER_CACHED_WORKFLOWS: '0' }).WORKER_CACHED_WORKFLOWS, 0);
    assert.throws(() => loadConfig({ WORKER_CACHED_WORKFLOWS: '-1' }), /WORKER_CACHED_WORKFLOWS/);
  });
});

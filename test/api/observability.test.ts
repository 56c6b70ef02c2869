import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveMetrics } from '../../workers/metrics';
import { eventually } from '../support/eventually';
import { call } from '../support/http';
import { captureLogs, type LogLine } from '../support/logs';
import { sampleValue } from '../support/metrics';
import { KEYS } from '../support/stack';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

const METRICS_TOKEN = 'test-metrics-token-0123456789';

describe('API observability: logs and metrics', () => {
  const stack = suiteStack({ env: { METRICS_TOKEN } });

  const root = () => stack.api.replace(/\/api\/v1$/, '');
  const newRequestId = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

  async function placeOrder(requestId: string, quantity = 1) {
    const mug = await stockedProduct(stack, 5);
    const res = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      headers: { 'X-Request-Id': requestId },
      body: { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity }], shippingAddress: '1 Main St' },
    });
    return res;
  }

  async function scrape(headers: Record<string, string>): Promise<{ status: number; text: string; type: string | null }> {
    const response = await fetch(`${root()}/metrics`, { headers });
    return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
  }

  describe('logs', () => {
    it('finds the request id of a placement and a payment on lines of the API, the saga and its activities', async function () {
      const capture = captureLogs();
      try {
        const placing = newRequestId('place');
        const paying = newRequestId('pay');
        const placed = await placeOrder(placing);
        assert.equal(placed.status, 201, JSON.stringify(placed.body));
        const orderId: string = placed.body.data.id;
        const paid = await call(stack, 'POST', `/orders/${orderId}/payment`, {
          key: KEYS.alice,
          headers: { 'X-Request-Id': paying },
          body: { paymentToken: 'tok_visa' },
        });
        assert.equal(paid.status, 200, JSON.stringify(paid.body));

        const withId = (id: string) => capture.lines.filter((line) => line.requestId === id);
        const activityLine = (id: string, activityType: string) =>
          withId(id).some((l) => l.sdkComponent === 'activity' && l.activityType === activityType);
        // Workflow lines travel through a sink and activity lines are written as activities end.
        await eventually(() => {
          assert.ok(activityLine(placing, 'reserveStock'), 'no reserveStock line with the placing request id');
          assert.ok(activityLine(paying, 'chargePayment'), 'no chargePayment line with the paying request id');
          assert.ok(activityLine(paying, 'createDeliveryOrders'), 'no createDeliveryOrders line with the paying request id');
        });

        const access = withId(placing).find((l) => l.name === 'api');
        assert.ok(access, 'no API line with the placing request id');
        assert.equal(access.msg, 'POST /api/v1/orders 201');
        assert.deepEqual(access.res, { statusCode: 201 });
        assert.equal(typeof access.responseTime, 'number');

        const saga = withId(placing).filter((l) => l.sdkComponent === 'workflow');
        assert.ok(saga.some((l) => l.msg === 'order saga started'), 'no workflow line with the placing request id');
        assert.ok(withId(paying).some((l) => l.sdkComponent === 'workflow' && l.update === 'pay'));

        // Searching for the order id finds every saga and activity line, each with a request id.
        const orderLines = capture.lines.filter((l) => l.orderId === orderId);
        const activities = new Set(orderLines.filter((l) => l.sdkComponent === 'activity').map((l) => l.activityType));
        for (const step of ['validateCustomer', 'checkAvailability', 'reserveStock', 'chargePayment', 'commitStock', 'createDeliveryOrders']) {
          assert.ok(activities.has(step), `no line for ${step} with order id ${orderId}: ${[...activities].join(', ')}`);
        }
        const withoutRequestId = orderLines.filter((l: LogLine) => l.requestId === undefined);
        assert.deepEqual(withoutRequestId.map((l) => l.msg), []);
        assert.deepEqual(orderLines.filter((l: LogLine) => 'taskToken' in l).map((l) => l.msg), []);
      } finally {
        capture.stop();
      }
    });

    it('writes no access lines for probes and scrapes, and never the credentials', async () => {
      const capture = captureLogs();
      try {
        const probe = newRequestId('probe');
        await call(stack, 'GET', '/health', { headers: { 'X-Request-Id': probe } });
        await call(stack, 'GET', '/ready', { key: KEYS.admin, headers: { 'X-Request-Id': probe } });
        await scrape({ Authorization: `Bearer ${METRICS_TOKEN}`, 'X-Request-Id': probe });
        const counted = newRequestId('counted');
        await call(stack, 'GET', '/products', { key: KEYS.admin, headers: { 'X-Request-Id': counted } });
        await eventually(() => assert.ok(capture.lines.some((l) => l.requestId === counted)));
        assert.deepEqual(capture.lines.filter((l) => l.requestId === probe), []);
        const text = capture.lines.map((l) => JSON.stringify(l)).join('\n');
        assert.ok(!text.includes(KEYS.admin), 'an API key reached the log');
        assert.ok(!text.includes(METRICS_TOKEN), 'the metrics token reached the log');
      } finally {
        capture.stop();
      }
    });
  });

  describe('API metrics', () => {
    it('serves /metrics to the METRICS_TOKEN bearer and to admins only', async () => {
      const scraper = await scrape({ Authorization: `Bearer ${METRICS_TOKEN}` });
      assert.equal(scraper.status, 200);
      assert.match(scraper.type ?? '', /^text\/plain/);
      assert.match(scraper.text, /# TYPE http_requests_total counter/);
      assert.equal((await scrape({ 'X-API-Key': KEYS.admin })).status, 200);
      assert.equal((await scrape({})).status, 401);
      assert.equal((await scrape({ 'X-API-Key': KEYS.alice })).status, 403);
      assert.equal((await scrape({ Authorization: 'Bearer not-the-metrics-token' })).status, 401);
    });

    it('counts placements, refusals by code and requests by route pattern as orders are placed', async () => {
      const read = async () => (await scrape({ Authorization: `Bearer ${METRICS_TOKEN}` })).text;
      const placedRoute = { method: 'POST', route: '/api/v1/orders', status: '201' };
      const before = await read();

      const placed = await placeOrder(newRequestId('metrics'));
      assert.equal(placed.status, 201);
      const refused = await placeOrder(newRequestId('metrics'), 50);
      assert.equal(refused.status, 409);
      const orderId: string = placed.body.data.id;
      assert.equal((await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.alice })).status, 200);

      await eventually(async () => {
        const after = await read();
        const moved = (name: string, labels: Record<string, string> = {}) =>
          sampleValue(after, name, labels) - sampleValue(before, name, labels);
        assert.equal(moved('orders_placed_total'), 1);
        assert.equal(moved('order_placement_refusals_total', { code: 'INSUFFICIENT_INVENTORY' }), 1);
        assert.equal(moved('http_requests_total', placedRoute), 1);
        assert.equal(moved('http_request_duration_seconds_count', placedRoute), 1);
        assert.equal(moved('http_requests_total', { method: 'GET', route: '/api/v1/orders/:orderId', status: '200' }), 1);
        assert.equal(moved('http_requests_total', { method: 'POST', route: '/api/v1/orders', status: '409' }), 1);
      });
    });
  });

  describe('worker metrics', () => {
    let server: Server | undefined;
    after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it('counts saga outcomes and activity failures by type on the worker /metrics', async () => {
      server = await serveMetrics(stack.workerMetrics.registry, { port: 0, token: METRICS_TOKEN });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const read = async () => {
        const response = await fetch(url, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
        assert.equal(response.status, 200);
        return response.text();
      };
      assert.equal((await fetch(url)).status, 401);
      const before = await read();

      const placed = await placeOrder(newRequestId('outcome'));
      assert.equal(placed.status, 201);
      const cancelled = await call(stack, 'POST', `/orders/${placed.body.data.id}/cancel`, { key: KEYS.alice, body: {} });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal((await placeOrder(newRequestId('outcome'), 50)).status, 409);

      await eventually(async () => {
        const after = await read();
        const moved = (name: string, labels: Record<string, string>) =>
          sampleValue(after, name, labels) - sampleValue(before, name, labels);
        assert.equal(moved('order_saga_outcomes_total', { outcome: 'cancelled' }), 1);
        assert.equal(moved('order_saga_outcomes_total', { outcome: 'rejected' }), 1);
        assert.equal(moved('order_status_changes_total', { status: 'awaiting_payment' }), 0);
        assert.equal(moved('order_status_changes_total', { status: 'cancelled' }), 1);
        assert.equal(moved('activity_failures_total', { activity: 'checkAvailability', type: 'INSUFFICIENT_INVENTORY' }), 1);
      });
    });
  });
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { TIMER_STEPS, timelineOf } from '../../api/read-models/timeline';
import type { TimelineEntry } from '../../api/schemas/timeline';
import { assertInOrder } from '../support/assert-in-order';

const HISTORIES_DIR = join(__dirname, '..', 'fixtures', 'histories');

function recorded(file: string): TimelineEntry[] {
  const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
  return timelineOf(history.events ?? []);
}

/** `step:status` of each entry, the shape most assertions read best in. */
function steps(timeline: TimelineEntry[]): string[] {
  return timeline.map((entry) => `${entry.step}:${entry.status}`);
}

describe('the order timeline read from a workflow history', () => {
  describe('over the recorded histories', () => {
    for (const file of readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.json'))) {
      it(`${file}: starts and ends with the workflow, oldest first, one entry per activity, local ones too`, () => {
        const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
        const timeline = timelineOf(history.events ?? []);
        assert.equal(steps(timeline)[0], 'workflow:started');
        assert.match(steps(timeline).at(-1)!, /^workflow:(completed|failed|cancelled)$/);
        const times = timeline.map((entry) => Date.parse(entry.at));
        assert.ok(times.every((t, i) => !Number.isNaN(t) && (i === 0 || t >= times[i - 1]!)), 'at never decreases');
        const events = history.events ?? [];
        const localRuns = new Set(
          events
            .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
            .map((e) => defaultPayloadConverter.fromPayload<{ seq: number }>(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!).seq),
        );
        const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).length + localRuns.size;
        const notActivities = new Set<string>(['workflow', 'timer', ...Object.values(TIMER_STEPS)]);
        const activities = timeline.filter((e) => !notActivities.has(e.step) && !e.step.includes(':'));
        assert.equal(activities.length, scheduled);
        for (const entry of timeline) assert.ok(entry.attempt >= 1);
      });
    }
  });

  it('shows a declined charge as a failed activity and a failed pay update, then the paid one', () => {
    const timeline = recorded('decline-then-pay.json');
    assertInOrder(steps(timeline), [
      'update:placeOrder:completed',
      'chargePayment:failed',
      'update:pay:failed',
      'chargePayment:completed',
      'commitStock:completed',
      'createDeliveryOrders:completed',
      'update:pay:completed',
      'update:ship:completed',
      'update:deliver:completed',
      'workflow:completed',
    ]);
    const declined = timeline.find((e) => e.step === 'chargePayment' && e.status === 'failed')!;
    assert.match(declined.error!, /declined/);
    assert.equal(timeline.find((e) => e.step === 'chargePayment' && e.status === 'completed')!.error, undefined);
  });

  it('shows the placing steps that ran as local activities, with their outcome', () => {
    assertInOrder(steps(recorded('happy-path.json')), [
      'validateCustomer:completed',
      'checkAvailability:completed',
      'reserveStock:completed',
      'update:placeOrder:completed',
    ]);
    assert.deepEqual(
      steps(recorded('v3-happy-path.json')).filter((step) => step.startsWith('validateCustomer')),
      ['validateCustomer:completed'],
      'older sagas ran them as regular activities, shown the same way',
    );
  });

  it('shows the shipments sagas of an older version received as signals', () => {
    assertInOrder(steps(recorded('v2-decline-then-pay.json')), [
      'update:pay:completed',
      'signal:shipped:received',
      'signal:delivered:received',
      'workflow:completed',
    ]);
  });

  it('names the fired payment-hold timer reservation-expired, followed by the release', () => {
    assertInOrder(steps(recorded('expiry.json')), [
      'reserveStock:completed',
      'reservation-expired:fired',
      'releaseStock:completed',
      'workflow:completed',
    ]);
  });

  it('leaves out a timer that was cancelled because the order was paid', () => {
    assert.ok(!steps(recorded('happy-path.json')).some((step) => step.includes('timer') || step.includes('expired')));
  });

  it('shows a refusal at placement on the local steps and the placeOrder update', () => {
    const timeline = recorded('rejected-insufficient-inventory.json');
    assertInOrder(steps(timeline), ['checkAvailability:failed', 'rejectPlacement:completed', 'update:placeOrder:failed']);
    assert.match(timeline.find((e) => e.step === 'update:placeOrder')!.error!, /not enough stock/);
  });

  it('shows a refusal of a saga older than local-refusal on its compensation activities', () => {
    const timeline = recorded('v5-rejected-insufficient-inventory.json');
    assertInOrder(steps(timeline), ['checkAvailability:failed', 'releaseStock:completed', 'rejectOrder:completed', 'update:placeOrder:failed']);
  });

  it('shows an operator cancel and the compensations it ran', () => {
    assertInOrder(steps(recorded('workflow-cancelled-after-payment.json')), [
      'update:pay:completed',
      'workflow:cancel_requested',
      'settlePayments:completed',
      'releaseStock:completed',
      'workflow:cancelled',
    ]);
  });

  describe('over hand-made events', () => {
    type Event = temporal.api.history.v1.IHistoryEvent;
    let id = 0;
    /** An event `second`s after 2027-01-15T08:00:00Z, built the way history JSON is read. */
    const event = (second: number, fields: Record<string, unknown>): Event =>
      temporal.api.history.v1.HistoryEvent.fromObject({
        eventId: ++id,
        eventTime: { seconds: 1_800_000_000 + second, nanos: 0 },
        ...fields,
      });

    it('takes the attempt from the started event, the error from a time-out, and names timers by their summary', () => {
      id = 0;
      const events: Event[] = [
        event(0, { workflowExecutionStartedEventAttributes: { attempt: 1 } }),
        event(1, { activityTaskScheduledEventAttributes: { activityType: { name: 'chargePayment' } } }),
        event(9, { activityTaskStartedEventAttributes: { scheduledEventId: 2, attempt: 3 } }),
        event(10, {
          activityTaskTimedOutEventAttributes: {
            scheduledEventId: 2,
            failure: { message: 'activity StartToClose timeout', timeoutFailureInfo: {} },
          },
        }),
        event(11, { activityTaskScheduledEventAttributes: { activityType: { name: 'releaseStock' } } }),
        event(12, {
          timerStartedEventAttributes: { timerId: '7' },
          userMetadata: { summary: defaultPayloadConverter.toPayload('return-window-closed') },
        }),
        event(20, { timerFiredEventAttributes: { timerId: '7' } }),
        event(21, {
          workflowExecutionUpdateRejectedEventAttributes: {
            rejectedRequest: { input: { name: 'return' } },
            failure: { message: 'the return window has closed' },
          },
        }),
      ];
      const timeline = timelineOf(events);
      assert.deepEqual(timeline, [
        { step: 'workflow', status: 'started', at: '2027-01-15T08:00:00.000Z', attempt: 1 },
        {
          step: 'chargePayment',
          status: 'timed_out',
          at: '2027-01-15T08:00:10.000Z',
          attempt: 3,
          error: 'activity StartToClose timeout',
        },
        { step: 'releaseStock', status: 'scheduled', at: '2027-01-15T08:00:11.000Z', attempt: 1 },
        { step: 'return-window-closed', status: 'fired', at: '2027-01-15T08:00:20.000Z', attempt: 1 },
        { step: 'update:return', status: 'rejected', at: '2027-01-15T08:00:21.000Z', attempt: 1, error: 'the return window has closed' },
      ]);
    });

    it('without a summary, calls a timer set after the delivery orders were created the return window', () => {
      id = 0;
      const timeline = timelineOf([
        event(0, { activityTaskScheduledEventAttributes: { activityType: { name: 'createDeliveryOrders' } } }),
        event(1, { activityTaskCompletedEventAttributes: { scheduledEventId: 1 } }),
        event(2, { timerStartedEventAttributes: { timerId: '3' } }),
        event(3, { timerFiredEventAttributes: { timerId: '3' } }),
      ]);
      assert.deepEqual(steps(timeline), ['createDeliveryOrders:completed', 'return-window-closed:fired']);
    });
  });
});

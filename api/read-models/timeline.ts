import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TimelineEntry, TimelineStatus } from '../schemas/timeline';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Timers the order saga sets, named by what their firing means. */
export const TIMER_STEPS = { reservation: 'reservation-expired', returnWindow: 'return-window-closed' } as const;

/** The marker a local activity's outcome is recorded in (the placing steps of `local-placing` sagas). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The activity after whose completion a new timer is the return window rather than the payment hold. */
const DELIVERY_STARTED_BY = 'createDeliveryOrders';

interface Open {
  entry: TimelineEntry;
  /** Event id of the event that gave the entry its current status; entries are ordered by it. */
  eventId: number;
}

/**
 * The saga's steps, oldest first, from its workflow history: one entry per activity, update,
 * signal and fired timer, plus the workflow's start and end. An entry shows the latest status its
 * step reached and is placed where that happened, so `at` never decreases down the list.
 * Workflow-task bookkeeping, search attributes and memo changes are left out.
 */
export function timelineOf(events: readonly HistoryEvent[]): TimelineEntry[] {
  const entries: Open[] = [];
  const activities = new Map<number, Open>();
  /** Local activities by their sequence number: a retry after a backoff records another marker. */
  const localActivities = new Map<number, Open>();
  const updates = new Map<string, Open>();
  const timers = new Map<string, string>();
  let deliveriesCreated = false;

  type Fields = Partial<TimelineEntry>;
  const add = (event: HistoryEvent, step: string, status: TimelineStatus, fields: Fields = {}): Open => {
    const entry = { step, status, at: timeOf(event), attempt: 1, ...definedOnly(fields) };
    const open = { entry, eventId: idOf(event) };
    entries.push(open);
    return open;
  };
  const move = (open: Open | undefined, event: HistoryEvent, status: TimelineStatus, fields: Fields = {}) => {
    if (!open) return;
    Object.assign(open.entry, { status, at: timeOf(event) }, definedOnly(fields));
    open.eventId = idOf(event);
  };
  const activity = (scheduledEventId: unknown) => activities.get(Number(scheduledEventId));

  for (const event of events) {
    const id = idOf(event);
    if (event.workflowExecutionStartedEventAttributes) {
      add(event, 'workflow', 'started', { attempt: event.workflowExecutionStartedEventAttributes.attempt || 1 });
    } else if (event.workflowExecutionCompletedEventAttributes) {
      add(event, 'workflow', 'completed');
    } else if (event.workflowExecutionFailedEventAttributes) {
      add(event, 'workflow', 'failed', failureOf(event.workflowExecutionFailedEventAttributes.failure));
    } else if (event.workflowExecutionCancelRequestedEventAttributes) {
      const cause = event.workflowExecutionCancelRequestedEventAttributes.cause;
      add(event, 'workflow', 'cancel_requested', { error: cause || undefined });
    } else if (event.workflowExecutionCanceledEventAttributes) {
      add(event, 'workflow', 'cancelled');
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      add(event, 'workflow', 'terminated', { error: event.workflowExecutionTerminatedEventAttributes.reason || undefined });
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      add(event, 'workflow', 'timed_out');
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      add(event, 'workflow', 'continued_as_new');
    } else if (event.activityTaskScheduledEventAttributes) {
      activities.set(id, add(event, event.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity', 'scheduled'));
    } else if (event.activityTaskStartedEventAttributes) {
      const { scheduledEventId, attempt } = event.activityTaskStartedEventAttributes;
      move(activity(scheduledEventId), event, 'started', { attempt: attempt || 1 });
    } else if (event.activityTaskCompletedEventAttributes) {
      const open = activity(event.activityTaskCompletedEventAttributes.scheduledEventId);
      move(open, event, 'completed');
      if (open?.entry.step === DELIVERY_STARTED_BY) deliveriesCreated = true;
    } else if (event.activityTaskFailedEventAttributes) {
      const { scheduledEventId, failure } = event.activityTaskFailedEventAttributes;
      move(activity(scheduledEventId), event, 'failed', failureOf(failure));
    } else if (event.activityTaskTimedOutEventAttributes) {
      const { scheduledEventId, failure } = event.activityTaskTimedOutEventAttributes;
      move(activity(scheduledEventId), event, 'timed_out', failureOf(failure));
    } else if (event.activityTaskCanceledEventAttributes) {
      move(activity(event.activityTaskCanceledEventAttributes.scheduledEventId), event, 'cancelled');
    } else if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
      const marker = localActivityOf(event.markerRecordedEventAttributes);
      if (!marker) continue;
      const status = marker.failure ? 'failed' : 'completed';
      const fields = { attempt: marker.attempt, ...failureOf(marker.failure) };
      const open = localActivities.get(marker.seq);
      if (open) move(open, event, status, fields);
      else localActivities.set(marker.seq, add(event, marker.activityType, status, fields));
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const { protocolInstanceId, acceptedRequest } = event.workflowExecutionUpdateAcceptedEventAttributes;
      const updateId = acceptedRequest?.meta?.updateId ?? protocolInstanceId ?? String(id);
      updates.set(updateId, add(event, `update:${acceptedRequest?.input?.name ?? 'unknown'}`, 'accepted'));
    } else if (event.workflowExecutionUpdateCompletedEventAttributes) {
      const { meta, outcome } = event.workflowExecutionUpdateCompletedEventAttributes;
      const open = updates.get(meta?.updateId ?? '');
      if (outcome?.failure) move(open, event, 'failed', failureOf(outcome.failure));
      else move(open, event, 'completed');
    } else if (event.workflowExecutionUpdateRejectedEventAttributes) {
      const { rejectedRequest, failure } = event.workflowExecutionUpdateRejectedEventAttributes;
      add(event, `update:${rejectedRequest?.input?.name ?? 'unknown'}`, 'rejected', failureOf(failure));
    } else if (event.workflowExecutionSignaledEventAttributes) {
      add(event, `signal:${event.workflowExecutionSignaledEventAttributes.signalName ?? 'unknown'}`, 'received');
    } else if (event.timerStartedEventAttributes) {
      // A timer's summary names it; without one (older sagas), the saga's timers are the payment
      // hold and, once delivery orders exist, the return window.
      const purpose = summaryOf(event) ?? (deliveriesCreated ? TIMER_STEPS.returnWindow : TIMER_STEPS.reservation);
      timers.set(event.timerStartedEventAttributes.timerId ?? '', purpose);
    } else if (event.timerFiredEventAttributes) {
      add(event, timers.get(event.timerFiredEventAttributes.timerId ?? '') ?? 'timer', 'fired');
    }
  }
  return entries.sort((a, b) => a.eventId - b.eventId).map((open) => open.entry);
}

interface LocalActivityMarker {
  seq: number;
  activityType: string;
  attempt: number;
  failure: temporal.api.failure.v1.IFailure | null | undefined;
}

/** What a local activity's marker says: its `data` detail is the SDK core's JSON (snake_case). */
function localActivityOf(marker: temporal.api.history.v1.IMarkerRecordedEventAttributes): LocalActivityMarker | undefined {
  const payload = marker.details?.data?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const data = defaultPayloadConverter.fromPayload<{ seq?: number; activity_type?: string; attempt?: number }>(payload);
    if (typeof data?.seq !== 'number' || typeof data.activity_type !== 'string') return undefined;
    return { seq: data.seq, activityType: data.activity_type, attempt: data.attempt || 1, failure: marker.failure };
  } catch {
    return undefined;
  }
}

function idOf(event: HistoryEvent): number {
  return Number(event.eventId ?? 0);
}

function timeOf(event: HistoryEvent): string {
  const { seconds, nanos } = event.eventTime ?? {};
  // A Long from the server's protobuf, a plain number from history JSON.
  const wholeSeconds = typeof seconds === 'object' && seconds !== null ? seconds.toNumber() : Number(seconds ?? 0);
  return new Date(wholeSeconds * 1000 + Math.floor((nanos ?? 0) / 1e6)).toISOString();
}

function failureOf(failure: temporal.api.failure.v1.IFailure | null | undefined): Partial<TimelineEntry> {
  if (!failure) return {};
  // Temporal wraps the real reason (an activity's refusal) as the cause of a generic failure.
  let deepest = failure;
  while (deepest.cause && !deepest.message) deepest = deepest.cause;
  const message = deepest.message || failure.cause?.message;
  return message ? { error: message } : {};
}

function summaryOf(event: HistoryEvent): string | undefined {
  const payload = event.userMetadata?.summary;
  if (!payload) return undefined;
  try {
    const summary = defaultPayloadConverter.fromPayload<unknown>(payload);
    return typeof summary === 'string' && summary ? summary : undefined;
  } catch {
    return undefined;
  }
}

function definedOnly(fields: Partial<TimelineEntry>): Partial<TimelineEntry> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

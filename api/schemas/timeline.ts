import { z } from 'zod';
import { timestamp } from './ids';

export const TIMELINE_STATUSES = [
  'scheduled',
  'started',
  'completed',
  'failed',
  'timed_out',
  'cancelled',
  'cancel_requested',
  'terminated',
  'continued_as_new',
  'accepted',
  'rejected',
  'received',
  'fired',
] as const;

/** One step of an order's saga, read from its workflow history. */
export const timelineEntry = z.object({
  /**
   * `workflow`; an activity type (`reserveStock`, `chargePayment`); `update:<name>` (`update:pay`);
   * `signal:<name>` (`signal:shipped`); a fired timer (`reservation-expired`, `return-window-closed`).
   */
  step: z
    .string()
    .describe(
      'workflow; an activity type (reserveStock); update:<name> (update:pay); signal:<name> (signal:shipped); ' +
        'a fired timer (reservation-expired, return-window-closed)',
    ),
  /**
   * Activities: scheduled, started, completed, failed, timed_out, cancelled. Updates: accepted,
   * completed, failed (the handler refused), rejected. Signals: received. Timers: fired.
   * The workflow: started, cancel_requested, completed, failed, cancelled, terminated, timed_out,
   * continued_as_new.
   */
  status: z.enum(TIMELINE_STATUSES),
  /** When the step reached `status`. */
  at: timestamp.describe('when the step reached its status; entries are ordered by it'),
  /** The attempt that reached `status` (activities are retried); 1 for everything else. */
  attempt: z.number().int().describe('the attempt that reached the status (activities are retried); 1 otherwise'),
  error: z.string().optional().describe('why it failed, timed out or was rejected'),
});

export type TimelineEntry = z.infer<typeof timelineEntry>;
export type TimelineStatus = TimelineEntry['status'];

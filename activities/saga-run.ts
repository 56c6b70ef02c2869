import { Context } from '@temporalio/activity';

/**
 * The Temporal run id of the saga an activity works for, or null outside an activity. A run id
 * outlives a lost workflow task: the local placing steps a retried task repeats carry the same
 * one, so a step can tell its own run's earlier work from a second saga's.
 */
export function sagaRunIdOf(): string | null {
  try {
    return Context.current().info.workflowExecution?.runId ?? null;
  } catch {
    return null; // not inside an activity
  }
}

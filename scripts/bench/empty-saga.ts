/** What the empty saga's worker runs, and how the bench knows it polls. */
export const emptySagaActivities = {
  async noop(): Promise<void> {},
};

export type EmptySagaActivities = typeof emptySagaActivities;

export const EMPTY_SAGA_WORKFLOWS = { regular: 'emptySagaRegular', local: 'emptySagaLocal' } as const;

/** The line the ceiling worker prints once it polls. */
export const CEILING_WORKER_READY = 'ceiling worker polling';

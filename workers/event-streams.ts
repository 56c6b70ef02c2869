import { nanos } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '@temporalio/common';

/**
 * The JetStream names the service uses, all derived from the two subject prefixes so that one
 * setting moves everything (and tests sharing a server never meet):
 * - events: `<prefix><type>` in the stream `<PREFIX>` (`orders-service.` → `ORDERS_SERVICE`);
 * - warehouse reports: `<warehouse prefix>shipment.shipped|delivered`, in whichever stream
 *   captures them (`<WAREHOUSE PREFIX>` is created when none does);
 * - dead letters: `<prefix without its dot>-dead-letter.<original subject>` in `<PREFIX>_DEAD_LETTER`.
 */
export interface EventStreamNames {
  eventSubject(type: string): string;
  eventStream: string;
  eventSubjects: string[];
  shippedSubject: string;
  deliveredSubject: string;
  warehouseStream: string;
  warehouseSubjects: string[];
  /** What the warehouse consumer asks for: shipped and delivered, and nothing else under the prefix. */
  warehouseFilter: string;
  warehouseConsumer: string;
  deadLetterSubject(originalSubject: string): string;
  deadLetterStream: string;
  deadLetterSubjects: string[];
}

export function eventStreamNames(subjectPrefix: string, warehousePrefix: string): EventStreamNames {
  const deadLetterPrefix = `${subjectPrefix.slice(0, -1)}-dead-letter.`;
  return {
    eventSubject: (type) => `${subjectPrefix}${type}`,
    eventStream: streamName(subjectPrefix),
    eventSubjects: [`${subjectPrefix}>`],
    shippedSubject: `${warehousePrefix}shipment.shipped`,
    deliveredSubject: `${warehousePrefix}shipment.delivered`,
    warehouseStream: streamName(warehousePrefix),
    warehouseSubjects: [`${warehousePrefix}shipment.>`],
    warehouseFilter: `${warehousePrefix}shipment.*`,
    warehouseConsumer: `${streamName(subjectPrefix)}_WAREHOUSE`,
    deadLetterSubject: (original) => `${deadLetterPrefix}${original}`,
    deadLetterStream: `${streamName(subjectPrefix)}_DEAD_LETTER`,
    deadLetterSubjects: [`${deadLetterPrefix}>`],
  };
}

/** `orders-service.` → `ORDERS_SERVICE`: stream names may not hold dots. */
function streamName(prefix: string): string {
  return prefix.slice(0, -1).replace(/[^A-Za-z0-9_]/g, '_').toUpperCase();
}

export interface StreamWanted {
  /** Created under this name when no stream captures `probe`. */
  name: string;
  subjects: string[];
  /** A subject the stream must capture: an existing stream that does is used as it is. */
  probe: string;
  /** The least duplicate window the stream must keep; an existing stream with less is widened. */
  duplicateWindowMs?: number;
}

/**
 * The stream that captures `probe`: an existing one (its duplicate window widened if it is too
 * short), else one created with file storage. Returns its name.
 */
export async function ensureStream(jsm: JetStreamManager, wanted: StreamWanted, log: Logger): Promise<string> {
  const existing = await jsm.streams.find(wanted.probe).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw err;
  });
  const window = wanted.duplicateWindowMs === undefined ? undefined : nanos(wanted.duplicateWindowMs);
  if (existing === undefined) {
    await jsm.streams.add({
      name: wanted.name,
      subjects: wanted.subjects,
      storage: StorageType.File,
      ...(window === undefined ? {} : { duplicate_window: window }),
    });
    log.info('created stream', { stream: wanted.name, subjects: wanted.subjects, duplicateWindowMs: wanted.duplicateWindowMs });
    return wanted.name;
  }
  if (window !== undefined) {
    const { config } = await jsm.streams.info(existing);
    if (config.duplicate_window < window) {
      await jsm.streams.update(existing, { duplicate_window: window });
      log.warn('widened the duplicate window of the stream', { stream: existing, duplicateWindowMs: wanted.duplicateWindowMs });
    }
  }
  return existing;
}

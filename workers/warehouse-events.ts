/**
 * Inbound warehouse reports: a durable JetStream pull consumer of `warehouse.shipment.shipped`
 * and `warehouse.shipment.delivered` (`{ deliveryOrderId, at }`), in the worker process.
 *
 * Each report moves its delivery order through the order's saga exactly like the ship/deliver
 * endpoints (so a shipment and a customer's cancel are serialised by the saga) and is acked only
 * once the saga applied it. A report that cannot be applied now (database or saga away) is naked
 * with a delay; one that can never apply (bad payload, unknown delivery order, a move the saga
 * refuses, such as a shipment that lost to a cancel) is published to the dead-letter subject and
 * terminated; a repeat of a move already applied is acked and ignored. One report is in flight at
 * a time (max_ack_pending 1, across every worker), so reports apply in the order they were sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client';
import { deliveryOrders } from '../db/schema';
import type { Config } from '../domain/config';
import { fromTemporalFailure } from '../domain/failure';
import type { OrderWorkflows } from '../api/order-workflows';
import { ensureStream, eventStreamNames } from './event-streams';

/**
 * How a delivery order is moved through its order's saga, exactly as the ship/deliver endpoints
 * do it: each call resolves once the saga applied the move and rejects with a failure carrying
 * DELIVERY_ORDER_NOT_SHIPPABLE / _NOT_DELIVERABLE / _NOT_FOUND when it refuses; a repeated
 * `updateId` is the same move.
 */
export type DeliveryMoves = Pick<OrderWorkflows, 'ship' | 'deliver'>;

/** Longer than the saga wrapper's longest call, so a report being applied is not handed out again. */
const ACK_WAIT_MS = 120_000;
/** Tells the server a slow report is still being worked on. */
const WORKING_EVERY_MS = 15_000;
const RESTART_BACKOFF_MS = 1_000;

export type WarehouseReport = 'shipped' | 'delivered';
type DeliveryOrderStatus = 'reserved' | 'shipped' | 'delivered' | 'cancelled';

/** What a report means for a delivery order in the status the database shows. */
export type ReportDecision = 'apply' | 'already_applied' | 'never_applies';

/**
 * `apply` when the delivery order is where the move starts; `already_applied` when it is at or
 * past where the move ends (a duplicate); `never_applies` otherwise (cancelled, or delivered
 * before it shipped: the endpoints refuse both with 409).
 */
export function decideReport(report: WarehouseReport, status: DeliveryOrderStatus): ReportDecision {
  if (report === 'shipped') {
    if (status === 'reserved') return 'apply';
    return status === 'shipped' || status === 'delivered' ? 'already_applied' : 'never_applies';
  }
  if (status === 'shipped') return 'apply';
  return status === 'delivered' ? 'already_applied' : 'never_applies';
}

const reportPayload = z.object({
  deliveryOrderId: z.uuid(),
  /** When it happened at the warehouse; the saga records its own time. */
  at: z.iso.datetime({ offset: true }),
});

export interface WarehouseEventSettings {
  subjectPrefix: string;
  warehouseSubjectPrefix: string;
  /** How long a report that could not be applied now waits before it is tried again. */
  retryDelayMs: number;
}

export function warehouseEventSettings(config: Config): WarehouseEventSettings {
  return {
    subjectPrefix: config.NATS_SUBJECT_PREFIX,
    warehouseSubjectPrefix: config.NATS_WAREHOUSE_SUBJECT_PREFIX,
    retryDelayMs: config.WAREHOUSE_EVENTS_RETRY_DELAY,
  };
}

export interface WarehouseEventDeps {
  nats: NatsConnection;
  db: Db;
  moves: DeliveryMoves;
  settings: WarehouseEventSettings;
  log: Logger;
}

export interface WarehouseEventConsumer {
  start(): void;
  /** Lets the report in flight finish, then stops pulling. */
  stop(): Promise<void>;
}

export function createWarehouseEventConsumer({ nats, db, moves, settings, log }: WarehouseEventDeps): WarehouseEventConsumer {
  const names = eventStreamNames(settings.subjectPrefix, settings.warehouseSubjectPrefix);
  const stopping = new AbortController();
  let messages: ConsumerMessages | undefined;
  let running: Promise<void> | undefined;

  async function run(): Promise<void> {
    while (!stopping.signal.aborted) {
      try {
        const jsm = await jetstreamManager(nats);
        const stream = await ensureStream(
          jsm,
          { name: names.warehouseStream, subjects: names.warehouseSubjects, probe: names.shippedSubject },
          log,
        );
        await ensureStream(
          jsm,
          {
            name: names.deadLetterStream,
            subjects: names.deadLetterSubjects,
            probe: names.deadLetterSubject(names.shippedSubject),
          },
          log,
        );
        await ensureConsumer(jsm, stream);
        const js = jetstream(nats);
        const consumer = await js.consumers.get(stream, names.warehouseConsumer);
        messages = await consumer.consume({ max_messages: 10 });
        if (stopping.signal.aborted) await messages.close();
        for await (const message of messages) await process(js, message);
      } catch (err) {
        if (stopping.signal.aborted) break;
        log.warn('warehouse consumer interrupted; retrying', { error: String(err) });
      }
      await sleep(RESTART_BACKOFF_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  }

  async function ensureConsumer(jsm: JetStreamManager, stream: string): Promise<void> {
    const found = await jsm.consumers.info(stream, names.warehouseConsumer).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
      throw err;
    });
    if (found) return;
    await jsm.consumers.add(stream, {
      durable_name: names.warehouseConsumer,
      filter_subject: names.warehouseFilter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: 1,
    });
    log.info('created the warehouse consumer', { stream, consumer: names.warehouseConsumer });
  }

  async function process(js: JetStreamClient, message: JsMsg): Promise<void> {
    const working = setInterval(() => message.working(), WORKING_EVERY_MS);
    try {
      await handle(js, message);
    } catch (err) {
      log.warn('could not apply a warehouse report now; it comes back later', {
        subject: message.subject,
        streamSequence: message.seq,
        deliveries: message.info.deliveryCount,
        error: String(err),
      });
      message.nak(settings.retryDelayMs);
    } finally {
      clearInterval(working);
    }
  }

  /** Acks, dead-letters or throws (the caller naks): see the file comment. */
  async function handle(js: JetStreamClient, message: JsMsg): Promise<void> {
    const report: WarehouseReport | undefined =
      message.subject === names.shippedSubject ? 'shipped' : message.subject === names.deliveredSubject ? 'delivered' : undefined;
    if (!report) return deadLetter(js, message, `this service takes no reports on ${message.subject}`);
    let payload: unknown;
    try {
      payload = message.json();
    } catch {
      return deadLetter(js, message, 'the payload is not JSON');
    }
    const parsed = reportPayload.safeParse(payload);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
      return deadLetter(js, message, `bad payload: ${problems}`);
    }
    const { deliveryOrderId } = parsed.data;

    const deliveryOrder = await findDeliveryOrder(deliveryOrderId);
    if (!deliveryOrder) return deadLetter(js, message, `no delivery order ${deliveryOrderId}`);
    const decision = decideReport(report, deliveryOrder.status);
    if (decision === 'already_applied') return message.ack();
    if (decision === 'never_applies') {
      return deadLetter(js, message, `delivery order ${deliveryOrderId} is ${deliveryOrder.status}; it cannot become ${report}`);
    }

    // One update id per move, so a repeat (or a redelivery) is the same move to the saga.
    const options = { updateId: `warehouse-${report}-${deliveryOrderId}` };
    try {
      if (report === 'shipped') await moves.ship(deliveryOrder.orderId, deliveryOrderId, options);
      else await moves.deliver(deliveryOrder.orderId, deliveryOrderId, options);
    } catch (err) {
      const refused = fromTemporalFailure(err);
      if (!refused) throw err;
      // A repeat that raced the first delivery of the report is applied by now.
      const now = await findDeliveryOrder(deliveryOrderId);
      if (now && decideReport(report, now.status) === 'already_applied') return message.ack();
      return deadLetter(js, message, `the saga refused it: ${refused.code}: ${refused.message}`);
    }
    message.ack();
  }

  async function findDeliveryOrder(id: string) {
    const [row] = await db
      .select({ orderId: deliveryOrders.orderId, status: deliveryOrders.status })
      .from(deliveryOrders)
      .where(eq(deliveryOrders.id, id));
    return row && { orderId: row.orderId, status: row.status as DeliveryOrderStatus };
  }

  /** Publishes the report (as it came, with why) to the dead-letter subject, then terminates it. */
  async function deadLetter(js: JetStreamClient, message: JsMsg, reason: string): Promise<void> {
    const why = reason.replace(/[\r\n]+/g, ' ').slice(0, 1000);
    const h = headers();
    h.set('Dead-Letter-Reason', why);
    h.set('Dead-Letter-Subject', message.subject);
    h.set('Dead-Letter-Stream', message.info.stream);
    h.set('Dead-Letter-Sequence', String(message.seq));
    // Keyed by where it came from: a report dead-lettered twice (its term lost) is stored once.
    await js.publish(names.deadLetterSubject(message.subject), message.data, {
      msgID: `${message.info.stream}:${message.seq}`,
      headers: h,
    });
    // Without a reason: servers before 2.10.4 do not understand `+TERM <reason>` and would redeliver.
    message.term();
    log.warn('dead-lettered a warehouse report', { subject: message.subject, streamSequence: message.seq, reason: why });
  }

  return {
    start() {
      running ??= run();
    },
    async stop() {
      stopping.abort();
      await messages?.close();
      await running;
    },
  };
}

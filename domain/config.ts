import { z } from 'zod';
import { parseDuration } from './duration';
import { chargeBoundMs } from './payment';

const durationText = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const duration = (fallback: string) => z.string().default(fallback).pipe(durationText);

/** The payment providers the worker can charge through. */
export const PAYMENT_PROVIDERS = ['sandbox'] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];

/** A NATS subject prefix: one or more tokens, each followed by a dot (`orders-service.`). */
const subjectPrefix = (fallback: string) =>
  z
    .string()
    .regex(/^([A-Za-z0-9_-]+\.)+$/, 'must be tokens of A-Z, a-z, 0-9, "_" or "-", each followed by "."')
    .default(fallback);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `https://shop.example.com,http://localhost:5173`: each entry an origin (scheme, host, port; no path). */
const originList = z.string().transform((text, ctx) => {
  const origins = text.split(',').map((part) => part.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin such as https://shop.example.com (no path, no trailing slash)` });
    }
  }
  return origins;
});

/** `host:port` for a listener, or `off`. */
const bindAddress = z
  .string()
  .trim()
  .refine((text) => text === 'off' || /^[^\s:]+:\d{1,5}$/.test(text), 'use host:port (e.g. 127.0.0.1:9465) or off');

/** Express's `trust proxy`: a hop count, true/false, or addresses and subnets (`loopback, 10.0.0.0/8`). */
const trustProxy = z
  .string()
  .trim()
  .transform((text): boolean | number | string => {
    if (/^\d+$/.test(text)) return Number(text);
    if (text === 'true' || text === 'false') return text === 'true';
    return text;
  });

/**
 * How long the API lets each kind of call into a saga take (api/order-workflows.ts) before it
 * answers 503: a placement waits on a few short database steps that queue under a burst; a
 * payment on up to three provider calls of PAYMENT_TIMEOUT with retry gaps between; the other
 * updates (cancel, returns, ship, deliver) on a few database steps and refunds.
 */
export function sagaCallBounds(paymentTimeoutMs: number): { placeMs: number; payMs: number; updateMs: number } {
  return { placeMs: 30_000, payMs: chargeBoundMs(paymentTimeoutMs), updateMs: 20_000 };
}

/** The longest of those bounds. */
export function sagaCallTimeoutMs(paymentTimeoutMs: number): number {
  return Math.max(...Object.values(sagaCallBounds(paymentTimeoutMs)));
}

/** REQUEST_TIMEOUT's default: above the saga call bound, so the saga's own 503 answers first. */
const REQUEST_TIMEOUT_MARGIN_MS = 15_000;

/** Every setting the processes read from the environment, parsed once at start-up. */
const settingsSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  TASK_QUEUE: z.string().min(1).default('orders'),
  RESERVATION_TTL: duration('15m'),
  /** The longest a stock hold (or an unpaid order's reservation) lives from its start, extensions included. */
  HOLD_MAX_TTL: duration('2h'),
  /** How many times a stock hold (or an unpaid order's reservation) may be extended. */
  RESERVATION_MAX_EXTENSIONS: z.coerce.number().int().min(0).max(100).default(1),
  PAYMENT_TIMEOUT: duration('5s'),
  RETURN_WINDOW: duration('30d'),
  API_KEYS: z.string().optional(),
  JWT_SECRET: z.string().min(1).optional(),
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  BODY_LIMIT: z.string().default('100kb'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Bearer token Prometheus presents at /metrics (an admin credential works too). */
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** Port of the worker's own /metrics; 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Where the Temporal SDK serves its worker metrics (Prometheus format), or `off`. */
  TEMPORAL_METRICS_BIND: bindAddress.default('127.0.0.1:9465'),
  /** Origins browsers may call the API from; unset means no cross-origin access at all. */
  CORS_ORIGINS: originList.default([]),
  /** Requests per minute per credential; unset means no limit. */
  RATE_LIMIT: z.coerce.number().int().min(1).optional(),
  TRUST_PROXY: trustProxy.optional(),
  /** Longest a request may take before it is answered 503; defaults to above the saga call bound. */
  REQUEST_TIMEOUT: durationText.optional(),
  /** How long a stopping process gives work in flight (requests, activities) to finish. */
  SHUTDOWN_GRACE: duration('10s'),
  /**
   * The worker's slots: workflow tasks it runs at once, and the pollers that fetch them; local
   * activities (the placing steps) and activities it runs at once. Unset, the SDK's defaults
   * (40 workflow tasks, min(10, that) pollers, 100 and 100).
   */
  WORKER_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).optional(),
  WORKER_WORKFLOW_POLLERS: z.coerce.number().int().min(2).max(100).optional(),
  WORKER_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1000).optional(),
  WORKER_ACTIVITIES: z.coerce.number().int().min(1).max(1000).optional(),
  /**
   * Sagas the worker keeps in memory between their tasks (a saga out of the cache replays its
   * history on its next task). Unset, the SDK's default, which grows with the heap; 0 keeps none
   * (every task replays); below WORKER_WORKFLOW_TASKS, the SDK lowers the workflow tasks to it.
   */
  WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).optional(),
  /** The card processor the worker charges through; only the sandbox exists so far. Unset: see paymentProviderOf. */
  PAYMENT_PROVIDER: z.enum(PAYMENT_PROVIDERS).optional(),
  // Events. Without NATS_URL the relay and the warehouse consumer are off; events wait in the outbox.
  NATS_URL: z.string().min(1).optional(),
  NATS_SUBJECT_PREFIX: subjectPrefix('orders-service.'),
  NATS_WAREHOUSE_SUBJECT_PREFIX: subjectPrefix('warehouse.'),
  NATS_DUPLICATE_WINDOW: duration('2m'),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(200),
  OUTBOX_POLL_INTERVAL: duration('1s'),
  OUTBOX_PUBLISH_TIMEOUT: duration('5s'),
  OUTBOX_MAX_BACKOFF: duration('30s'),
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  WAREHOUSE_EVENTS_RETRY_DELAY: duration('5s'),
});

/** How often a standby relay tries to take the lead: part of the longest gap before an event is repeated. */
export const RELAY_TAKEOVER_MS = 2_000;

export const configSchema = settingsSchema
  .superRefine((config, ctx) => {
    // The relay repeats an event whose ack it never saw after at most this long (a lost ack's
    // timeout, the longest backoff, a standby taking over); JetStream must still remember its id.
    const longestRetryGapMs = config.OUTBOX_PUBLISH_TIMEOUT + config.OUTBOX_MAX_BACKOFF + RELAY_TAKEOVER_MS;
    if (config.HOLD_MAX_TTL < config.RESERVATION_TTL) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOLD_MAX_TTL'],
        message: `must be at least RESERVATION_TTL (${config.RESERVATION_TTL} ms), the default length of a stock hold`,
      });
    }
    if (config.NATS_DUPLICATE_WINDOW <= longestRetryGapMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['NATS_DUPLICATE_WINDOW'],
        message: `must be longer than OUTBOX_PUBLISH_TIMEOUT + OUTBOX_MAX_BACKOFF + ${RELAY_TAKEOVER_MS / 1000}s (${longestRetryGapMs} ms)`,
      });
    }
  })
  .transform(({ REQUEST_TIMEOUT, ...settings }) => ({
    ...settings,
    REQUEST_TIMEOUT: REQUEST_TIMEOUT ?? sagaCallTimeoutMs(settings.PAYMENT_TIMEOUT) + REQUEST_TIMEOUT_MARGIN_MS,
  }));

export type Config = z.infer<typeof configSchema>;
export type LogLevel = Config['LOG_LEVEL'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

export function requireDatabaseUrl(config: Config): string {
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');
  return config.DATABASE_URL;
}

/**
 * The provider the worker charges through: PAYMENT_PROVIDER, or the sandbox outside production.
 * In production the sandbox (which takes no real money) must be asked for by name, so a
 * forgotten setting stops the worker instead of confirming orders nobody paid for.
 */
export function paymentProviderOf(config: Pick<Config, 'NODE_ENV' | 'PAYMENT_PROVIDER'>): PaymentProviderName {
  if (config.PAYMENT_PROVIDER) return config.PAYMENT_PROVIDER;
  if (config.NODE_ENV !== 'production') return 'sandbox';
  throw new Error(
    'PAYMENT_PROVIDER is not set: with NODE_ENV=production the worker will not fall back to the sandbox payment ' +
      'provider, which takes no real money. Set PAYMENT_PROVIDER=sandbox to run on it anyway.',
  );
}

import { z } from 'zod';
import { parseDuration } from './duration';

const durationText = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseDuration(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

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
 * How long the API lets one call into a saga take (api/order-saga.ts): long enough for a payment
 * and its retries (`PAYMENT_TIMEOUT` per attempt) on top of the placement's own steps.
 */
export function sagaCallTimeoutMs(paymentTimeoutMs: number): number {
  return 30_000 + 4 * paymentTimeoutMs;
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
});

export const configSchema = settingsSchema.transform(({ REQUEST_TIMEOUT, ...settings }) => ({
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

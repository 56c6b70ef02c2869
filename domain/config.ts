import { z } from 'zod';
import { parseDuration } from './duration';

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

/** Every setting the processes read from the environment, parsed once at start-up. */
export const configSchema = z.object({
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
});

export type Config = z.infer<typeof configSchema>;

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

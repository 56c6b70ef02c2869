import { createHash } from 'node:crypto';
import type { Config } from '../../domain/config';
import { DomainError } from '../../domain/errors';
import { defaultLogger } from '../../logging/logger';
import { ROLES, type Authenticator, type Principal, type Role } from './principal';

export const DEV_ADMIN_KEY = 'dev-admin-key';
const HEADER = 'x-api-key';

/**
 * Parses API_KEYS: comma-separated `key=role` or `key=role:subject`. Customer keys must name
 * their customer, since that is where a customer's orders take their customerId from.
 */
export function parseApiKeys(text: string): Map<string, Omit<Principal, 'method'>> {
  const keys = new Map<string, Omit<Principal, 'method'>>();
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)=([a-z]+)(?::(\S+))?$/.exec(entry);
    if (!match) throw new Error(`API_KEYS: "${redact(entry)}" is not key=role or key=role:subject`);
    const [, key, role, subject] = match as unknown as [string, string, string, string | undefined];
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`API_KEYS: unknown role "${role}" (use ${ROLES.join(', ')})`);
    }
    if (role === 'customer' && !subject) throw new Error('API_KEYS: a customer key needs a subject (key=customer:<id>)');
    if (keys.has(key)) throw new Error(`API_KEYS: key "${redact(key)}" appears twice`);
    keys.set(key, { role: role as Role, subject: subject ?? null });
  }
  return keys;
}

/**
 * `X-API-Key` authentication. Without API_KEYS outside production, `dev-admin-key` is an admin
 * key (with a warning); in production that is refused and `undefined` is returned, so the app
 * can fail start-up when no authenticator at all is configured.
 */
export function createApiKeyAuthenticator(
  config: Pick<Config, 'API_KEYS' | 'NODE_ENV'>,
  warn: (message: string) => void = (message) => defaultLogger().warn(message),
): Authenticator | undefined {
  let keys: Map<string, Omit<Principal, 'method'>>;
  if (config.API_KEYS?.trim()) {
    keys = parseApiKeys(config.API_KEYS);
  } else if (config.NODE_ENV !== 'production') {
    warn(`API_KEYS is not set: "${DEV_ADMIN_KEY}" is accepted as an admin key. Never run like this in production.`);
    keys = new Map([[DEV_ADMIN_KEY, { role: 'admin', subject: null }]]);
  } else {
    return undefined;
  }
  // Looked up by digest so the comparison time does not depend on how much of a key matched.
  const byDigest = new Map([...keys].map(([key, principal]) => [digest(key), principal]));
  return {
    async authenticate(req) {
      const key = req.get(HEADER);
      if (key === undefined) return undefined;
      const found = byDigest.get(digest(key));
      if (!found) throw new DomainError('UNAUTHENTICATED', 'the API key is not valid');
      return { ...found, method: 'api-key' };
    },
  };
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function redact(text: string): string {
  return text.length <= 4 ? '****' : `${text.slice(0, 2)}…${text.slice(-2)}`;
}

import type { Request } from 'express';
import type { JWTPayload, JWTVerifyGetKey } from 'jose' with { 'resolution-mode': 'import' };
import type { Config } from '../../domain/config';
import { DomainError } from '../../domain/errors';
import { catalogId } from '../schemas/ids';
import { ROLES, type Authenticator, type Principal, type Role } from './principal';

type JwtConfig = Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const SYMMETRIC = ['HS256'];
const ASYMMETRIC = ['RS256', 'ES256'];
// Tolerated clock difference between the token issuer and this server when checking exp/nbf.
const CLOCK_TOLERANCE_SECONDS = 5;
// Errors of jose that mean the token's keys could not be fetched (no answer, not a 200, not a
// key set), not that the token is bad.
const KEY_SOURCE_UNAVAILABLE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/**
 * `Authorization: Bearer <JWT>` authentication. HS256 tokens are verified with JWT_SECRET,
 * RS256/ES256 tokens with the keys published at JWT_JWKS_URL (fetched on first use and cached,
 * refetched when a token names an unknown key id); no other algorithm is accepted, so a token
 * cannot pick its own verification. `exp` is required; JWT_ISSUER and JWT_AUDIENCE are checked
 * when set. `sub` is the customer id, `role` the role (default `customer`). Returns undefined when
 * no JWT setting is configured.
 */
export function createJwtAuthenticator(config: JwtConfig): Authenticator | undefined {
  const { JWT_SECRET: secret, JWT_JWKS_URL: jwksUrl } = config;
  if (!secret && !jwksUrl) return undefined;
  const algorithms = [...(secret ? SYMMETRIC : []), ...(jwksUrl ? ASYMMETRIC : [])];

  // jose is ESM-only: loaded once, on the first bearer token, so this module stays CommonJS.
  let verifier: Promise<(token: string) => Promise<JWTPayload>> | undefined;
  const load = async () => {
    const jose = await import('jose');
    const hmacKey = secret ? new TextEncoder().encode(secret) : undefined;
    const remoteKeys = jwksUrl ? jose.createRemoteJWKSet(new URL(jwksUrl)) : undefined;
    // Each algorithm family has exactly one key source; `algorithms` already refused the others.
    const keyFor: JWTVerifyGetKey = (header, token) =>
      header.alg === 'HS256' ? hmacKey! : remoteKeys!(header, token);
    return async (token: string) => {
      const { payload } = await jose.jwtVerify(token, keyFor, {
        algorithms,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
        ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
      });
      return payload;
    };
  };

  return {
    async authenticate(req: Request): Promise<Principal | undefined> {
      const token = BEARER.exec(req.get('authorization') ?? '')?.[1];
      if (token === undefined) return undefined;
      verifier ??= load();
      let payload: JWTPayload;
      try {
        payload = await (await verifier)(token);
      } catch (err) {
        throw refusal(err);
      }
      return principalOf(payload);
    },
  };
}

/** The caller a verified token names: `role` (default customer) and `sub`, which customers must carry. */
function principalOf(payload: JWTPayload): Principal {
  const role = payload.role ?? 'customer';
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw new DomainError('UNAUTHENTICATED', `the bearer token's role claim must be one of ${ROLES.join(', ')}`);
  }
  const subject = payload.sub ?? null;
  if (role === 'customer' && !catalogId.safeParse(subject).success) {
    throw new DomainError('UNAUTHENTICATED', "a customer's bearer token needs a sub claim naming the customer id");
  }
  return { role: role as Role, subject, method: 'jwt' };
}

/**
 * Why a token was not accepted: 401, or 503 when the key set could not be fetched. Errors that
 * are not jose's (fetch failing to reach the JWKS URL) go on to the error handler, which answers
 * an unreachable host with 503 too.
 */
function refusal(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  // jose's own errors all carry an ERR_JOSE_*, ERR_JWS_*, ERR_JWT_* or ERR_JWKS_* code.
  if (typeof code !== 'string' || !code.startsWith('ERR_J')) return err;
  if (KEY_SOURCE_UNAVAILABLE.has(code)) {
    return new DomainError('INVENTORY_UNAVAILABLE', 'the keys to verify the bearer token could not be fetched; retry later');
  }
  if (code === 'ERR_JWT_EXPIRED') return new DomainError('UNAUTHENTICATED', 'the bearer token has expired');
  return new DomainError('UNAUTHENTICATED', 'the bearer token is not valid');
}

import { compactVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors, type ProtectedHeaderParameters } from 'jose';
import type { Config } from '../../config.js';
import { isObject } from '../../model/json.js';
import { LogBudget } from '../../observability/logBudget.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { forbidden, unauthorized, type HttpError } from '../operationOutcome.js';
import { buildIssuerKeys, type IssuerKeys } from './keyResolvers.js';
import { InMemoryReplayCache, type ReplayCache } from './replayCache.js';
import { loadTrustedIssuers, type TrustedIssuer } from './trustedIssuers.js';

/**
 * Verifies the JWT a CDS Client sends with every service and feedback call (CDS Hooks 2.0, "Trusting
 * CDS Clients", https://cds-hooks.hl7.org/2.0/#trusting-cds-clients). The checks run in a fixed order
 * and each has a name, which is what the log line reports on failure; the response is a bare 401 (or
 * 403 for a caller that is known and valid but not allowed this service).
 */

/**
 * Asymmetric algorithms only: `none` and HS* (a shared secret) are never accepted
 * (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients: `alg` SHALL NOT be `none` or a symmetric algorithm).
 */
const ALLOWED_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export type AuthCheck =
  | 'header'
  | 'alg'
  | 'typ'
  | 'kid'
  | 'iss'
  | 'jku'
  | 'signature'
  | 'aud'
  | 'exp'
  | 'nbf'
  | 'iat'
  | 'jti'
  | 'tenant'
  | 'service';

export interface VerifiedCaller {
  iss: string;
  jti: string;
  kid: string;
  tenant?: string;
}

export interface AuthVerifier {
  /**
   * Verifies an `Authorization` header value for a call to `audience` (the endpoint's public URL).
   * `serviceId` is the called service, or null for endpoints not tied to one. Throws HttpError 401/403.
   */
  verify(authorization: string | undefined, audience: string, serviceId: string | null): Promise<VerifiedCaller>;
}

export interface AuthVerifierOptions {
  /** Replaces the in-memory replay cache, e.g. with a shared store. */
  replayCache?: ReplayCache;
  /** Milliseconds since the epoch; injectable so tests need no wall-clock luck. */
  now?: () => number;
  /** Issuers trusted besides the file's (the preview page's demo issuer, added by main.ts in development only). */
  extraIssuers?: TrustedIssuer[];
  /** Told the non-secret facts of each refusal (the same as the log line), e.g. for the preview page. */
  onRefusal?: (facts: Record<string, unknown>) => void;
  /** Counts every refusal by check (`cds_caller_refusals_total`), logged or not. */
  metrics?: Pick<Metrics, 'callerRefusals'>;
  /** The services this process offers: an issuer's `services` naming another stops the start. */
  serviceIds?: readonly string[];
  /** The trusted-issuers file already read (main.ts reads it before the store is opened); else it is read here. */
  trusted?: { file: string; issuers: TrustedIssuer[] };
}

/**
 * Refusal lines logged one by one, at most (any client can cause them at will): 60 a minute shows an
 * integrator every line of a misconfiguration, while a flood of bad tokens adds one summary line a minute.
 */
export const REFUSAL_LINES_PER_MINUTE = 60;

type Facts = Record<string, unknown>;

/** Internal: one failed check, with the non-secret facts worth logging. */
class CheckFailed extends Error {
  constructor(
    readonly check: AuthCheck,
    readonly facts: Facts,
  ) {
    super(`${check} check failed`);
  }
}

function fail(check: AuthCheck, facts: Facts): never {
  throw new CheckFailed(check, facts);
}

const MAX_LOGGED = 200;
const MAX_JTI_LENGTH = 256;

/** Header and claim values are caller-controlled: log them bounded, and only their type if not a string. */
function shown(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_LOGGED ? `${v.slice(0, MAX_LOGGED)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return v;
  if (Array.isArray(v)) return v.slice(0, 5).map(shown);
  return `(${typeof v})`;
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Bound every input: CDS clients' tokens are well under 2 KB; a larger one is refused before any parsing. */
const MAX_TOKEN_LENGTH = 8 * 1024;

function bearerToken(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') return fail('header', { reason: 'missing' });
  if (authorization.length > MAX_TOKEN_LENGTH + 16) return fail('header', { reason: `longer than ${MAX_TOKEN_LENGTH} characters` });
  const m = /^(\S+)\s+(\S+)\s*$/.exec(authorization.trim());
  const scheme = m?.[1] ?? authorization.trim().split(/\s/)[0] ?? '';
  if (!m || scheme.toLowerCase() !== 'bearer') {
    // Only the scheme word is logged, never the credential after it.
    return fail('header', { reason: 'not a Bearer credential', scheme: /^[A-Za-z][A-Za-z0-9-]{0,19}$/.test(scheme) ? scheme : '(other)' });
  }
  const token = m[2] as string;
  if (token.split('.').length !== 3) return fail('header', { reason: 'not a compact JWS (three dot-separated parts)' });
  return token;
}

function protectedHeader(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return fail('header', { reason: 'unreadable JOSE header' });
  }
}

function signatureFailureReason(e: unknown): string {
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key with this kid in the issuer JWK Set';
  if (e instanceof joseErrors.JWKSMultipleMatchingKeys) return 'several keys in the issuer JWK Set match this kid';
  if (e instanceof joseErrors.JWKSTimeout) return 'fetching the issuer JWK Set timed out';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (e instanceof joseErrors.JOSEError) return `rejected by jose (${e.code})`;
  // fetch errors (DNS, refused, non-JSON) surface as plain errors: the key set is unavailable.
  return `issuer JWK Set unavailable (${e instanceof Error ? e.name : 'error'})`;
}

class JoseAuthVerifier implements AuthVerifier {
  private readonly issuers: Map<string, { issuer: TrustedIssuer; keys: IssuerKeys }>;
  private readonly refusalLines: LogBudget;
  private readonly cacheFullLines: LogBudget;

  constructor(
    issuers: TrustedIssuer[],
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly replayCache: ReplayCache,
    private readonly nowMs: () => number,
    private readonly onRefusal: (facts: Record<string, unknown>) => void = () => undefined,
    private readonly metrics: Pick<Metrics, 'callerRefusals'> | null = null,
  ) {
    this.issuers = new Map(issuers.map((issuer) => [issuer.iss, { issuer, keys: buildIssuerKeys(issuer) }]));
    this.refusalLines = new LogBudget({
      perWindow: REFUSAL_LINES_PER_MINUTE,
      windowMs: 60_000, // by the wall clock (its default), not nowMs: that one is the tokens' time, which tests fix
      onSuppressed: (notLogged, byCheck) =>
        logger.warn({ notLogged, byCheck, perMinute: REFUSAL_LINES_PER_MINUTE }, 'caller verification failed more often than logged: these refusals were not logged one by one'),
    });
    this.cacheFullLines = new LogBudget({
      perWindow: REFUSAL_LINES_PER_MINUTE,
      windowMs: 60_000,
      onSuppressed: (notLogged) => logger.error({ notLogged, perMinute: REFUSAL_LINES_PER_MINUTE }, 'the JWT replay cache was full more often than logged: calls refused'),
    });
  }

  async verify(authorization: string | undefined, audience: string, serviceId: string | null): Promise<VerifiedCaller> {
    // What we have learned so far about the caller, for the log line (iss, kid, jti are not secret).
    const seen: Facts = {};
    try {
      const caller = await this.check(authorization, audience, serviceId, seen);
      this.logger.debug({ iss: caller.iss, kid: caller.kid, jti: caller.jti, tenant: caller.tenant, serviceId }, 'caller verified');
      return caller;
    } catch (e) {
      if (!(e instanceof CheckFailed)) throw e;
      const line = { check: e.check, ...e.facts, ...seen, audience, serviceId };
      // A full replay cache is this service's capacity, not a caller's fault: its own label and error lines,
      // with their own budget, so that a flood of bad tokens cannot hide it.
      const cacheFull = e.check === 'jti' && e.facts.reason === 'replay cache full';
      this.metrics?.callerRefusals.inc({ check: cacheFull ? 'replay-cache-full' : e.check });
      if (cacheFull) {
        if (this.cacheFullLines.allow('replay-cache-full')) this.logger.error(line, 'caller verification failed');
      } else if (this.refusalLines.allow(e.check)) this.logger.warn(line, 'caller verification failed');
      this.onRefusal(line);
      throw this.httpErrorFor(e);
    }
  }

  private httpErrorFor(e: CheckFailed): HttpError {
    // 403 only for a caller whose token is entirely valid; every other failure is a bare 401.
    return e.check === 'service' ? forbidden('This client is not allowed to call this CDS Service.') : unauthorized();
  }

  private async check(authorization: string | undefined, audience: string, serviceId: string | null, seen: Facts): Promise<VerifiedCaller> {
    const skew = this.config.auth.clockSkewSeconds;
    const maxAge = this.config.auth.maxTokenAgeSeconds;

    // header
    const token = bearerToken(authorization);
    const header = protectedHeader(token);
    if (header.kid !== undefined) seen.kid = shown(header.kid);

    // alg
    const alg = header.alg;
    if (typeof alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) fail('alg', { received: shown(alg) });
    seen.alg = alg;

    // typ: the spec fixes it to "JWT"; compared without case and with the optional "application/" prefix, as
    // RFC 7515 §4.1.9 compares media types ("jwt", "application/jwt" are the same type). Not a security
    // check: the signature, alg and claims are.
    if (typeof header.typ !== 'string' || header.typ.toUpperCase().replace(/^APPLICATION\//, '') !== 'JWT') fail('typ', { received: shown(header.typ) });

    // kid
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') return fail('kid', { reason: 'missing' });

    // iss: read before the signature check (unverified) only to pick the issuer's keys.
    let unverified: Record<string, unknown>;
    try {
      unverified = decodeJwt(token);
    } catch {
      return fail('iss', { reason: 'unreadable claims' });
    }
    if (typeof unverified.jti === 'string') seen.jti = shown(unverified.jti);
    const iss = unverified.iss;
    seen.iss = shown(iss);
    if (typeof iss !== 'string') return fail('iss', { reason: 'missing' });
    const entry = this.issuers.get(iss);
    if (!entry) return fail('iss', { reason: 'not a trusted issuer' });
    const { issuer, keys } = entry;

    // jku
    const jku = header.jku;
    if (jku !== undefined && (typeof jku !== 'string' || !issuer.jku.includes(jku))) {
      fail('jku', { reason: 'not on the issuer allow-list', received: shown(jku) });
    }

    // signature
    let payloadBytes: Uint8Array;
    try {
      const result = await compactVerify(token, keys.resolverFor(jku as string | undefined), { algorithms: [...ALLOWED_ALGORITHMS] });
      payloadBytes = result.payload;
    } catch (e) {
      return fail('signature', { reason: signatureFailureReason(e) });
    }
    // From here on the claims are the signed ones.
    let claims: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(payloadBytes));
      if (!isObject(parsed)) throw new Error('not an object');
      claims = parsed;
    } catch {
      return fail('signature', { reason: 'signed payload is not a JSON object' });
    }

    // aud: a string, or an array with the endpoint's URL as a member.
    const aud = claims.aud;
    const audOk = typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.some((a) => a === audience);
    if (!audOk) fail('aud', { expected: audience, received: shown(aud) });

    const now = this.nowMs() / 1000;

    // exp
    const exp = claims.exp;
    if (!isNumericDate(exp)) return fail('exp', { reason: 'missing', now: Math.floor(now) });
    if (exp <= now - skew) fail('exp', { reason: 'expired', exp, now: Math.floor(now) });

    // nbf is optional in CDS Hooks, but a token that says "not yet" must not pass (RFC 7519 §4.1.5).
    const nbf = claims.nbf;
    if (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + skew)) fail('nbf', { reason: 'not yet valid', nbf: shown(nbf), now: Math.floor(now) });

    // iat
    const iat = claims.iat;
    if (!isNumericDate(iat)) return fail('iat', { reason: 'missing', now: Math.floor(now) });
    if (iat > now + skew) fail('iat', { reason: 'in the future', iat, now: Math.floor(now) });
    if (iat < now - maxAge - skew) fail('iat', { reason: 'too old', iat, now: Math.floor(now), maxAgeSeconds: maxAge });

    // jti: must be there; the replay check itself comes last (below).
    const jti = claims.jti;
    if (typeof jti !== 'string' || jti === '') return fail('jti', { reason: 'missing' });
    if (jti.length > MAX_JTI_LENGTH) fail('jti', { reason: `longer than ${MAX_JTI_LENGTH} characters` });

    // tenant: optional; checked only when the issuer entry lists tenants.
    const tenant = claims.tenant;
    if (tenant !== undefined && typeof tenant !== 'string') fail('tenant', { reason: 'not a string' });
    if (issuer.tenants !== null && (typeof tenant !== 'string' || !issuer.tenants.includes(tenant))) {
      fail('tenant', { reason: tenant === undefined ? 'missing' : 'not on the issuer allow-list', received: shown(tenant) });
    }
    if (typeof tenant === 'string') seen.tenant = shown(tenant);

    // service (403)
    if (serviceId !== null && issuer.services !== '*' && !issuer.services.includes(serviceId)) {
      fail('service', { reason: 'issuer not allowed for this service' });
    }

    // jti replay, last: only a token that passes every other check uses up its id. Remembered for as
    // long as the token could still be accepted (the earlier of its exp and the age limit, plus skew).
    const keepUntil = Math.min(exp + skew, iat + maxAge + skew);
    const verdict = await this.replayCache.checkAndStore(`${iss}\u0000${jti}`, keepUntil, now);
    if (verdict === 'seen') fail('jti', { reason: 'replayed' });
    if (verdict === 'full') fail('jti', { reason: 'replay cache full' });

    const caller: VerifiedCaller = { iss, jti, kid };
    if (typeof tenant === 'string') caller.tenant = tenant;
    return caller;
  }
}

/**
 * Builds the verifier from the trusted-issuers file (config/README.md). Returns null when caller
 * verification is switched off (AUTH=off). Throws when no issuer is usable.
 */
export async function createAuthVerifier(config: Config, logger: Logger, options: AuthVerifierOptions = {}): Promise<AuthVerifier | null> {
  if (!config.auth.required) {
    const line = { nodeEnv: config.nodeEnv };
    if (config.nodeEnv === 'production') logger.error(line, 'caller verification is OFF (AUTH=off): any client can call the CDS Services');
    else logger.warn(line, 'caller verification is OFF (AUTH=off)');
    return null;
  }
  const { file, issuers: fromFile } = options.trusted ?? (await loadTrustedIssuers(config, logger, options.serviceIds));
  const issuers = [...fromFile, ...(options.extraIssuers ?? [])];
  logger.info({ file, issuers: issuers.map((i) => i.iss) }, 'caller verification on: trusted issuers loaded');
  return new JoseAuthVerifier(
    issuers,
    config,
    logger,
    options.replayCache ?? new InMemoryReplayCache(),
    options.now ?? (() => Date.now()),
    options.onRefusal,
    options.metrics ?? null,
  );
}

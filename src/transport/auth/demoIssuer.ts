import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import type { TrustedIssuer } from './trustedIssuers.js';

/**
 * The preview page's own JWT issuer (development only): a key pair generated at start and never
 * written anywhere, trusted by the verifier only when main.ts adds it in development. The page asks
 * for a short-lived token and calls the service like an EHR would (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients).
 * Refusals of its own tokens are remembered (a few, by jti) so the page can show the log's reason for a 401.
 */

export const DEMO_ISSUER = 'urn:nkr-pain-cds:preview-demo-issuer';
const DEMO_TOKEN_SECONDS = 60;
const MAX_REMEMBERED = 200;

/** What the verifier logged when it refused one of the demo issuer's tokens (no token, no patient data). */
interface DemoRefusal {
  check: string;
  reason?: string;
  expected?: unknown;
  received?: unknown;
}

export interface DemoIssuer {
  readonly iss: string;
  /** The issuer entry for the verifier: its public key from memory, all services. */
  readonly trusted: TrustedIssuer;
  /** A token for one endpoint URL (`aud`), valid for DEMO_TOKEN_SECONDS. */
  sign(audience: string, nowMs?: number): Promise<{ token: string; jti: string; expiresIn: number }>;
  /** For the verifier: called with the facts of every refused call. Keeps only this issuer's own tokens. */
  recordRefusal(facts: Record<string, unknown>): void;
  refusalOf(jti: string): DemoRefusal | undefined;
}

export function createDemoIssuer(): DemoIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const kid = `demo-${randomUUID()}`;
  const jwk: JWK = { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'ES384', use: 'sig' };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  const issued = new Set<string>();
  const refusals = new Map<string, DemoRefusal>();

  /** Bounded memory: the oldest entry goes when the store is full. */
  const makeRoom = (store: Set<string> | Map<string, unknown>): void => {
    if (store.size < MAX_REMEMBERED) return;
    const oldest = store.keys().next();
    if (!oldest.done) store.delete(oldest.value);
  };

  return {
    iss: DEMO_ISSUER,
    trusted: {
      iss: DEMO_ISSUER,
      keys: { kind: 'file', path: '(generated at start, in memory)', jwks },
      jku: [],
      services: '*',
      tenants: null,
      jwksTimeoutMs: 1000,
      jwksCacheMaxAgeSeconds: 60,
    },
    async sign(audience, nowMs = Date.now()) {
      const jti = randomUUID();
      const iat = Math.floor(nowMs / 1000);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid })
        .setIssuer(DEMO_ISSUER)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + DEMO_TOKEN_SECONDS)
        .setJti(jti)
        .sign(privateKey);
      makeRoom(issued);
      issued.add(jti);
      return { token, jti, expiresIn: DEMO_TOKEN_SECONDS };
    },
    recordRefusal(facts) {
      const jti = facts.jti;
      if (facts.iss !== DEMO_ISSUER || typeof jti !== 'string' || !issued.has(jti)) return;
      const refusal: DemoRefusal = { check: String(facts.check) };
      if (typeof facts.reason === 'string') refusal.reason = facts.reason;
      if (facts.expected !== undefined) refusal.expected = facts.expected;
      if (facts.received !== undefined) refusal.received = facts.received;
      makeRoom(refusals);
      refusals.set(jti, refusal);
    },
    refusalOf: (jti) => refusals.get(jti),
  };
}

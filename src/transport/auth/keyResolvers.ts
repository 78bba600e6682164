import { createLocalJWKSet, createRemoteJWKSet, type CompactVerifyGetKey } from 'jose';
import type { TrustedIssuer } from './trustedIssuers.js';

/**
 * Picks the JWK Set a token is verified against. Every remote set is created here, up front, from
 * the allow-listed URLs only: a URL from a token is used as a lookup key, never fetched as such, so
 * an unlisted `jku` cannot make us send a request anywhere (SSRF).
 *
 * - Issuer with `jwksFile`: all its tokens are verified against that file, with or without an
 *   (allowed) `jku`; the file is the out-of-band copy of the issuer's keys and nothing is fetched.
 * - Issuer with `jwksUri`: a token with an allowed `jku` is verified against the set at that URL,
 *   a token without `jku` against `jwksUri`. jose caches each set, refetches on an unknown kid
 *   (after a cooldown, which picks up key rotation) and does not follow redirects.
 */
export interface IssuerKeys {
  /** `jku` must already be checked against the issuer's allow-list. */
  resolverFor(jku: string | undefined): CompactVerifyGetKey;
}

export function buildIssuerKeys(issuer: TrustedIssuer): IssuerKeys {
  if (issuer.keys.kind === 'file') {
    const local = createLocalJWKSet(issuer.keys.jwks);
    return { resolverFor: () => local };
  }
  const options = {
    timeoutDuration: issuer.jwksTimeoutMs,
    cacheMaxAge: issuer.jwksCacheMaxAgeSeconds * 1000,
  };
  const byUrl = new Map<string, CompactVerifyGetKey>();
  const defaultSet = createRemoteJWKSet(new URL(issuer.keys.uri), options);
  byUrl.set(issuer.keys.uri, defaultSet);
  for (const url of issuer.jku) if (!byUrl.has(url)) byUrl.set(url, createRemoteJWKSet(new URL(url), options));
  return {
    resolverFor(jku) {
      if (jku === undefined) return defaultSet;
      const set = byUrl.get(jku);
      // Unreachable when the caller checked jku first; refuse rather than fall back to another set.
      if (set === undefined) throw new Error(`jku is not on the allow-list of ${issuer.iss}`);
      return set;
    },
  };
}

/**
 * A throw-away JWT issuer for load and fault scripts (scripts/soak.ts, scripts/storeFaults.ts): an ES384
 * key generated per run, its JWK Set and a trusted-issuers file (format: config/README.md) written to
 * `dir`, and a synchronous signer (autocannon's setupRequest cannot wait) that gives every token a fresh
 * `jti`. Tokens live TOKEN_LIFETIME_S only: the replay cache keeps each jti until its token expires
 * (+ clock skew) and holds at most 100 000 ids, so long-lived tokens at a few hundred calls a second
 * would fill it within minutes.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOAK_ISSUER = 'https://soak.nkr-pain-cds.invalid';
const KID = 'soak-key-1';
const TOKEN_LIFETIME_S = 60;

export interface SoakIssuer {
  /** Path of the trusted-issuers file to pass as TRUSTED_ISSUERS_FILE. */
  trustedIssuersFile: string;
  /** A signed token for `aud` (PUBLIC_BASE_URL + the request path), fresh jti. */
  token(aud: string): string;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export function createSoakIssuer(dir: string): SoakIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  writeFileSync(join(dir, 'soak-jwks.json'), JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'ES384', use: 'sig' }] }));
  const trustedIssuersFile = join(dir, 'soak-issuers.json');
  writeFileSync(trustedIssuersFile, JSON.stringify({ issuers: [{ iss: SOAK_ISSUER, jwksFile: 'soak-jwks.json', services: '*' }] }));
  const header = b64url(JSON.stringify({ alg: 'ES384', typ: 'JWT', kid: KID }));
  return {
    trustedIssuersFile,
    token(aud) {
      const now = Math.floor(Date.now() / 1000);
      const payload = b64url(JSON.stringify({ iss: SOAK_ISSUER, aud, iat: now, exp: now + TOKEN_LIFETIME_S, jti: randomUUID() }));
      const signature = sign('sha384', Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${header}.${payload}.${b64url(signature)}`;
    },
  };
}

/**
 * The environment of the service as the load and fault scripts start it: production mode, JWT on with
 * this issuer, loopback on `port`, the store in `dataDir`; `extra` adds or overrides (log level, store, …).
 */
export function serviceEnvFor(issuer: SoakIssuer, options: { port: number; dataDir: string; pseudonymSecret: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    AUTH: 'on',
    HOST: '127.0.0.1',
    PORT: String(options.port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${options.port}`,
    TRUSTED_ISSUERS_FILE: issuer.trustedIssuersFile,
    DATA_DIR: options.dataDir,
    PSEUDONYM_SECRET: options.pseudonymSecret,
    ...options.extra,
  };
}

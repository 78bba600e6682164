/** Shared fixtures for the caller-verification tests: keys, signed tokens, a trusted-issuers file. */
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { loadConfig, type Config } from '../../../src/config.js';
import { projectPath } from '../../../src/projectRoot.js';
import { useTempDirs } from '../../support/tempDirs.js';

export const BASE = 'http://localhost:3000';
export const SERVICE_ID = 'nkr-pain-patient-view';
export const SERVICE_AUD = `${BASE}/cds-services/${SERVICE_ID}`;
export const FEEDBACK_AUD = `${SERVICE_AUD}/feedback`;

/** A fixed clock: no test depends on when it runs. */
export const NOW_S = 1_790_000_000;
export const fixedNow = (): number => NOW_S * 1000;

const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
const SANDBOX_KID = '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f';
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';

export const EHR_ISS = 'https://ehr.example.org';
export const EHR_JKU = 'https://ehr.example.org/.well-known/jwks.json';
export const LIMITED_ISS = 'https://limited.example.org';
export const REMOTE_ISS = 'https://remote.example.org';
const REMOTE_JWKS_URI = 'https://keys.remote.example.org/jwks.json';
export const REMOTE_JKU = 'https://keys.remote.example.org/rotated.json';

export interface Keys {
  es384: { privateKey: CryptoKey; publicJwk: JWK; kid: string };
  rs384: { privateKey: CryptoKey; publicJwk: JWK; kid: string };
  /** Same kid as es384, different key: a forged signature. */
  impostor: { privateKey: CryptoKey };
  sandbox: KeyObject;
}

export async function makeKeys(): Promise<Keys> {
  const es = await generateKeyPair('ES384');
  const rs = await generateKeyPair('RS384');
  const impostor = await generateKeyPair('ES384');
  return {
    es384: { privateKey: es.privateKey, publicJwk: { ...(await exportJWK(es.publicKey)), kid: 'ehr-es384', alg: 'ES384', use: 'sig' }, kid: 'ehr-es384' },
    rs384: { privateKey: rs.privateKey, publicJwk: { ...(await exportJWK(rs.publicKey)), kid: 'ehr-rs384', alg: 'RS384', use: 'sig' }, kid: 'ehr-rs384' },
    impostor: { privateKey: impostor.privateKey },
    sandbox: createPrivateKey(readFileSync(projectPath('fixtures', 'sandbox', 'sandbox-signing-key.pem'), 'utf8')),
  };
}

/** Every test file that imports this kit removes the temp folders it made when it ends. */
const tempDir = useTempDirs();

/** Writes a trusted-issuers file (and the JWK Set it names) into a fresh temp folder; returns its path. */
export function writeIssuersFile(issuers: unknown[], jwks: Record<string, { keys: JWK[] }> = {}): string {
  const dir = tempDir('nkr-auth-');
  for (const [name, set] of Object.entries(jwks)) writeFileSync(join(dir, name), JSON.stringify(set));
  const file = join(dir, 'trusted-issuers.json');
  writeFileSync(file, JSON.stringify({ issuers }));
  return file;
}

/** The usual test file: an EHR (all services, one jku), a limited issuer, and a remote-JWKS issuer. */
export function standardIssuersFile(keys: Keys): string {
  return writeIssuersFile(
    [
      { iss: EHR_ISS, jwksFile: 'ehr-jwks.json', jku: [EHR_JKU], services: '*' },
      { iss: LIMITED_ISS, jwksFile: 'ehr-jwks.json', services: ['some-other-service'], tenants: ['tenant-a'] },
      { iss: REMOTE_ISS, jwksUri: REMOTE_JWKS_URI, jku: [REMOTE_JKU], services: '*', jwksTimeoutMs: 2000 },
    ],
    { 'ehr-jwks.json': { keys: [keys.es384.publicJwk, keys.rs384.publicJwk] } },
  );
}

export function testConfig(overrides: Partial<Config['auth']> = {}, env: Record<string, string> = {}): Config {
  const config = loadConfig({ NODE_ENV: 'test', ...env });
  return { ...config, auth: { ...config.auth, ...overrides } };
}

export interface TokenSpec {
  header?: Record<string, unknown>;
  payload?: JWTPayload & Record<string, unknown>;
  /** Drop these claims/header fields after merging with the defaults. */
  omit?: string[];
  omitHeader?: string[];
}

function merged<T extends Record<string, unknown>>(base: T, extra: Record<string, unknown> | undefined, omit: string[] | undefined): T {
  const out: Record<string, unknown> = { ...base, ...(extra ?? {}) };
  for (const k of omit ?? []) delete out[k];
  return out as T;
}

export function defaultPayload(iss: string, aud: string | string[] = SERVICE_AUD): JWTPayload & Record<string, unknown> {
  return { iss, aud, iat: NOW_S, exp: NOW_S + 300, jti: randomUUID() };
}

/** Signs a token with any key and header (jose writes exactly what we give it). */
export async function signToken(key: CryptoKey | KeyObject | Uint8Array, baseHeader: Record<string, unknown>, basePayload: JWTPayload, spec: TokenSpec = {}): Promise<string> {
  const header = merged(baseHeader, spec.header, spec.omitHeader);
  const payload = merged(basePayload as Record<string, unknown>, spec.payload, spec.omit);
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);
}

export function ehrToken(keys: Keys, spec: TokenSpec = {}): Promise<string> {
  return signToken(keys.es384.privateKey, { alg: 'ES384', typ: 'JWT', kid: keys.es384.kid }, defaultPayload(EHR_ISS), spec);
}

/** Exactly what the CDS Hooks sandbox sends. */
export function sandboxToken(keys: Keys, aud: string, iat = NOW_S): Promise<string> {
  return signToken(
    keys.sandbox,
    { alg: 'ES384', typ: 'JWT', kid: SANDBOX_KID, jku: SANDBOX_JKU },
    { iss: SANDBOX_ISS, aud, iat, exp: iat + 300, jti: randomUUID() },
  );
}

/** An unsigned token (`alg: none`), which jose refuses to produce. */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const enc = (o: unknown): string => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(payload)}.`;
}

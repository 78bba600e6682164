import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK } from 'jose';
import type { Config } from '../../config.js';
import type { Logger } from '../../observability/logger.js';
import { projectPath } from '../../projectRoot.js';

/**
 * The trusted-issuers file (format documented in config/README.md): which JWT issuers may call us,
 * where their public keys are, which `jku` URLs they may name, and which services they may call.
 */

export const SANDBOX_ISSUER = 'https://sandbox.cds-hooks.org';

/** The sandbox's published key (its private half is public too, so it proves nothing in production). */
export const SANDBOX_PUBLIC_KEY = {
  kty: 'EC',
  crv: 'P-384',
  x: 'dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB',
  y: 'Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy',
} as const;

export const DEFAULT_JWKS_TIMEOUT_MS = 3000;
export const DEFAULT_JWKS_CACHE_MAX_AGE_SECONDS = 600;

/** Where an issuer's keys come from: a file shipped with the deployment, or a URL we fetch. */
export type KeySource = { kind: 'file'; path: string; jwks: JSONWebKeySet } | { kind: 'remote'; uri: string };

export interface TrustedIssuer {
  iss: string;
  keys: KeySource;
  /** Exact `jku` header values this issuer may use; empty = a token with `jku` is refused. */
  jku: string[];
  /** Service ids, or '*' for all. */
  services: '*' | string[];
  /** null = no tenant check; a list = the `tenant` claim must be one of these. */
  tenants: string[] | null;
  jwksTimeoutMs: number;
  jwksCacheMaxAgeSeconds: number;
}

export class TrustedIssuersError extends Error {
  constructor(file: string, message: string) {
    super(`Trusted issuers file ${file}: ${message}`);
    this.name = 'TrustedIssuersError';
  }
}

const ISSUER_FIELDS = new Set([
  'iss',
  'description',
  'jwksFile',
  'jwksUri',
  'jku',
  'services',
  'tenants',
  'jwksTimeoutMs',
  'jwksCacheMaxAgeSeconds',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(file: string, where: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new TrustedIssuersError(file, `${where} must be a list of non-empty strings`);
  }
  return v as string[];
}

function httpUrl(file: string, where: string, raw: string, production: boolean): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TrustedIssuersError(file, `${where} is not an absolute URL: "${raw}"`);
  }
  // Keys fetched over plain http could be swapped in transit; allowed only for local development.
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && !production)) {
    throw new TrustedIssuersError(file, `${where} must be an https URL${production ? ' in production' : ''}: "${raw}"`);
  }
  return raw;
}

function positiveInt(file: string, where: string, v: unknown, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new TrustedIssuersError(file, `${where} must be a whole number from 1 to ${max}`);
  }
  return v;
}

function readJson(file: string, path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TrustedIssuersError(file, `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new TrustedIssuersError(file, `${what} ${path} is not JSON: ${(e as Error).message}`);
  }
}

/** A JWK Set on disk must hold public signature keys only, each with a kid (we select by kid). */
function readJwks(file: string, where: string, path: string): JSONWebKeySet {
  const raw = readJson(file, path, 'JWK Set');
  if (!isRecord(raw) || !Array.isArray(raw.keys) || raw.keys.length === 0) {
    throw new TrustedIssuersError(file, `${where}: ${path} is not a JWK Set with at least one key`);
  }
  const kids = new Set<string>();
  for (const key of raw.keys as unknown[]) {
    if (!isRecord(key) || typeof key.kty !== 'string') throw new TrustedIssuersError(file, `${where}: ${path} holds a key without kty`);
    if (key.kty === 'oct') throw new TrustedIssuersError(file, `${where}: ${path} holds a symmetric (oct) key; only public keys are allowed`);
    if ('d' in key || 'p' in key || 'q' in key) {
      throw new TrustedIssuersError(file, `${where}: ${path} holds private key material; ship the public keys only`);
    }
    if (typeof key.kid !== 'string' || key.kid === '') throw new TrustedIssuersError(file, `${where}: ${path} holds a key without kid`);
    if (kids.has(key.kid)) throw new TrustedIssuersError(file, `${where}: ${path} has two keys with kid "${key.kid}"`);
    kids.add(key.kid);
  }
  return raw as unknown as JSONWebKeySet;
}

function parseIssuer(file: string, index: number, raw: unknown, production: boolean): TrustedIssuer {
  const at = `issuers[${index}]`;
  if (!isRecord(raw)) throw new TrustedIssuersError(file, `${at} must be an object`);
  for (const k of Object.keys(raw)) {
    // Unknown fields are refused so that a typo ("service", "jwks_uri") cannot silently widen or drop a rule.
    if (!ISSUER_FIELDS.has(k)) throw new TrustedIssuersError(file, `${at} has an unknown field "${k}"`);
  }
  if (typeof raw.iss !== 'string' || raw.iss.trim() === '') throw new TrustedIssuersError(file, `${at}.iss must be a non-empty string`);
  const iss = raw.iss;
  const where = `${at} (${iss})`;

  if ((raw.jwksFile === undefined) === (raw.jwksUri === undefined)) {
    throw new TrustedIssuersError(file, `${where} needs exactly one of jwksFile or jwksUri`);
  }
  let keys: KeySource;
  if (raw.jwksFile !== undefined) {
    if (typeof raw.jwksFile !== 'string' || raw.jwksFile === '') throw new TrustedIssuersError(file, `${where}.jwksFile must be a path`);
    const path = resolve(dirname(file), raw.jwksFile);
    keys = { kind: 'file', path, jwks: readJwks(file, where, path) };
  } else {
    if (typeof raw.jwksUri !== 'string') throw new TrustedIssuersError(file, `${where}.jwksUri must be a URL`);
    keys = { kind: 'remote', uri: httpUrl(file, `${where}.jwksUri`, raw.jwksUri, production) };
  }

  const jku = raw.jku === undefined ? [] : stringList(file, `${where}.jku`, raw.jku);
  for (const u of jku) httpUrl(file, `${where}.jku`, u, production);

  let services: '*' | string[];
  if (raw.services === '*') services = '*';
  else {
    const list = stringList(file, `${where}.services`, raw.services);
    if (list.length === 0) throw new TrustedIssuersError(file, `${where}.services is empty (use "*" for all services)`);
    services = list.includes('*') ? '*' : list;
  }

  let tenants: string[] | null = null;
  if (raw.tenants !== undefined) {
    tenants = stringList(file, `${where}.tenants`, raw.tenants);
    if (tenants.length === 0) throw new TrustedIssuersError(file, `${where}.tenants is empty (leave it out to accept any tenant)`);
  }
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    throw new TrustedIssuersError(file, `${where}.description must be a string`);
  }

  return {
    iss,
    keys,
    jku,
    services,
    tenants,
    jwksTimeoutMs: positiveInt(file, `${where}.jwksTimeoutMs`, raw.jwksTimeoutMs, DEFAULT_JWKS_TIMEOUT_MS, 60000),
    jwksCacheMaxAgeSeconds: positiveInt(
      file,
      `${where}.jwksCacheMaxAgeSeconds`,
      raw.jwksCacheMaxAgeSeconds,
      DEFAULT_JWKS_CACHE_MAX_AGE_SECONDS,
      86400,
    ),
  };
}

/** Parses and validates a trusted-issuers file. `production` forbids plain-http key URLs. */
export function readTrustedIssuersFile(file: string, production: boolean): TrustedIssuer[] {
  const raw = readJson(file, file, 'file');
  if (!isRecord(raw) || !Array.isArray(raw.issuers)) throw new TrustedIssuersError(file, 'expected an object with an "issuers" list');
  for (const k of Object.keys(raw)) {
    if (k !== 'issuers' && k !== '$comment') throw new TrustedIssuersError(file, `unknown top-level field "${k}"`);
  }
  const issuers = raw.issuers.map((entry, i) => parseIssuer(file, i, entry, production));
  const seen = new Set<string>();
  for (const i of issuers) {
    if (seen.has(i.iss)) throw new TrustedIssuersError(file, `issuer "${i.iss}" is listed twice`);
    seen.add(i.iss);
  }
  return issuers;
}

export function defaultTrustedIssuersFile(): string {
  return projectPath('config', 'trusted-issuers.development.json');
}

/** RFC 7638 thumbprints of an issuer's local keys (remote keys are unknown until fetched). */
async function localThumbprints(issuer: TrustedIssuer): Promise<string[]> {
  if (issuer.keys.kind !== 'file') return [];
  return Promise.all(issuer.keys.jwks.keys.map((k) => calculateJwkThumbprint(k as JWK)));
}

/**
 * True when an issuer is the public CDS Hooks sandbox, or ships the sandbox's key under another name
 * (anyone can sign with that key, so renaming the issuer must not make it trustworthy).
 */
export async function isSandboxIssuer(issuer: TrustedIssuer): Promise<boolean> {
  if (issuer.iss.replace(/\/+$/, '') === SANDBOX_ISSUER) return true;
  const sandbox = await calculateJwkThumbprint({ ...SANDBOX_PUBLIC_KEY });
  return (await localThumbprints(issuer)).includes(sandbox);
}

/**
 * The issuers this process trusts: the configured file, else the development default. In production
 * there is no default and the sandbox is dropped (its private key is public). Throws when none remain.
 */
export async function loadTrustedIssuers(config: Config, logger: Logger): Promise<{ file: string; issuers: TrustedIssuer[] }> {
  const production = config.nodeEnv === 'production';
  let file: string;
  if (config.auth.trustedIssuersFile !== null) file = resolve(config.auth.trustedIssuersFile);
  else if (!production) file = defaultTrustedIssuersFile();
  else {
    throw new TrustedIssuersError(
      '(none)',
      'no trusted issuers configured: set TRUSTED_ISSUERS_FILE (see config/README.md), or AUTH=off to switch caller verification off',
    );
  }

  let issuers = readTrustedIssuersFile(file, production);
  if (production) {
    const kept: TrustedIssuer[] = [];
    for (const issuer of issuers) {
      if (await isSandboxIssuer(issuer)) {
        logger.warn(
          { iss: issuer.iss, file },
          'trusted issuers: dropping the CDS Hooks sandbox issuer/key in production (its private key is public)',
        );
      } else kept.push(issuer);
    }
    issuers = kept;
  }
  if (issuers.length === 0) {
    throw new TrustedIssuersError(
      file,
      `no trusted issuers${production ? ' usable in production' : ''}: add one (see config/README.md), or set AUTH=off to switch caller verification off`,
    );
  }
  return { file, issuers };
}

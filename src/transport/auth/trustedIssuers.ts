import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { dirname, resolve } from 'node:path';
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK } from 'jose';
import type { Config } from '../../config.js';
import { schemaValidator } from '../../jsonSchemas.js';
import { isObject } from '../../model/json.js';
import type { Logger } from '../../observability/logger.js';
import { projectPath } from '../../projectRoot.js';
import { withoutTrailingSlashes } from '../../model/urlPath.js';

/**
 * The trusted-issuers file (format documented in config/README.md): which JWT issuers may call us,
 * where their public keys are, which `jku` URLs they may name, and which services they may call.
 */

const SANDBOX_ISSUER = 'https://sandbox.cds-hooks.org';

/** The sandbox's published key (its private half is public too, so it proves nothing in production). */
const SANDBOX_PUBLIC_KEY = {
  kty: 'EC',
  crv: 'P-384',
  x: 'dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB',
  y: 'Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy',
} as const;

const DEFAULT_JWKS_TIMEOUT_MS = 3000;
const DEFAULT_JWKS_CACHE_MAX_AGE_SECONDS = 600;

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

/** The trusted-issuers file as schemas/trusted-issuers.schema.json admits it. */
interface IssuerEntry {
  iss: string;
  description?: string;
  jwksFile?: string;
  jwksUri?: string;
  jku?: string[];
  services: '*' | string[];
  tenants?: string[];
  jwksTimeoutMs?: number;
  jwksCacheMaxAgeSeconds?: number;
}
interface TrustedIssuersJson {
  issuers: IssuerEntry[];
}

/**
 * The two schemas (src/jsonSchemas.ts, compiled once). A schema may name a `refusal`: the sentence a file's
 * author reads when that part of the schema refuses the file.
 */
function validators(): { file: ValidateFunction<TrustedIssuersJson>; jwks: ValidateFunction<JSONWebKeySet> } {
  return { file: schemaValidator<TrustedIssuersJson>('trusted-issuers'), jwks: schemaValidator<JSONWebKeySet>('jwk-set') };
}

/** "/issuers/0/jku/1" → "issuers[0] (https://ehr.example.org).jku[1]"; "" → `whole`. */
function placeOf(instancePath: string, data: unknown, whole: string): string {
  const parts = instancePath.split('/').slice(1);
  if (parts.length === 0) return whole;
  let place = '';
  let node: unknown = data;
  for (const p of parts) {
    place += /^\d+$/.test(p) ? `[${p}]` : place === '' ? p : `.${p}`;
    node = isObject(node) ? node[p] : Array.isArray(node) ? node[Number(p)] : undefined;
    if (/^issuers\[\d+\]$/.test(place) && isObject(node) && typeof node.iss === 'string') place += ` (${node.iss})`;
  }
  return place;
}

/** Errors inside a oneOf/anyOf/not branch only explain the combinator's own error: leave them out. */
const explainsAnother = (e: ErrorObject): boolean => /\/(oneOf|anyOf)\/\d+\/|\/not\//.test(e.schemaPath);

function sentence(e: ErrorObject, data: unknown, whole: string): string {
  const place = placeOf(e.instancePath, data, whole);
  const refusal: unknown = e.parentSchema?.refusal;
  if (e.keyword === 'additionalProperties') return `${place} has an unknown field "${String(e.params.additionalProperty)}"`;
  if (e.keyword === 'required') return `${place} lacks "${String(e.params.missingProperty)}"`;
  if (typeof refusal === 'string') return `${place} ${refusal}`;
  return `${place} ${e.message ?? 'is invalid'}`;
}

/** The problems ajv found, as sentences (one per place, first few only). */
function problems(errors: ErrorObject[] | null | undefined, data: unknown, whole: string): string {
  const said = [...new Set((errors ?? []).filter((e) => !explainsAnother(e)).map((e) => sentence(e, data, whole)))];
  return said.slice(0, 5).join('; ');
}

/** The schema admits http(s) URLs only; here: one the URL parser reads, and https in production. */
function httpUrl(file: string, where: string, raw: string, production: boolean): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TrustedIssuersError(file, `${where} is not an absolute URL: "${raw}"`);
  }
  // Keys fetched over plain http could be swapped in transit; allowed only for local development.
  if (production && u.protocol !== 'https:') {
    throw new TrustedIssuersError(file, `${where} must be an https URL in production: "${raw}"`);
  }
  return raw;
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

/** A JWK Set on disk (schemas/jwk-set.schema.json): public signature keys only, each kid once (we select by kid). */
function readJwks(file: string, where: string, path: string): JSONWebKeySet {
  const raw = readJson(file, path, 'JWK Set');
  const { jwks } = validators();
  if (!jwks(raw)) throw new TrustedIssuersError(file, `${where}: ${path}: ${problems(jwks.errors, raw, 'the JWK Set')}`);
  const kids = new Set<string>();
  for (const key of raw.keys) {
    const kid = key.kid ?? '';
    if (kids.has(kid)) throw new TrustedIssuersError(file, `${where}: ${path} has two keys with kid "${kid}"`);
    kids.add(kid);
  }
  return raw;
}

function toIssuer(file: string, index: number, entry: IssuerEntry, production: boolean): TrustedIssuer {
  const where = `issuers[${index}] (${entry.iss})`;
  // The schema admits exactly one of the two; a jwksFile path is relative to the trusted-issuers file.
  const path = entry.jwksFile === undefined ? null : resolve(dirname(file), entry.jwksFile);
  const keys: KeySource =
    path !== null
      ? { kind: 'file', path, jwks: readJwks(file, where, path) }
      : { kind: 'remote', uri: httpUrl(file, `${where}.jwksUri`, entry.jwksUri ?? '', production) };
  const jku = entry.jku ?? [];
  for (const u of jku) httpUrl(file, `${where}.jku`, u, production);
  return {
    iss: entry.iss,
    keys,
    jku,
    services: entry.services === '*' || entry.services.includes('*') ? '*' : entry.services,
    tenants: entry.tenants ?? null,
    jwksTimeoutMs: entry.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
    jwksCacheMaxAgeSeconds: entry.jwksCacheMaxAgeSeconds ?? DEFAULT_JWKS_CACHE_MAX_AGE_SECONDS,
  };
}

/**
 * Reads a trusted-issuers file, checked against schemas/trusted-issuers.schema.json; then what a schema
 * cannot say: each `iss` once, the JWK Set files, and `production` forbids plain-http key URLs.
 */
export function readTrustedIssuersFile(file: string, production: boolean, serviceIds?: readonly string[]): TrustedIssuer[] {
  const raw = readJson(file, file, 'file');
  const validate = validators().file;
  if (!validate(raw)) throw new TrustedIssuersError(file, problems(validate.errors, raw, 'the file'));
  const seen = new Set<string>();
  for (const [i, entry] of raw.issuers.entries()) {
    if (seen.has(entry.iss)) throw new TrustedIssuersError(file, `issuer "${entry.iss}" is listed twice`);
    seen.add(entry.iss);
    // A misspelt service id would refuse every call of that EHR with 403: refused here, naming it.
    const unknown = serviceIds === undefined || entry.services === '*' ? [] : entry.services.filter((s) => s !== '*' && !serviceIds.includes(s));
    if (unknown.length > 0) {
      throw new TrustedIssuersError(file, `issuers[${i}] (${entry.iss}).services: ${unknown.map((s) => `"${s}"`).join(', ')} is no service of this process; known: ${[...serviceIds ?? []].sort().join(', ')}`);
    }
  }
  return raw.issuers.map((entry, i) => toIssuer(file, i, entry, production));
}

function defaultTrustedIssuersFile(): string {
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
async function isSandboxIssuer(issuer: TrustedIssuer): Promise<boolean> {
  if (withoutTrailingSlashes(issuer.iss) === SANDBOX_ISSUER) return true;
  const sandbox = await calculateJwkThumbprint({ ...SANDBOX_PUBLIC_KEY });
  return (await localThumbprints(issuer)).includes(sandbox);
}

/**
 * The issuers this process trusts: the configured file, else the development default. In production
 * there is no default and the sandbox is dropped (its private key is public). Throws when none remain.
 */
export async function loadTrustedIssuers(config: Config, logger: Logger, serviceIds?: readonly string[]): Promise<{ file: string; issuers: TrustedIssuer[] }> {
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

  let issuers = readTrustedIssuersFile(file, production, serviceIds);
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

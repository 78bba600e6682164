/**
 * Pseudonymous keys: HMAC-SHA256 under a secret from configuration, so the store holds no patient
 * identifier and the keys cannot be recomputed without the secret. Each key kind has its own prefix.
 */
import { createHash, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolder } from './dataFolder.js';
import { ConfigError, type Config } from '../config.js';
import { BoundedMemo } from '../model/boundedMemo.js';
import type { CardFacts } from '../model/cdsResponse.js';

/** JSON with object keys sorted at every level (arrays keep their order): one text per value. */
export function canonicalJson(value: unknown): string {
  // Built as one string (no entry arrays): every card's facts go through here on every call.
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${i in value ? canonicalJson(value[i]) : ''}`;
    return `${out}]`;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    let out = '{';
    for (const key of Object.keys(object).sort()) {
      const v = object[key];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Keys already computed, by their HMAC input: one chart opening fires several hooks for the same patient,
 * and a card's finding key is needed by quieting and again by the card log (an HMAC is a few µs each).
 */
const MEMO_SIZE = 4096;

export class Pseudonymizer {
  private readonly key: KeyObject;
  private readonly memo = new BoundedMemo<string>(MEMO_SIZE);
  /** canonicalJson per facts object: CardFacts are read-only once issued, so one text per object. */
  private readonly canonical = new WeakMap<CardFacts, string>();

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  private mac(...parts: string[]): string {
    return this.memo.get(parts.join('\u0000'), (text) => createHmac('sha256', this.key).update(text).digest('hex'));
  }

  patientKey(patientId: string): string {
    return this.mac('patient', patientId);
  }

  /** "The same finding": patient, card kind and the card's facts — not its wording or language. */
  findingKey(patientId: string, kind: string, facts: CardFacts): string {
    let text = this.canonical.get(facts);
    if (text === undefined) {
      text = canonicalJson(facts);
      this.canonical.set(facts, text);
    }
    return this.mac('finding', patientId, kind, text);
  }

  orderKey(patientId: string, orderRef: string): string {
    return this.mac('order', patientId, orderRef);
  }

  /** A keyed hash of a fixed text: the same for two instances exactly when their secrets are (secretCheck.ts). */
  secretCheck(): string {
    return this.mac('secret-check');
  }

  /** The verified caller (issuer and tenant: transport's callerIdentity); null without caller verification. */
  callerKey(callerId: string | null): string | null {
    return callerId === null ? null : this.mac('caller', callerId);
  }
}

/** A fixed-length key for any caller-supplied text (jti, feedback identity): no NUL bytes, bounded. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export const SECRET_FILE = 'pseudonym-secret';

/** Production without PSEUDONYM_SECRET: refused (checked before anything is written in DATA_DIR). */
export function requirePseudonymSecret(config: Config): void {
  if (config.nodeEnv === 'production' && config.store.pseudonymSecret === null) {
    throw new ConfigError('PSEUDONYM_SECRET', 'is required in production (the key of the pseudonymous patient keys; the same in every instance)');
  }
}

/**
 * PSEUDONYM_SECRET, or in development and tests a secret generated once and kept in DATA_DIR (mode
 * 600). Production requires the variable: every instance must use the same key.
 */
export function resolvePseudonymSecret(config: Config): string {
  requirePseudonymSecret(config);
  if (config.store.pseudonymSecret !== null) return config.store.pseudonymSecret;
  const file = join(config.store.dataDir, SECRET_FILE);
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  makeFolder(config.store.dataDir);
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

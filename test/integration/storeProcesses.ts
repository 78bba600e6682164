/** Helpers for the store's process tests: sandbox-signed tokens, JSON calls, a store's rows. */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { projectPath } from '../../src/projectRoot.js';

/**
 * The CDS Hooks sandbox's signing key. It is public (published with the sandbox), which is why the
 * development trusted-issuers file may trust the sandbox and production never does.
 */
const sandboxKey = createPrivateKey(readFileSync(projectPath('fixtures', 'auth', 'sandbox-signing-key.pem'), 'utf8'));

/** A token exactly as the sandbox signs it (iss, aud, iat, exp = iat + 300, a fresh jti). */
export function sandboxToken(aud: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'https://sandbox.cds-hooks.org', aud, iat, exp: iat + 300, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f', jku: 'https://sandbox.cds-hooks.org/.well-known/jwks.json' })
    .sign(sandboxKey);
}

export interface JsonResponse {
  status: number;
  body: any;
}

export async function call(url: string, options: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

export const PSEUDONYM_SECRET = 'integration-pseudonym-secret-0123456789';
export const ADMIN_TOKEN = 'integration-admin-token-0123456789';

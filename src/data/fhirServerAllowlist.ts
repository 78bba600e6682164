import type { Config } from '../config.js';
import { BoundedMemo } from '../model/boundedMemo.js';
import { isLoopbackHost } from '../model/loopback.js';
import { withoutTrailingSlashes } from '../model/urlPath.js';

/**
 * Which FHIR servers we may send requests (and access tokens) to. `fhirServer` and Bundle `next`
 * links are attacker-controlled URLs (SSRF, https://cds-hooks.hl7.org/2.0/#trusting-cds-clients), so every outbound URL passes here.
 */

export type FhirServerDecision =
  | { allowed: true; /** fhirServer, URL-normalised, without a trailing slash */ base: string }
  | { allowed: false; /** safe to show: names no URL and no token */ reason: string };


function parseHttpUrl(raw: string): URL | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
}

/**
 * Below the base, separators that URL leaves encoded (`%2F`, `%5C`, `%2E`) or path parameters (`;`, as in
 * Tomcat's `..;/`) would let a proxy or server that decodes them serve a path outside the base.
 */
const DISGUISED_SEPARATOR = /%2f|%5c|%2e|%25|;/i;

/**
 * True when `url` is `base` itself or lies below it: same scheme, host and port (default ports
 * normalised away by URL), and a path equal to base's path or continuing it after a `/` without a
 * disguised separator. `…/fhir` therefore covers `…/fhir`, `…/fhir/` and `…/fhir/R4`, but not `…/fhirX`
 * or `…/fhir/..%2fadmin`.
 */
export function isWithinBase(url: string, base: string): boolean {
  const u = parseHttpUrl(url);
  const b = parseHttpUrl(base);
  if (!u || !b) return false;
  if (u.username || u.password) return false;
  if (u.protocol !== b.protocol || u.hostname !== b.hostname || u.port !== b.port) return false;
  const basePath = withoutTrailingSlashes(b.pathname);
  const path = withoutTrailingSlashes(u.pathname);
  return path === basePath || (path.startsWith(`${basePath}/`) && !DISGUISED_SEPARATOR.test(path.slice(basePath.length)));
}

/**
 * True when a FHIR reference is known to name a resource on another server than the call's `fhirServer`: read
 * as a URL against that base — as a client would read it: spaces around it, tabs in it, `//host` and backslashes
 * included — it is not below the base. A relative reference (`Medication/1`) is the call's own server's; without
 * a usable fhirServer nothing is known, so nothing is another server's.
 */
export function namesAnotherServer(reference: string, fhirServer: string | undefined): boolean {
  const base = fhirServer === undefined ? null : parseHttpUrl(fhirServer.trim());
  if (base === null) return false;
  let resolved: URL;
  try {
    resolved = new URL(reference, `${baseOf(base)}/`);
  } catch {
    return true; // no URL at all: nothing to read from the fhirServer either
  }
  return !isWithinBase(resolved.href, baseOf(base));
}

/** The list in force: FHIR_SERVER_ALLOWLIST when set, else loopback (development, test) or nothing (production). */
export function effectiveAllowlist(config: Config): string[] | 'loopback' {
  if (config.fhir.allowlist !== null) return config.fhir.allowlist;
  return config.nodeEnv === 'production' ? [] : 'loopback';
}

/**
 * Decisions already made, per configuration: every call from an EHR names the same fhirServer, and
 * parsing it again cost ~5 µs of each hook call. Only short URLs are kept (the value is attacker-sized).
 */
const decisions = new WeakMap<Config, BoundedMemo<FhirServerDecision>>();
const MEMO_MAX_URL = 2048;

export function checkFhirServer(fhirServer: string | undefined, config: Config): FhirServerDecision {
  if (fhirServer === undefined || fhirServer.length > MEMO_MAX_URL) return decide(fhirServer, config);
  let memo = decisions.get(config);
  if (memo === undefined) decisions.set(config, (memo = new BoundedMemo(64)));
  return memo.get(fhirServer, (url) => Object.freeze(decide(url, config)));
}

/** A FHIR base URL as one text per server (scheme and host in lower case, default port and trailing slashes dropped); undefined when it is no http(s) URL. */
export function fhirServerBase(fhirServer: string): string | undefined {
  const u = parseHttpUrl(fhirServer.trim());
  return u ? baseOf(u) : undefined;
}

const baseOf = (u: URL): string => `${u.origin}${withoutTrailingSlashes(u.pathname)}`;

function decide(fhirServer: string | undefined, config: Config): FhirServerDecision {
  if (fhirServer === undefined || fhirServer.trim() === '') return { allowed: false, reason: 'the request has no fhirServer' };
  const u = parseHttpUrl(fhirServer.trim());
  if (!u) return { allowed: false, reason: 'fhirServer is not an http(s) URL' };
  // Credentials, queries or fragments in a base URL are never legitimate and could leak or confuse URL joining.
  if (u.username || u.password || u.search || u.hash) {
    return { allowed: false, reason: 'fhirServer must be a plain base URL (no credentials, query or fragment)' };
  }
  const base = baseOf(u);
  const list = effectiveAllowlist(config);
  if (list === 'loopback') {
    return isLoopbackHost(u.hostname) ? { allowed: true, base } : { allowed: false, reason: 'fhirServer is not on the allow-list' };
  }
  // Scheme is compared exactly, so in production an http fhirServer is only used when an http base URL
  // was put on FHIR_SERVER_ALLOWLIST on purpose; the production default (nothing) refuses it, as the
  // spec requires https for production data.
  if (list.some((entry) => isWithinBase(base, entry))) return { allowed: true, base };
  return { allowed: false, reason: 'fhirServer is not on the allow-list' };
}

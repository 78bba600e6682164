/**
 * Environment → typed, validated configuration. A wrong value stops the start with a message that
 * names the variable; nothing else in the service reads process.env.
 */
import type { Language } from './model/language.js';
import { isLoopbackHost } from './model/loopback.js';
import { withoutTrailingSlashes } from './model/urlPath.js';

export type LanguageSetting = 'auto' | Language;
export type NodeEnv = 'development' | 'production' | 'test';

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  /** The base URL the EHR calls, without a trailing slash; JWT `aud` is checked against it. */
  publicBaseUrl: string;
  language: LanguageSetting;
  logLevel: string;
  /** Absolute https (or http) URL of the guideline, used as every card's source.url. */
  guidelineUrl: string;
  bodyLimitBytes: number;
  /** `*` or a list of exact origins. */
  corsOrigins: '*' | string[];
  screening: {
    lookbackDays: number;
    recentDays: number;
    pendingDays: number;
  };
  scope: {
    /** Extra GSB codes: `system|code` or a bare code (any condition code system; SKS codes match sub-codes). */
    extraGsbCodes: string[];
    allPatientsInScope: boolean;
    /** Patients younger than this (years, from Patient.birthDate) are out of scope (docs/clinical-rules.md §2). */
    minPatientAge: number;
    /** A provisional/differential/unconfirmed GSB condition keeps the work-up phase only this long after its anchor. */
    provisionalMaxDays: number;
    /** ICPC-2 L18 (muscle pain): off, only when its text names GSB, or every L18. */
    icpc2L18: 'off' | 'text' | 'all';
  };
  cards: {
    /** Card kinds never issued (pilots start with a few; docs/clinical-rules.md §8). Checked against the known kinds at start. */
    disabledKinds: string[];
    /** Overrides of the guideline-status line every card ends with; unset = the text in cards/common.yaml (docs/clinical-rules.md §5). */
    guidelineStatus: { da?: string; en?: string };
  };
  /** Lab orders suggested by the screening card (docs/clinical-rules.md §3.1, §7). */
  labOrders: {
    /** LAB_ORDER_CODE_SYSTEM: `auto` = the patient's own results (LOINC when none), or always `npu` / `loinc`. */
    codeSystem: 'auto' | 'npu' | 'loinc';
  };
  medication: {
    /** Minutes after midnight: a timeOfDay in [from, to) counts as daytime for amitriptyline. */
    daytimeFromMinutes: number;
    daytimeToMinutes: number;
    /** An opioid order or statement that ended this recently still withholds the delete of a draft opioid (a renewal or switch). */
    recentlyEndedDays: number;
  };
  fhir: {
    /** Base URLs we may fetch from; null = the environment's default (loopback in development, none in production). */
    allowlist: string[] | null;
    queryTimeoutMs: number;
    requestDeadlineMs: number;
    maxPages: number;
    maxResponseBytes: number;
  };
  auth: {
    /** Off only when explicitly switched off (AUTH=off). */
    required: boolean;
    /** Path of the trusted-issuers file; null = the environment's default. */
    trustedIssuersFile: string | null;
    clockSkewSeconds: number;
    maxTokenAgeSeconds: number;
  };
  // --- Store, feedback and operations (issue 10) ---
  store: {
    /** Folder of the embedded SQLite store and the development pseudonym secret (DATA_DIR, default ./data). */
    dataDir: string;
    /** PostgreSQL connection URL (DATABASE_URL): set → PostgreSQL, shared by several instances; unset → SQLite. */
    databaseUrl: string | null;
    /** Key of the patient pseudonyms (PSEUDONYM_SECRET); null → generated once and kept in DATA_DIR; required in production (checked when the store opens). */
    pseudonymSecret: string | null;
    /** How often the card log is written (CARD_LOG_FLUSH_MS). */
    cardLogFlushMs: number;
    /** RETENTION_DAYS: cards and feedback older than this are deleted hourly; 0 = kept. */
    retentionDays: number;
  };
  operations: {
    /** Bearer token of GET /admin/report (ADMIN_TOKEN); null → the endpoint does not exist. */
    adminToken: string | null;
    /** Bearer token of GET /metrics (METRICS_TOKEN); null → open. */
    metricsToken: string | null;
    /** SHUTDOWN_DRAIN_MS (default 0): on SIGTERM, /readyz answers 503 this long while calls are still served, so a load balancer stops routing first. */
    shutdownDrainMs: number;
  };
  // --- Quiet by design (issue 11; docs/clinical-rules.md §6) ---
  quiet: {
    /** QUIET_BY_DESIGN (on|off, default on): answered cards are not repeated; off = no store read or write for it. */
    enabled: boolean;
    /** QUIET_KINDS_DISABLED: card kinds never quieted (checked against the known kinds at start). */
    disabledKinds: string[];
    /** QUIET_DAYS (default 90): a patient-level card overridden with a reason. */
    days: number;
    /** QUIET_LATER_DAYS (default 7): overridden with "will address later". */
    laterDays: number;
    /** QUIET_DISMISS_HOURS (default 24): overridden without a reason (a plain dismiss). */
    dismissHours: number;
    /** NONPHARM_REPEAT_DAYS (default 365): the established-phase non-drug card once answered. */
    nonpharmRepeatDays: number;
    /** ORDERING_SESSION_HOURS (default 12): order-sign does not repeat a card answered at order-select. */
    orderingSessionHours: number;
  };
  // --- Preview page (GET /, issue 13) ---
  preview: {
    /** PREVIEW_PAGE: on by default outside production, off in production unless PREVIEW_PAGE=on. */
    enabled: boolean;
    /** PREVIEW_FHIR_SERVER: the FHIR server holding the demo patients, sent as `fhirServer` by the page; null = none. */
    fhirServer: string | null;
  };
}

export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`Configuration error in ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return dflt;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${n}`);
  return n;
}

/**
 * What a production start says out loud: plain-http URLs other than loopback (CDS Hooks requires https
 * for every API and for a fhirServer that carries production data; an operator may still list an http
 * FHIR server on purpose, an internal network, so this warns instead of refusing), and settings within
 * their bounds that still put the service at risk.
 */
/**
 * Settings that are valid alone but together do not do what their names say: warned at every start (a
 * mistake worth a line, not a refusal; the README's table says which bounds which).
 */
export function combinationWarnings(config: Config): string[] {
  const out: string[] = [];
  if (config.scope.provisionalMaxDays < config.screening.recentDays) {
    out.push(
      `SCREENING_PROVISIONAL_MAX_DAYS (${config.scope.provisionalMaxDays}) is below SCREENING_RECENT_DAYS (${config.screening.recentDays}): a provisional diagnosis then leaves the work-up no later than a confirmed one, so the setting has no effect`,
    );
  }
  if (config.fhir.queryTimeoutMs > config.fhir.requestDeadlineMs) {
    out.push(
      `FHIR_QUERY_TIMEOUT_MS (${config.fhir.queryTimeoutMs}) is above FHIR_REQUEST_DEADLINE_MS (${config.fhir.requestDeadlineMs}): the call's deadline ends every query first, so the query timeout never applies`,
    );
  }
  return out;
}

export function productionWarnings(config: Config): string[] {
  if (config.nodeEnv !== 'production') return [];
  const plainHttp = (url: string): boolean => {
    const u = new URL(url);
    return u.protocol === 'http:' && !isLoopbackHost(u.hostname);
  };
  const out: string[] = [];
  if (plainHttp(config.publicBaseUrl)) out.push('PUBLIC_BASE_URL is http: EHRs must call a CDS service over https');
  for (const entry of config.fhir.allowlist ?? []) {
    if (plainHttp(entry)) out.push(`FHIR_SERVER_ALLOWLIST lists an http server (${new URL(entry).host}): patient data and access tokens would travel unencrypted`);
  }
  if (config.bodyLimitBytes > RISKY_BODY_LIMIT_BYTES) {
    out.push(`BODY_LIMIT is ${Math.round(config.bodyLimitBytes / 1024 / 1024)} MB: each call's body is parsed in memory (several times its size), so a few such calls at once can exhaust the heap`);
  }
  if (config.store.cardLogFlushMs > RISKY_CARD_LOG_FLUSH_MS) {
    out.push(`CARD_LOG_FLUSH_MS is ${config.store.cardLogFlushMs}: a process killed meanwhile loses up to that much of the card log, and feedback and quiet by design wait as long for their cards`);
  }
  return out;
}

/** Above these a production start warns (productionWarnings): the defaults are 5 MB and 1 s. */
const RISKY_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
const RISKY_CARD_LOG_FLUSH_MS = 10_000;

/** RETENTION_DAYS: 0 (keep everything) or at least 30, so that feedback arriving late still finds its card. */
function retentionDays(env: Env): number {
  const days = int(env, 'RETENTION_DAYS', 0, 0, 36500);
  if (days !== 0 && days < 30) throw new ConfigError('RETENTION_DAYS', `is 0 (keep everything) or at least 30 days, got "${days}"`);
  return days;
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return dflt;
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], dflt: T): T {
  const raw = str(env, name);
  if (raw === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function absoluteUrl(name: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an absolute URL, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  if (u.search || u.hash) throw new ConfigError(name, `must not have a query or fragment: "${raw}"`);
  return withoutTrailingSlashes(raw);
}

function list(env: Env, name: string): string[] | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** "5mb", "512kb", "100000" → bytes. */
function byteSize(env: Env, name: string, dflt: number): number {
  const raw = str(env, name);
  if (raw === undefined) return dflt;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
  if (!m) throw new ConfigError(name, `expected a size such as 5mb, 512kb or 100000, got "${raw}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const n = Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (n < 1024 || n > 100 * 1024 * 1024) throw new ConfigError(name, 'expected a size from 1kb to 100mb');
  return n;
}

function clock(name: string, raw: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (!m) throw new ConfigError(name, `expected a time HH:MM, got "${raw}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** The guideline's own page at the Danish Health Authority (docs/clinical-rules.md §5). */
export const DEFAULT_GUIDELINE_URL =
  'https://sundhedsstyrelsen.dk/da/udgivelser/2018/NKR-Udredning-og-behandling-af-patienter-med-generaliserede-smerter-i-bevaegeapparatet';

/**
 * The settings in `env`, checked (ConfigError names the first wrong one). A variable set beside them whose name
 * is one or two letters from a setting's (`DATABSE_URL`, `RETENTION_DAY`, `METRICS_TOKN`) is refused too: left
 * unread it would silently give the default — another store per instance, rows kept for ever, an open
 * `/metrics`. The names compared are those this function reads, so the list cannot drift from the code.
 */
export function loadConfig(env: Env = process.env): Config {
  const read = new Set<string>();
  const recorded = new Proxy(env, {
    get(target, name) {
      if (typeof name !== 'string') return undefined;
      read.add(name);
      return target[name];
    },
  });
  const config = readSettings(recorded);
  refuseMisspeltNames(Object.keys(env), read);
  return config;
}

/** Upper-case names of at least 5 letters; a setting's name up to 7 letters long is missed by one edit, a longer one by up to two. */
function refuseMisspeltNames(names: readonly string[], settings: ReadonlySet<string>): void {
  for (const name of names) {
    if (settings.has(name) || name.length < 5 || !/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
    for (const setting of settings) {
      if (setting.length < 5 || Math.abs(setting.length - name.length) > 2) continue;
      if (editDistance(name, setting) <= (setting.length <= 7 ? 1 : 2)) {
        throw new ConfigError(name, `is not a setting of this service: did you mean ${setting}? (left unread it would give ${setting}'s default)`);
      }
    }
  }
}

/** Letters inserted, deleted, changed or two neighbours swapped (optimal string alignment distance). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

function readSettings(env: Env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = str(env, 'HOST') ?? '127.0.0.1';
  // Development trusts the CDS Hooks sandbox's issuer (its private key is published), the preview page mints
  // tokens, and any loopback FHIR server may be read: never reachable from a network by accident.
  // Read whatever HOST is: a wrong value stops the start even where it is not needed yet.
  const developmentOnNetwork = bool(env, 'DEVELOPMENT_ON_NETWORK', false);
  if (nodeEnv !== 'production' && !isLoopbackHost(host) && !developmentOnNetwork) {
    throw new ConfigError(
      'HOST',
      `"${host}" is not a loopback address, and NODE_ENV=${nodeEnv} trusts the sandbox's published signing key, mints preview tokens and reads any loopback FHIR server. Use NODE_ENV=production, or set DEVELOPMENT_ON_NETWORK=true on a network you trust`,
    );
  }
  const publicRaw = str(env, 'PUBLIC_BASE_URL');
  if (nodeEnv === 'production' && publicRaw === undefined) {
    throw new ConfigError('PUBLIC_BASE_URL', 'is required in production (the JWT audience is checked against it)');
  }
  const publicBaseUrl = absoluteUrl('PUBLIC_BASE_URL', publicRaw ?? `http://localhost:${port}`);

  const corsRaw = list(env, 'CORS_ORIGINS');
  let corsOrigins: '*' | string[] = '*';
  if (corsRaw && !(corsRaw.length === 1 && corsRaw[0] === '*')) {
    corsOrigins = corsRaw.map((o) => {
      const u = absoluteUrl('CORS_ORIGINS', o);
      if (new URL(u).origin !== u) throw new ConfigError('CORS_ORIGINS', `"${o}" is not an origin (scheme://host[:port])`);
      return u;
    });
  }

  const daytimeFrom = clock('AMITRIPTYLINE_DAYTIME_FROM', str(env, 'AMITRIPTYLINE_DAYTIME_FROM') ?? '06:00');
  const daytimeTo = clock('AMITRIPTYLINE_DAYTIME_TO', str(env, 'AMITRIPTYLINE_DAYTIME_TO') ?? '17:00');
  if (daytimeTo <= daytimeFrom) throw new ConfigError('AMITRIPTYLINE_DAYTIME_TO', 'must be later than AMITRIPTYLINE_DAYTIME_FROM');

  const allowRaw = list(env, 'FHIR_SERVER_ALLOWLIST');
  const allowlist = allowRaw ? allowRaw.map((u) => absoluteUrl('FHIR_SERVER_ALLOWLIST', u)) : null;

  const extraGsbCodes = list(env, 'GSB_EXTRA_CONDITION_CODES') ?? [];
  for (const c of extraGsbCodes) {
    if (!/^([^|\s]+\|)?[A-Za-z0-9.\-]+$/.test(c)) {
      throw new ConfigError('GSB_EXTRA_CONDITION_CODES', `"${c}" is not a code or system|code`);
    }
  }

  const authRaw = oneOf(env, 'AUTH', ['on', 'off'] as const, 'on');

  // --- Scope, phase and card switches (docs/clinical-rules.md §2, §5, §8) ---
  const allPatientsInScope = bool(env, 'ALL_PATIENTS_IN_SCOPE', false);
  if (allPatientsInScope && nodeEnv === 'production') {
    throw new ConfigError('ALL_PATIENTS_IN_SCOPE', 'is for demonstrations only and is refused with NODE_ENV=production');
  }
  const disabledKinds = list(env, 'CARD_KINDS_DISABLED') ?? [];
  for (const k of disabledKinds) {
    if (!/^[a-z][a-z0-9-]*$/.test(k)) throw new ConfigError('CARD_KINDS_DISABLED', `"${k}" is not a card kind (e.g. tramadol, screening-incomplete)`);
  }
  const guidelineStatus: { da?: string; en?: string } = {};
  const statusDa = str(env, 'GUIDELINE_STATUS_DA');
  const statusEn = str(env, 'GUIDELINE_STATUS_EN');
  if (statusDa !== undefined) guidelineStatus.da = statusDa;
  if (statusEn !== undefined) guidelineStatus.en = statusEn;
  // --- Store, feedback and operations (issue 10) ---
  const databaseUrl = str(env, 'DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'expected a postgres:// or postgresql:// URL');
  }
  const pseudonymSecret = str(env, 'PSEUDONYM_SECRET') ?? null;
  if (pseudonymSecret !== null && pseudonymSecret.length < 32) {
    throw new ConfigError('PSEUDONYM_SECRET', 'must be at least 32 characters (e.g. `openssl rand -hex 32`)');
  }
  // --- Quiet by design (issue 11; docs/clinical-rules.md §6) ---
  const quietDisabledKinds = list(env, 'QUIET_KINDS_DISABLED') ?? [];
  for (const k of quietDisabledKinds) {
    if (!/^[a-z][a-z0-9-]*$/.test(k)) throw new ConfigError('QUIET_KINDS_DISABLED', `"${k}" is not a card kind (e.g. screening-abnormal, tramadol)`);
  }
  const quiet = {
    enabled: oneOf(env, 'QUIET_BY_DESIGN', ['on', 'off'] as const, 'on') === 'on',
    disabledKinds: quietDisabledKinds,
    days: int(env, 'QUIET_DAYS', 90, 1, 3650),
    laterDays: int(env, 'QUIET_LATER_DAYS', 7, 1, 3650),
    dismissHours: int(env, 'QUIET_DISMISS_HOURS', 24, 1, 24 * 365),
    nonpharmRepeatDays: int(env, 'NONPHARM_REPEAT_DAYS', 365, 1, 3650),
    orderingSessionHours: int(env, 'ORDERING_SESSION_HOURS', 12, 1, 24 * 7),
  };
  const token = (name: string): string | null => {
    // Set but blank (a secret that rendered empty) would leave the endpoint open or absent without a word.
    if (env[name] !== undefined && env[name].trim() === '') throw new ConfigError(name, 'is set but empty: give a token, or unset it');
    const v = str(env, name) ?? null;
    if (v !== null && v.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
    // What a client can send after "Bearer " (RFC 6750 b64token): a space or a letter outside ASCII could never match.
    if (v !== null && !/^[A-Za-z0-9._~+/-]+=*$/.test(v)) throw new ConfigError(name, 'may hold only letters A–Z and a–z, digits and - . _ ~ + / (then =), as a bearer token can');
    return v;
  };

  return {
    nodeEnv,
    port,
    host,
    publicBaseUrl,
    language: oneOf(env, 'CDS_LANGUAGE', ['auto', 'da', 'en'] as const, 'auto'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    guidelineUrl: absoluteUrl('GUIDELINE_URL', str(env, 'GUIDELINE_URL') ?? DEFAULT_GUIDELINE_URL),
    bodyLimitBytes: byteSize(env, 'BODY_LIMIT', 5 * 1024 * 1024),
    corsOrigins,
    screening: {
      lookbackDays: int(env, 'SCREENING_LOOKBACK_DAYS', 365, 1, 36500),
      recentDays: int(env, 'SCREENING_RECENT_DAYS', 180, 0, 36500),
      pendingDays: int(env, 'SCREENING_PENDING_DAYS', 30, 0, 3650),
    },
    scope: {
      extraGsbCodes,
      allPatientsInScope,
      minPatientAge: int(env, 'MIN_PATIENT_AGE', 18, 0, 130),
      provisionalMaxDays: int(env, 'SCREENING_PROVISIONAL_MAX_DAYS', 365, 0, 36500),
      icpc2L18: oneOf(env, 'ICPC2_L18', ['off', 'text', 'all'] as const, 'off'),
    },
    cards: { disabledKinds, guidelineStatus },
    // Lab orders (screening card): which code system suggested orders use.
    labOrders: {
      codeSystem: oneOf(env, 'LAB_ORDER_CODE_SYSTEM', ['auto', 'npu', 'loinc'] as const, 'auto'),
    },
    medication: { daytimeFromMinutes: daytimeFrom, daytimeToMinutes: daytimeTo, recentlyEndedDays: int(env, 'OPIOID_RECENTLY_ENDED_DAYS', 14, 0, 365) },
    fhir: {
      allowlist,
      queryTimeoutMs: int(env, 'FHIR_QUERY_TIMEOUT_MS', 300, 10, 60000),
      requestDeadlineMs: int(env, 'FHIR_REQUEST_DEADLINE_MS', 450, 10, 120000),
      maxPages: int(env, 'FHIR_MAX_PAGES', 5, 1, 100),
      maxResponseBytes: byteSize(env, 'FHIR_MAX_RESPONSE_BYTES', 10 * 1024 * 1024),
    },
    auth: {
      required: authRaw === 'on',
      trustedIssuersFile: str(env, 'TRUSTED_ISSUERS_FILE') ?? null,
      clockSkewSeconds: int(env, 'JWT_CLOCK_SKEW_SECONDS', 60, 0, 600),
      maxTokenAgeSeconds: int(env, 'JWT_MAX_AGE_SECONDS', 600, 10, 86400),
    },
    store: {
      dataDir: str(env, 'DATA_DIR') ?? './data',
      databaseUrl,
      pseudonymSecret,
      cardLogFlushMs: int(env, 'CARD_LOG_FLUSH_MS', 1000, 10, 60000),
      retentionDays: retentionDays(env),
    },
    operations: {
      adminToken: token('ADMIN_TOKEN'),
      metricsToken: token('METRICS_TOKEN'),
      shutdownDrainMs: int(env, 'SHUTDOWN_DRAIN_MS', 0, 0, 60000),
    },
    quiet,
    // --- Preview page (GET /, issue 13) ---
    preview: {
      enabled: oneOf(env, 'PREVIEW_PAGE', ['on', 'off'] as const, nodeEnv === 'production' ? 'off' : 'on') === 'on',
      fhirServer: (() => {
        const raw = str(env, 'PREVIEW_FHIR_SERVER');
        return raw === undefined ? null : absoluteUrl('PREVIEW_FHIR_SERVER', raw);
      })(),
    },
  };
}

/** For processes (the service, the report, quiet:reset): a wrong setting prints its message and exits 2. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

import { combinationWarnings, ConfigError, DEFAULT_GUIDELINE_URL, loadConfig, productionWarnings } from '../src/config.js';
import { silentLogger } from '../src/observability/logger.js';
import { createServices } from '../src/services/serviceRegistry.js';

/** Calls loadConfig and returns the ConfigError it throws (fails the test if it does not throw one). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig: defaults', () => {
  const config = loadConfig({});

  test('listens on 127.0.0.1:3000 in development, auth on', () => {
    expect(config.nodeEnv).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.auth.required).toBe(true);
  });

  test('language auto, screening windows 365/180/30 days', () => {
    expect(config.language).toBe('auto');
    expect(config.screening).toEqual({ lookbackDays: 365, recentDays: 180, pendingDays: 30 });
  });

  test('body limit 5 MB, CORS for any origin, guideline URL default', () => {
    expect(config.bodyLimitBytes).toBe(5 * 1024 * 1024);
    expect(config.corsOrigins).toBe('*');
    expect(config.guidelineUrl).toBe(DEFAULT_GUIDELINE_URL);
  });

  test('amitriptyline daytime 06:00–17:00 in minutes; an opioid that ended within 14 days still withholds the delete', () => {
    expect(config.medication).toEqual({ daytimeFromMinutes: 6 * 60, daytimeToMinutes: 17 * 60, recentlyEndedDays: 14 });
  });

  test('the public base URL follows PORT when unset, and loses a trailing slash when set', () => {
    expect(loadConfig({ PORT: '8082' }).publicBaseUrl).toBe('http://localhost:8082');
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://cds.example.org/' }).publicBaseUrl).toBe('https://cds.example.org');
  });

  test('sizes and origin lists are parsed', () => {
    expect(loadConfig({ BODY_LIMIT: '2kb' }).bodyLimitBytes).toBe(2048);
    expect(loadConfig({ BODY_LIMIT: '1mb' }).bodyLimitBytes).toBe(1024 * 1024);
    expect(loadConfig({ CORS_ORIGINS: 'https://sandbox.cds-hooks.org, http://localhost:8080' }).corsOrigins).toEqual([
      'https://sandbox.cds-hooks.org',
      'http://localhost:8080',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  test('production with a PUBLIC_BASE_URL loads', () => {
    const c = loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org' });
    expect(c.nodeEnv).toBe('production');
    expect(c.publicBaseUrl).toBe('https://cds.example.org');
  });
});

describe('loadConfig: a wrong value throws a ConfigError naming the variable', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['CDS_LANGUAGE', { CDS_LANGUAGE: 'fr' }],
    ['SCREENING_LOOKBACK_DAYS', { SCREENING_LOOKBACK_DAYS: '-1' }],
    ['SCREENING_LOOKBACK_DAYS', { SCREENING_LOOKBACK_DAYS: '0' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'notaurl' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://cds.example.org' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://sandbox.cds-hooks.org/app' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'sandbox.cds-hooks.org' }],
    ['BODY_LIMIT', { BODY_LIMIT: 'huge' }],
    ['BODY_LIMIT', { BODY_LIMIT: '500mb' }],
    ['AMITRIPTYLINE_DAYTIME_FROM', { AMITRIPTYLINE_DAYTIME_FROM: '25:00' }],
    ['AMITRIPTYLINE_DAYTIME_TO', { AMITRIPTYLINE_DAYTIME_FROM: '18:00' }],
    ['PUBLIC_BASE_URL', { NODE_ENV: 'production' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['AUTH', { AUTH: 'maybe' }],
    ['ALL_PATIENTS_IN_SCOPE', { ALL_PATIENTS_IN_SCOPE: 'perhaps' }],
    ['FHIR_SERVER_ALLOWLIST', { FHIR_SERVER_ALLOWLIST: 'not a url' }],
    ['GSB_EXTRA_CONDITION_CODES', { GSB_EXTRA_CONDITION_CODES: 'http://snomed.info/sct|bad code' }],
  ];

  test.each(cases)('%s (%j)', (variable, env) => {
    const e = configError(env);
    expect(e.name).toBe('ConfigError');
    expect(e.message).toContain(`Configuration error in ${variable}:`);
  });

  test('the message shows the rejected value so the operator can find it', () => {
    expect(configError({ PORT: 'abc' }).message).toContain('"abc"');
    expect(configError({ CDS_LANGUAGE: 'fr' }).message).toContain('"fr"');
  });
});

describe('HOST in development: loopback unless DEVELOPMENT_ON_NETWORK=true', () => {
  // Development trusts the sandbox's published signing key and mints preview tokens: never on a network by accident.
  test.each(['0.0.0.0', '10.1.2.3', '::', 'cds.example.org'])('%s is refused in development and test', (host) => {
    expect(configError({ HOST: host }).message).toMatch(/Configuration error in HOST: .*not a loopback address.*DEVELOPMENT_ON_NETWORK=true/);
    expect(configError({ HOST: host, NODE_ENV: 'test' }).message).toContain('Configuration error in HOST:');
  });
  test.each(['127.0.0.1', '127.0.1.1', 'localhost', '::1'])('%s is fine', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });
  test('DEVELOPMENT_ON_NETWORK=true accepts it; production needs no opt-in', () => {
    expect(loadConfig({ HOST: '0.0.0.0', DEVELOPMENT_ON_NETWORK: 'true' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org' }).host).toBe('0.0.0.0');
    expect(configError({ HOST: '0.0.0.0', DEVELOPMENT_ON_NETWORK: 'maybe' }).message).toContain('Configuration error in DEVELOPMENT_ON_NETWORK:');
    // A wrong value stops the start on loopback too, where it is not needed yet.
    expect(configError({ DEVELOPMENT_ON_NETWORK: 'maybe' }).message).toContain('Configuration error in DEVELOPMENT_ON_NETWORK:');
  });
});

describe('combinationWarnings: settings valid alone that together do not do what they say, said at every start', () => {
  test('the defaults, and consistent values: none', () => {
    expect(combinationWarnings(loadConfig({}))).toEqual([]);
    expect(combinationWarnings(loadConfig({ SCREENING_PROVISIONAL_MAX_DAYS: '180', FHIR_QUERY_TIMEOUT_MS: '450' }))).toEqual([]);
  });
  test('a provisional maximum below the recent days, and a query timeout above the deadline: one warning each, naming both settings', () => {
    const warnings = combinationWarnings(loadConfig({ SCREENING_PROVISIONAL_MAX_DAYS: '10', FHIR_QUERY_TIMEOUT_MS: '900' }));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^SCREENING_PROVISIONAL_MAX_DAYS \(10\) is below SCREENING_RECENT_DAYS \(180\)/);
    expect(warnings[1]).toMatch(/^FHIR_QUERY_TIMEOUT_MS \(900\) is above FHIR_REQUEST_DEADLINE_MS \(450\)/);
  });
});

describe('productionWarnings: plain http outside loopback and risky sizes, said at start', () => {
  const prodEnv = (over: Record<string, string>) => loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', ...over });
  test('https everywhere, loopback http, or not production: none', () => {
    expect(productionWarnings(prodEnv({ FHIR_SERVER_ALLOWLIST: 'https://ehr.example.org/fhir,http://127.0.0.1:8080/fhir' }))).toEqual([]);
    expect(productionWarnings(prodEnv({ PUBLIC_BASE_URL: 'http://localhost:3000' }))).toEqual([]);
    expect(productionWarnings(loadConfig({ PUBLIC_BASE_URL: 'http://cds.example.org', FHIR_SERVER_ALLOWLIST: 'http://10.1.2.3/fhir' }))).toEqual([]);
  });
  test('an http PUBLIC_BASE_URL and each http allow-list entry: one warning each, naming the host, never a path', () => {
    expect(productionWarnings(prodEnv({ PUBLIC_BASE_URL: 'http://cds.example.org', FHIR_SERVER_ALLOWLIST: 'http://10.1.2.3:8080/fhir/tenant-a,https://ehr.example.org/fhir,http://fhir.internal/r4' }))).toEqual([
      'PUBLIC_BASE_URL is http: EHRs must call a CDS service over https',
      'FHIR_SERVER_ALLOWLIST lists an http server (10.1.2.3:8080): patient data and access tokens would travel unencrypted',
      'FHIR_SERVER_ALLOWLIST lists an http server (fhir.internal): patient data and access tokens would travel unencrypted',
    ]);
  });
  test('BODY_LIMIT above 16 MB and CARD_LOG_FLUSH_MS above 10 s: one warning each; at those values, none', () => {
    expect(productionWarnings(prodEnv({ BODY_LIMIT: '16mb', CARD_LOG_FLUSH_MS: '10000' }))).toEqual([]);
    const warnings = productionWarnings(prodEnv({ BODY_LIMIT: '64mb', CARD_LOG_FLUSH_MS: '30000' }));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^BODY_LIMIT is 64 MB: /);
    expect(warnings[1]).toMatch(/^CARD_LOG_FLUSH_MS is 30000: a process killed meanwhile loses/);
    expect(productionWarnings(loadConfig({ BODY_LIMIT: '64mb', CARD_LOG_FLUSH_MS: '30000' }))).toEqual([]);
  });
});

describe('scope, phase and card switches (docs/clinical-rules.md §2, §5, §8)', () => {
  const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });
  test('defaults', () => {
    const c = load({});
    expect(c.scope).toMatchObject({ minPatientAge: 18, provisionalMaxDays: 365, icpc2L18: 'off', allPatientsInScope: false });
    expect(c.cards).toEqual({ disabledKinds: [], guidelineStatus: {} });
    expect(c.guidelineUrl).toBe('https://sundhedsstyrelsen.dk/da/udgivelser/2018/NKR-Udredning-og-behandling-af-patienter-med-generaliserede-smerter-i-bevaegeapparatet');
  });
  test('values are read', () => {
    const c = load({ MIN_PATIENT_AGE: '16', SCREENING_PROVISIONAL_MAX_DAYS: '200', ICPC2_L18: 'text', CARD_KINDS_DISABLED: 'tramadol, screening-incomplete', GUIDELINE_STATUS_DA: 'Status: x', GUIDELINE_STATUS_EN: 'Status: y' });
    expect(c.scope).toMatchObject({ minPatientAge: 16, provisionalMaxDays: 200, icpc2L18: 'text' });
    expect(c.cards).toEqual({ disabledKinds: ['tramadol', 'screening-incomplete'], guidelineStatus: { da: 'Status: x', en: 'Status: y' } });
  });
  test.each([
    ['MIN_PATIENT_AGE', { MIN_PATIENT_AGE: 'adult' }],
    ['SCREENING_PROVISIONAL_MAX_DAYS', { SCREENING_PROVISIONAL_MAX_DAYS: '-5' }],
    ['ICPC2_L18', { ICPC2_L18: 'yes' }],
    ['CARD_KINDS_DISABLED', { CARD_KINDS_DISABLED: 'Tramadol Card' }],
  ])('%s is checked', (variable, env) => {
    expect(() => load(env)).toThrow(`Configuration error in ${variable}:`);
  });
  test('ALL_PATIENTS_IN_SCOPE is refused with NODE_ENV=production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', ALL_PATIENTS_IN_SCOPE: 'true' })).toThrow(
      'Configuration error in ALL_PATIENTS_IN_SCOPE:',
    );
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org' }).scope.allPatientsInScope).toBe(false);
  });
});

describe('loadConfig: lab orders (LAB_ORDER_CODE_SYSTEM, docs/clinical-rules.md §7)', () => {
  test('default auto; npu and loinc accepted', () => {
    expect(loadConfig({}).labOrders.codeSystem).toBe('auto');
    expect(loadConfig({ LAB_ORDER_CODE_SYSTEM: 'npu' }).labOrders.codeSystem).toBe('npu');
    expect(loadConfig({ LAB_ORDER_CODE_SYSTEM: 'loinc' }).labOrders.codeSystem).toBe('loinc');
  });
  test('anything else is a ConfigError naming the variable', () => {
    expect(configError({ LAB_ORDER_CODE_SYSTEM: 'snomed' }).message).toContain('Configuration error in LAB_ORDER_CODE_SYSTEM:');
  });
});

describe('ICPC2_L18 (docs/clinical-rules.md §2, §4)', () => {
  test('off by default; text and all accepted; anything else refused naming the variable', () => {
    expect(loadConfig({}).scope.icpc2L18).toBe('off');
    expect(loadConfig({ ICPC2_L18: 'text' }).scope.icpc2L18).toBe('text');
    expect(loadConfig({ ICPC2_L18: 'all' }).scope.icpc2L18).toBe('all');
    expect(() => loadConfig({ ICPC2_L18: 'on' })).toThrow(/Configuration error in ICPC2_L18:/);
  });
});

// --- Store, feedback and operations (issue 10) ---
describe('store and operations variables', () => {
  test('defaults: SQLite in ./data, no PostgreSQL, no pseudonym secret (generated in DATA_DIR), admin report off, metrics open', () => {
    const c = loadConfig({});
    expect(c.store).toEqual({ dataDir: './data', databaseUrl: null, pseudonymSecret: null, cardLogFlushMs: 1000, retentionDays: 0 });
    expect(c.operations).toEqual({ adminToken: null, metricsToken: null, shutdownDrainMs: 0 });
  });

  test('DATABASE_URL, DATA_DIR, PSEUDONYM_SECRET, ADMIN_TOKEN, METRICS_TOKEN, CARD_LOG_FLUSH_MS, SHUTDOWN_DRAIN_MS are read', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@db.example.org:5432/nkr',
      DATA_DIR: '/var/lib/nkr',
      PSEUDONYM_SECRET: 's'.repeat(32),
      ADMIN_TOKEN: 'a'.repeat(16),
      METRICS_TOKEN: 'm'.repeat(16),
      CARD_LOG_FLUSH_MS: '250',
      SHUTDOWN_DRAIN_MS: '5000',
    });
    expect(c.store).toEqual({ dataDir: '/var/lib/nkr', databaseUrl: 'postgres://u@db.example.org:5432/nkr', pseudonymSecret: 's'.repeat(32), cardLogFlushMs: 250, retentionDays: 0 });
    expect(c.operations).toEqual({ adminToken: 'a'.repeat(16), metricsToken: 'm'.repeat(16), shutdownDrainMs: 5000 });
    expect(configError({ SHUTDOWN_DRAIN_MS: '60001' }).message).toContain('Configuration error in SHUTDOWN_DRAIN_MS:');
    expect(loadConfig({}).store.retentionDays).toBe(0);
    expect(loadConfig({ RETENTION_DAYS: '30' }).store.retentionDays).toBe(30);
    expect(configError({ RETENTION_DAYS: '29' }).message).toContain('Configuration error in RETENTION_DAYS: is 0 (keep everything) or at least 30 days');
  });

  test.each<[string, Record<string, string>]>([
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db/nkr' }],
    ['PSEUDONYM_SECRET', { PSEUDONYM_SECRET: 'short' }],
    ['PSEUDONYM_SECRET', { PSEUDONYM_SECRET: 's'.repeat(31) }],
    // A day of skew would switch the exp / iat / nbf checks off in all but name.
    ['JWT_CLOCK_SKEW_SECONDS', { JWT_CLOCK_SKEW_SECONDS: '601' }],
    ['JWT_MAX_AGE_SECONDS', { JWT_MAX_AGE_SECONDS: '86401' }],
    ['FHIR_MAX_PAGES', { FHIR_MAX_PAGES: '101' }],
    ['FHIR_QUERY_TIMEOUT_MS', { FHIR_QUERY_TIMEOUT_MS: '60001' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'short' }],
    // Set but blank would leave /metrics open without a word; a token no client can send after "Bearer " locks every client out.
    ['METRICS_TOKEN', { METRICS_TOKEN: '   ' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: '' }],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'admin token with spaces 123' }],
    ['METRICS_TOKEN', { METRICS_TOKEN: 'rødgrødmedfløde-1234' }],
    ['CARD_LOG_FLUSH_MS', { CARD_LOG_FLUSH_MS: '0' }],
  ])('%s: a wrong value stops the start with a message naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(`Configuration error in ${variable}:`);
  });
  test('a token of the characters a bearer token may hold is accepted (base64 and its url-safe form, padding)', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'Zm9vYmFyLWJhei1xdXV4+/==', METRICS_TOKEN: 'abc-DEF_123.456~789' }).operations).toMatchObject({ adminToken: 'Zm9vYmFyLWJhei1xdXV4+/==', metricsToken: 'abc-DEF_123.456~789' });
  });
  test('the limits themselves are accepted: PSEUDONYM_SECRET of 32 characters, a 600 s skew, a 1-day token age, 100 pages', () => {
    expect(() => loadConfig({ PSEUDONYM_SECRET: 's'.repeat(32), JWT_CLOCK_SKEW_SECONDS: '600', JWT_MAX_AGE_SECONDS: '86400', FHIR_MAX_PAGES: '100', FHIR_QUERY_TIMEOUT_MS: '60000' })).not.toThrow();
  });
});

// --- Preview page (GET /, issue 13) ---
describe('PREVIEW_PAGE and PREVIEW_FHIR_SERVER', () => {
  test('the preview page is on in development and test, off in production unless PREVIEW_PAGE=on', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).preview.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).preview.enabled).toBe(true);
    const production = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org' };
    expect(loadConfig(production).preview.enabled).toBe(false);
    expect(loadConfig({ ...production, PREVIEW_PAGE: 'on' }).preview.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', PREVIEW_PAGE: 'off' }).preview.enabled).toBe(false);
  });

  test('PREVIEW_FHIR_SERVER is an absolute URL without a trailing slash, null when unset', () => {
    expect(loadConfig({}).preview.fhirServer).toBeNull();
    expect(loadConfig({ PREVIEW_FHIR_SERVER: 'http://127.0.0.1:8081/fhir/' }).preview.fhirServer).toBe('http://127.0.0.1:8081/fhir');
    expect(() => loadConfig({ PREVIEW_FHIR_SERVER: 'not a url' })).toThrow('PREVIEW_FHIR_SERVER');
    expect(() => loadConfig({ PREVIEW_PAGE: 'maybe' })).toThrow('PREVIEW_PAGE');
  });
});

// --- Quiet by design (issue 11; docs/clinical-rules.md §6) ---
describe('QUIET_BY_DESIGN, QUIET_KINDS_DISABLED and the quiet periods', () => {
  test('defaults: on, no kind excluded, 90 days, 7 days for "will address later", 24 h for a dismiss, 365 days, 12 h', () => {
    expect(loadConfig({}).quiet).toEqual({ enabled: true, disabledKinds: [], days: 90, laterDays: 7, dismissHours: 24, nonpharmRepeatDays: 365, orderingSessionHours: 12 });
  });

  test('every variable is read', () => {
    const c = loadConfig({
      QUIET_BY_DESIGN: 'off',
      QUIET_KINDS_DISABLED: 'screening-abnormal, tramadol',
      QUIET_DAYS: '30',
      QUIET_LATER_DAYS: '3',
      QUIET_DISMISS_HOURS: '8',
      NONPHARM_REPEAT_DAYS: '180',
      ORDERING_SESSION_HOURS: '4',
    });
    expect(c.quiet).toEqual({ enabled: false, disabledKinds: ['screening-abnormal', 'tramadol'], days: 30, laterDays: 3, dismissHours: 8, nonpharmRepeatDays: 180, orderingSessionHours: 4 });
    expect(loadConfig({ QUIET_BY_DESIGN: 'on' }).quiet.enabled).toBe(true);
  });

  test.each<[string, Record<string, string>]>([
    ['QUIET_BY_DESIGN', { QUIET_BY_DESIGN: 'maybe' }],
    ['QUIET_KINDS_DISABLED', { QUIET_KINDS_DISABLED: 'Screening Abnormal' }],
    ['QUIET_DAYS', { QUIET_DAYS: '0' }],
    ['QUIET_LATER_DAYS', { QUIET_LATER_DAYS: 'seven' }],
    ['QUIET_DISMISS_HOURS', { QUIET_DISMISS_HOURS: '0' }],
    ['NONPHARM_REPEAT_DAYS', { NONPHARM_REPEAT_DAYS: '-1' }],
    ['ORDERING_SESSION_HOURS', { ORDERING_SESSION_HOURS: '1000' }],
  ])('%s: a wrong value stops the start with a message naming it', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(`Configuration error in ${variable}:`);
  });

  test('QUIET_KINDS_DISABLED: an unknown card kind stops the start (checked against cards/ like CARD_KINDS_DISABLED)', () => {
    expect(() => createServices(loadConfig({ NODE_ENV: 'test', QUIET_KINDS_DISABLED: 'screening-abnormals' }), silentLogger())).toThrow('Configuration error in QUIET_KINDS_DISABLED:');
    expect(() => createServices(loadConfig({ NODE_ENV: 'test', QUIET_KINDS_DISABLED: 'screening-abnormal' }), silentLogger())).not.toThrow();
  });
});

describe('loadConfig: a variable whose name is one or two letters from a setting\'s is refused, not left unread', () => {
  test.each([
    ['DATABSE_URL', 'DATABASE_URL'],
    ['RETENTION_DAY', 'RETENTION_DAYS'],
    ['METRICS_TOKN', 'METRICS_TOKEN'],
    ['LOGLEVEL', 'LOG_LEVEL'],
    ['PSEUDONYM_SECRT', 'PSEUDONYM_SECRET'],
  ])('%s → did you mean %s?', (typo, setting) => {
    const e = configError({ [typo]: 'x' });
    expect(e.message).toBe(`Configuration error in ${typo}: is not a setting of this service: did you mean ${setting}? (left unread it would give ${setting}'s default)`);
  });

  test("a machine's and a container's usual variables, and the tests' own, are not taken for misspelt settings", () => {
    const usual = ['PATH', 'HOME', 'HOSTNAME', 'PWD', 'OLDPWD', 'LANG', 'LANGUAGE', 'LC_ALL', 'TERM', 'SHELL', 'USER', 'LOGNAME', 'TZ', 'CI', 'DEBUG', 'NODE_OPTIONS', 'NODE_PATH', 'npm_config_cache', 'PGHOST', 'PGPORT', 'PGDATABASE', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_PORT', 'HOST_IP', 'POD_NAME', 'TEST_DATABASE_URL', 'GITHUB_ACTIONS', 'JAVA_HOME', 'XDG_RUNTIME_DIR', 'SSH_AUTH_SOCK', 'EDITOR', 'HISTSIZE', 'DATA', 'AUTHOR', 'TMPDIR', 'FHIR_LATENCY_MS'];
    expect(() => loadConfig(Object.fromEntries(usual.map((n) => [n, 'x'])))).not.toThrow();
    expect(() => loadConfig({ ...process.env })).not.toThrow();
  });
});

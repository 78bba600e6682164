import { ConfigError, DEFAULT_GUIDELINE_URL, loadConfig } from '../src/config.js';

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

  test('amitriptyline daytime 06:00–17:00 in minutes', () => {
    expect(config.medication).toEqual({ daytimeFromMinutes: 6 * 60, daytimeToMinutes: 17 * 60 });
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

import { loadConfig } from '../../src/config.js';
import { checkFhirServer, effectiveAllowlist, isWithinBase } from '../../src/data/fhirServerAllowlist.js';

const dev = (allow?: string) => loadConfig({ NODE_ENV: 'development', ...(allow !== undefined ? { FHIR_SERVER_ALLOWLIST: allow } : {}) });
const prod = (allow?: string) =>
  loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', ...(allow !== undefined ? { FHIR_SERVER_ALLOWLIST: allow } : {}) });

describe('isWithinBase', () => {
  const base = 'https://ehr.example.org/fhir';
  it.each([
    ['https://ehr.example.org/fhir', true],
    ['https://ehr.example.org/fhir/', true],
    ['https://ehr.example.org/fhir/R4', true],
    ['https://ehr.example.org/fhir/R4/Patient?x=1', true],
    ['https://EHR.example.org:443/fhir/R4', true], // host case and default port are normalised
    ['HTTPS://ehr.example.org/fhir', true], // so is the scheme's case
    ['https://ehr.example.org/fhirX', false],
    ['https://ehr.example.org/fhirX/R4', false],
    ['https://ehr.example.org/', false],
    ['https://ehr.example.org/fhir/../admin', false], // dot segments are resolved before comparing
    ['https://ehr.example.org/fhir/%2e%2e/admin', false],
    // Separators URL leaves encoded, which a proxy or server may decode: outside the base.
    ['https://ehr.example.org/fhir/..%2f..%2fadmin', false],
    ['https://ehr.example.org/fhir/..%2F..%2Fadmin', false],
    ['https://ehr.example.org/fhir/..%5cadmin', false],
    ['https://ehr.example.org/fhir/.%2e/admin', false],
    ['https://ehr.example.org/fhir/%252e%252e/admin', false], // double-encoded, for a proxy that decodes twice
    ['https://ehr.example.org/fhir/..;/admin', false],
    ['https://ehr.example.org/fhir/R4;jsessionid=1', false],
    ['https://ehr.example.org/fhir/R4/Observation%20x', true], // other escapes are plain characters
    ['http://ehr.example.org/fhir', false], // other scheme
    ['https://ehr.example.org:8443/fhir', false], // other port
    ['https://ehr.example.org.evil.com/fhir', false], // other host
    ['https://evil.com/fhir', false],
    ['https://user:pw@ehr.example.org/fhir', false], // credentials never allowed
    ['ftp://ehr.example.org/fhir', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isWithinBase(url, base)).toBe(expected);
  });

  it('a base with a trailing slash matches the same as without', () => {
    expect(isWithinBase('https://ehr.example.org/fhir/R4', 'https://ehr.example.org/fhir/')).toBe(true);
    expect(isWithinBase('https://ehr.example.org/fhirX', 'https://ehr.example.org/fhir/')).toBe(false);
  });

  it('an origin-only base covers every path on that origin', () => {
    expect(isWithinBase('http://127.0.0.1:8080/anything', 'http://127.0.0.1:8080')).toBe(true);
    expect(isWithinBase('http://127.0.0.1:8081/anything', 'http://127.0.0.1:8080')).toBe(false);
  });
});

describe('checkFhirServer', () => {
  it('defaults: development (and test) allow loopback only, production allows nothing', () => {
    expect(effectiveAllowlist(dev())).toBe('loopback');
    expect(effectiveAllowlist(loadConfig({ NODE_ENV: 'test' }))).toBe('loopback');
    expect(effectiveAllowlist(prod())).toEqual([]);
    expect(checkFhirServer('http://localhost:8080/fhir', dev())).toEqual({ allowed: true, base: 'http://localhost:8080/fhir' });
    expect(checkFhirServer('http://127.0.0.1:8080/fhir/', dev())).toEqual({ allowed: true, base: 'http://127.0.0.1:8080/fhir' });
    expect(checkFhirServer('http://[::1]/fhir', dev()).allowed).toBe(true);
    expect(checkFhirServer('https://launch.smarthealthit.org/v/r4/fhir', dev()).allowed).toBe(false);
    expect(checkFhirServer('http://localhost:8080/fhir', prod()).allowed).toBe(false);
    expect(checkFhirServer('https://ehr.example.org/fhir', prod()).allowed).toBe(false);
  });

  it('FHIR_SERVER_ALLOWLIST replaces the default (loopback no longer allowed unless listed)', () => {
    const c = dev('https://ehr.example.org/fhir, https://other.example.org');
    expect(checkFhirServer('https://ehr.example.org/fhir', c)).toEqual({ allowed: true, base: 'https://ehr.example.org/fhir' });
    expect(checkFhirServer('https://ehr.example.org/fhir/', c).allowed).toBe(true);
    expect(checkFhirServer('https://ehr.example.org/fhir/R4', c).allowed).toBe(true);
    expect(checkFhirServer('https://other.example.org/any/path', c).allowed).toBe(true);
    expect(checkFhirServer('https://ehr.example.org/fhirX', c).allowed).toBe(false);
    expect(checkFhirServer('http://ehr.example.org/fhir', c).allowed).toBe(false);
    expect(checkFhirServer('https://ehr.example.org:8443/fhir', c).allowed).toBe(false);
    expect(checkFhirServer('http://localhost:8080/fhir', c).allowed).toBe(false);
  });

  it('production: https when listed; http only when an http base URL is listed explicitly', () => {
    const c = prod('https://ehr.example.org/fhir,http://10.1.2.3:8080/fhir');
    expect(checkFhirServer('https://ehr.example.org/fhir/R4', c).allowed).toBe(true);
    expect(checkFhirServer('http://ehr.example.org/fhir/R4', c).allowed).toBe(false);
    expect(checkFhirServer('http://10.1.2.3:8080/fhir', c).allowed).toBe(true);
  });

  it('refuses missing, non-http and non-plain fhirServer values', () => {
    const c = dev();
    expect(checkFhirServer(undefined, c)).toEqual({ allowed: false, reason: 'the request has no fhirServer' });
    expect(checkFhirServer('', c).allowed).toBe(false);
    expect(checkFhirServer('file:///etc/passwd', c).allowed).toBe(false);
    expect(checkFhirServer('localhost:8080/fhir', c).allowed).toBe(false);
    expect(checkFhirServer('http://user:pw@localhost/fhir', c).allowed).toBe(false);
    expect(checkFhirServer('http://localhost/fhir?x=1', c).allowed).toBe(false);
    expect(checkFhirServer('http://localhost/fhir#x', c).allowed).toBe(false);
  });

  it('a decision remembered for one configuration is not reused under another', () => {
    const open = dev('https://ehr.example.org/fhir');
    const closed = dev('https://other.example.org/fhir');
    for (let i = 0; i < 3; i++) {
      expect(checkFhirServer('https://ehr.example.org/fhir', open).allowed).toBe(true);
      expect(checkFhirServer('https://ehr.example.org/fhir', closed).allowed).toBe(false);
    }
    // A remembered decision is shared: nobody may change it.
    expect(Object.isFrozen(checkFhirServer('https://ehr.example.org/fhir', open))).toBe(true);
  });
});

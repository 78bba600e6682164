import { pathOf, withoutTrailingSlashes, lastTypeAndId, withoutVersion } from '../../src/model/urlPath.js';

describe('pathOf: the path of a request target', () => {
  test.each([
    ['/cds-services/x?patient=1', '/cds-services/x'],
    ['/cds-services', '/cds-services'],
    ['', ''],
    [undefined, ''],
    // absolute-form (RFC 9112 §3.2.2): the path, whatever the host
    ['http://localhost:3000/cds-services/x/feedback', '/cds-services/x/feedback'],
    ['HTTPS://ehr.example:8443/cds-services/x?y=1', '/cds-services/x'],
    ['http://localhost:3000', '/'],
    ['http://localhost:3000?x=1', '/'],
    // not absolute-form: left as it is (no route matches it)
    ['*', '*'],
    ['cds-services/x', 'cds-services/x'],
  ])('%j → %j', (target, path) => {
    expect(pathOf(target)).toBe(path);
  });
});

describe('withoutTrailingSlashes', () => {
  test('every trailing slash goes, nothing else', () => {
    expect(withoutTrailingSlashes('http://loinc.org/')).toBe('http://loinc.org');
    expect(withoutTrailingSlashes('/fhir///')).toBe('/fhir');
    expect(withoutTrailingSlashes('/fhir/x')).toBe('/fhir/x');
    expect(withoutTrailingSlashes('///')).toBe('');
    expect(withoutTrailingSlashes('')).toBe('');
    // A long run of slashes not at the end stays (the regular expression this replaced was quadratic in it).
    expect(withoutTrailingSlashes(`a${'/'.repeat(100_000)}b/`)).toBe(`a${'/'.repeat(100_000)}b`);
  });
});

describe('withoutVersion and lastTypeAndId: a FHIR reference read once for every reader', () => {
  test('a version names the same resource; the last Type/id of a relative or absolute reference', () => {
    expect(withoutVersion('Observation/x/_history/3')).toBe('Observation/x');
    expect(withoutVersion('Observation/x')).toBe('Observation/x');
    expect(lastTypeAndId('http://h/fhir/Medication/m1/_history/2')).toEqual({ type: 'Medication', id: 'm1' });
    expect(lastTypeAndId('Condition/c1')).toEqual({ type: 'Condition', id: 'c1' });
    expect(lastTypeAndId('c1')).toBeUndefined();
  });
});

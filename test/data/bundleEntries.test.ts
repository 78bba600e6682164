import { readFhirPayload } from '../../src/data/bundleEntries.js';

describe('readFhirPayload', () => {
  const c1 = { resourceType: 'Condition', id: 'c1' };
  const oo = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };

  it('a resource is a list of one', () => {
    expect(readFhirPayload(c1)).toEqual({ ok: true, resources: [c1] });
  });

  it('a Bundle gives its entries without outcomes, and its next link', () => {
    const b = {
      resourceType: 'Bundle',
      link: [{ relation: 'self', url: 'http://x/fhir/Condition' }, { relation: 'next', url: 'http://x/fhir/Condition?page=2' }],
      entry: [{ resource: c1, search: { mode: 'match' } }, { resource: { resourceType: 'Patient', id: 'p' }, search: { mode: 'outcome' } }, { resource: oo }],
    };
    expect(readFhirPayload(b)).toEqual({ ok: true, resources: [c1], nextUrl: 'http://x/fhir/Condition?page=2' });
  });

  it('an empty Bundle, with or without an entry list, is no data', () => {
    expect(readFhirPayload({ resourceType: 'Bundle', type: 'searchset', total: 0 })).toEqual({ ok: true, resources: [] });
    expect(readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [] })).toEqual({ ok: true, resources: [] });
  });

  it.each([
    ['an OperationOutcome', oo],
    ['a Bundle of only outcomes', { resourceType: 'Bundle', entry: [{ resource: oo, search: { mode: 'outcome' } }] }],
    ['a string', 'Condition'],
    ['a number', 1],
    ['an array', [c1]],
    ['an object without resourceType', { id: 'x' }],
    ['an empty resourceType', { resourceType: '' }],
    ['a Bundle whose entry is not a list', { resourceType: 'Bundle', entry: { resource: c1 } }],
    ['a Bundle with a null entry', { resourceType: 'Bundle', entry: [null] }],
    ['a Bundle entry without a resource', { resourceType: 'Bundle', entry: [{ fullUrl: 'x' }] }],
    ['a Bundle entry resource without resourceType', { resourceType: 'Bundle', entry: [{ resource: { id: 'x' } }] }],
    ['a Bundle whose link is not a list', { resourceType: 'Bundle', link: 'next' }],
    ['a Bundle whose next link has no url', { resourceType: 'Bundle', link: [{ relation: 'next' }] }],
  ])('%s is not usable', (_name, value) => {
    const r = readFhirPayload(value);
    expect(r.ok).toBe(false);
  });
});

import { substituteTemplate } from '../../src/data/prefetchTemplate.js';

describe('substituteTemplate', () => {
  const context = { patientId: 'p1', userId: 'Practitioner/abc', count: 3, flag: true, draftOrders: { resourceType: 'Bundle' }, selections: ['x'] };

  it('substitutes root-level primitive context fields', () => {
    expect(substituteTemplate('Condition?patient={{context.patientId}}&_count={{context.count}}&x={{ context.flag }}', context)).toEqual({
      ok: true,
      query: 'Condition?patient=p1&_count=3&x=true',
    });
  });

  it('leaves a template without tokens alone', () => {
    expect(substituteTemplate('Observation?code=http://loinc.org|4548-4', context)).toEqual({ ok: true, query: 'Observation?code=http://loinc.org|4548-4' });
  });

  it('URL-encodes values so they cannot add parameters or path segments', () => {
    const r = substituteTemplate('Patient/{{context.patientId}}', { patientId: 'a/b?c=1&d#e f' });
    expect(r).toEqual({ ok: true, query: 'Patient/a%2Fb%3Fc%3D1%26d%23e%20f' });
  });

  it('derives user tokens from context.userId by resource type', () => {
    expect(substituteTemplate('Practitioner/{{userPractitionerId}}', context)).toEqual({ ok: true, query: 'Practitioner/abc' });
    expect(substituteTemplate('PractitionerRole/{{userPractitionerRoleId}}', { userId: 'PractitionerRole/r1' })).toEqual({ ok: true, query: 'PractitionerRole/r1' });
    expect(substituteTemplate('Patient/{{userPatientId}}', { userId: 'Patient/p9' })).toEqual({ ok: true, query: 'Patient/p9' });
    expect(substituteTemplate('RelatedPerson/{{userRelatedPersonId}}', { userId: 'RelatedPerson/rp' })).toEqual({ ok: true, query: 'RelatedPerson/rp' });
    expect(substituteTemplate('Patient/{{userPatientId}}', context)).toEqual({ ok: false, unresolved: ['userPatientId'] });
    expect(substituteTemplate('Practitioner/{{userPractitionerId}}', { userId: 'https://x/Practitioner/abc' })).toEqual({ ok: false, unresolved: ['userPractitionerId'] });
  });

  it('reports unresolvable tokens: absent, empty, non-primitive, nested, unknown, malformed', () => {
    expect(substituteTemplate('Encounter/{{context.encounterId}}', context)).toEqual({ ok: false, unresolved: ['context.encounterId'] });
    expect(substituteTemplate('Condition?patient={{context.patientId}}', { patientId: '' })).toEqual({ ok: false, unresolved: ['context.patientId'] });
    expect(substituteTemplate('Condition?patient={{context.patientId}}', { patientId: null })).toEqual({ ok: false, unresolved: ['context.patientId'] });
    expect(substituteTemplate('X?a={{context.draftOrders}}', context)).toEqual({ ok: false, unresolved: ['context.draftOrders'] });
    expect(substituteTemplate('X?a={{context.selections}}', context)).toEqual({ ok: false, unresolved: ['context.selections'] });
    expect(substituteTemplate('X?a={{context.draftOrders.resourceType}}', context)).toEqual({ ok: false, unresolved: ['context.draftOrders.resourceType'] });
    expect(substituteTemplate('X?date=ge{{today() - 90 days}}', context)).toEqual({ ok: false, unresolved: ['today() - 90 days'] });
    expect(substituteTemplate('X?a={{context.toString}}', context)).toEqual({ ok: false, unresolved: ['context.toString'] });
    expect(substituteTemplate('X?a={{context.patientId}', context).ok).toBe(false);
  });

  it('a value made only of dots is unresolved: `Patient/..` is the server\'s base and `Patient/.` a search of every patient', () => {
    for (const dots of ['.', '..', '...', ' .. ']) {
      expect(substituteTemplate('Patient/{{context.patientId}}', { patientId: dots })).toEqual({ ok: false, unresolved: ['context.patientId'] });
      expect(substituteTemplate('Practitioner/{{userPractitionerId}}', { userId: `Practitioner/${dots}` })).toEqual({ ok: false, unresolved: ['userPractitionerId'] });
    }
    expect(substituteTemplate('Patient/{{context.patientId}}', { patientId: 'a.b' })).toEqual({ ok: true, query: 'Patient/a.b' });
  });
});

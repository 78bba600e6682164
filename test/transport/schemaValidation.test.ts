import { HttpError } from '../../src/transport/operationOutcome.js';
import { SchemaValidator, type SchemaName } from '../../src/transport/schemaValidation.js';

const validator = new SchemaValidator();

const valid = (name: SchemaName, data: unknown): string[] => validator.problems(name, data);
const responseWith = (card: Record<string, unknown>): unknown => ({ cards: [card] });

/** A minimal card that keeps every promise of schemas/response.schema.json. */
function card(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: '4f2a1e0c-7b6d-4c1a-9f0e-2d3c4b5a6978',
    summary: 'Generalized pain: screening incomplete',
    indicator: 'info',
    source: { label: 'NKR', url: 'https://www.sst.dk/', topic: { system: 'urn:nkr-pain-cds:topic', code: 'screening-incomplete' } },
    ...over,
  };
}
const suggestion = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  label: 'Order',
  uuid: '0b6b3d1e-2f4a-4c5b-8d6e-7f8091a2b3c4',
  actions: [{ type: 'create', description: 'Order TSH', resource: { resourceType: 'ServiceRequest' } }],
  ...over,
});

describe('schemas/*.json, as the service compiles them', () => {
  // The production validator compiles every protocol schema once, in ajv strict mode: a schema that does
  // not compile stops the service (and this test) at construction.
  test('the service validator compiles all four protocol schemas', () => {
    expect(() => new SchemaValidator()).not.toThrow();
  });

  test.each(['discovery', 'request', 'response', 'feedback'] as const)('%s: an empty object is refused (the schema is loaded, not a stub)', (name) => {
    expect(valid(name, {})).not.toEqual([]);
  });

  test('discovery: a minimal document is valid', () => {
    expect(valid('discovery', { services: [] })).toEqual([]);
  });
});

describe('response schema: cards', () => {
  test('a minimal card is valid; {"cards":[]} is valid', () => {
    expect(valid('response', responseWith(card()))).toEqual([]);
    expect(valid('response', { cards: [] })).toEqual([]);
  });

  test('summary: 139 code points with æøå valid, 140 invalid (counted in code points, not UTF-16 units)', () => {
    const s139 = `æøå${'x'.repeat(136)}`;
    expect(Array.from(s139)).toHaveLength(139);
    expect(valid('response', responseWith(card({ summary: s139 })))).toEqual([]);
    const s140 = `${s139}Å`;
    expect(valid('response', responseWith(card({ summary: s140 })))).not.toEqual([]);
    // Astral characters are 2 UTF-16 units but one code point each.
    const astral = `${'😀'.repeat(100)}${'x'.repeat(39)}`;
    expect(astral.length).toBe(239);
    expect(valid('response', responseWith(card({ summary: astral })))).toEqual([]);
  });

  test('required fields and the indicator enum', () => {
    for (const field of ['uuid', 'summary', 'indicator', 'source']) {
      const c = card();
      delete c[field];
      expect(valid('response', responseWith(c))).not.toEqual([]);
    }
    expect(valid('response', responseWith(card({ indicator: 'hard-stop' })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ indicator: 'critical' })))).toEqual([]);
  });

  test('suggestions without selectionBehavior are invalid; with it valid', () => {
    expect(valid('response', responseWith(card({ suggestions: [suggestion()] })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ suggestions: [suggestion()], selectionBehavior: 'at-most-one' })))).toEqual([]);
  });

  test('empty optional arrays/strings are invalid (the serializer must omit them)', () => {
    expect(valid('response', responseWith(card({ suggestions: [], selectionBehavior: 'any' })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ links: [] })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ overrideReasons: [] })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ detail: '' })))).not.toEqual([]);
  });

  test('delete: resourceId required, resource forbidden', () => {
    const del = (action: Record<string, unknown>) =>
      responseWith(card({ selectionBehavior: 'any', suggestions: [suggestion({ actions: [{ type: 'delete', description: 'Remove the draft', ...action }] })] }));
    expect(valid('response', del({ resourceId: 'MedicationRequest/request-123' }))).toEqual([]);
    expect(valid('response', del({ resourceId: 'MedicationRequest/request-123', resource: { resourceType: 'MedicationRequest' } }))).not.toEqual([]);
    expect(valid('response', del({ resource: { resourceType: 'MedicationRequest', id: 'request-123' } }))).not.toEqual([]);
  });

  test('create without a resource, or an action without description, is invalid', () => {
    const withAction = (a: Record<string, unknown>) => responseWith(card({ selectionBehavior: 'any', suggestions: [suggestion({ actions: [a] })] }));
    expect(valid('response', withAction({ type: 'create', description: 'Order' }))).not.toEqual([]);
    expect(valid('response', withAction({ type: 'create', resource: { resourceType: 'ServiceRequest' } }))).not.toEqual([]);
  });

  test('overrideReasons: each needs display', () => {
    const reason = { system: 'urn:nkr-pain-cds:override', code: 'patient-declines' };
    expect(valid('response', responseWith(card({ overrideReasons: [reason] })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ overrideReasons: [{ ...reason, display: 'Patient declines' }] })))).toEqual([]);
  });

  test('at-most-one with two recommended suggestions is invalid; with any it is valid', () => {
    const two = [suggestion({ isRecommended: true }), suggestion({ uuid: '9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', isRecommended: true })];
    expect(valid('response', responseWith(card({ selectionBehavior: 'at-most-one', suggestions: two })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ selectionBehavior: 'any', suggestions: two })))).toEqual([]);
    expect(valid('response', responseWith(card({ selectionBehavior: 'at-most-one', suggestions: [two[0], suggestion({ isRecommended: false })] })))).toEqual(
      [],
    );
  });

  test('links: absolute URL required, no appContext on absolute links', () => {
    const link = { label: 'Guideline', url: 'https://www.sst.dk/', type: 'absolute' };
    expect(valid('response', responseWith(card({ links: [link] })))).toEqual([]);
    expect(valid('response', responseWith(card({ links: [{ ...link, url: '/relative' }] })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ links: [{ ...link, appContext: 'x' }] })))).not.toEqual([]);
    expect(valid('response', responseWith(card({ links: [{ ...link, type: 'smart', appContext: 'x' }] })))).toEqual([]);
  });
});

describe('request schema', () => {
  const base = { hook: 'patient-view', hookInstance: 'b778a08c-ffb1-4a88-937a-0f0c78565c93', context: { patientId: 'p1', userId: 'Practitioner/u1' } };
  test('extension fields are tolerated at top level and in context', () => {
    expect(valid('request', { ...base, extension: { 'org.example.x': 1 }, context: { ...base.context, extension: { a: 1 } } })).toEqual([]);
  });
  test('patientId must be a FHIR id', () => {
    expect(valid('request', { ...base, context: { ...base.context, patientId: 'p1&_include=*' } })).not.toEqual([]);
    expect(valid('request', { ...base, context: { ...base.context, patientId: 'a'.repeat(65) } })).not.toEqual([]);
  });
  test('fhirServer: an http(s) URL, its scheme in any case (RFC 3986 §3.1)', () => {
    for (const fhirServer of ['https://ehr.example/fhir', 'HTTP://127.0.0.1:9/fhir/', 'Https://ehr.example/fhir']) expect(valid('request', { ...base, fhirServer })).toEqual([]);
    for (const fhirServer of ['ftp://ehr.example/fhir', 'ehr.example/fhir']) expect(valid('request', { ...base, fhirServer })).not.toEqual([]);
  });
  test('fhirAuthorization.token_type: Bearer in any case, or absent; another type is refused (the token is sent as a bearer token)', () => {
    const withAuth = (auth: Record<string, unknown>) => ({ ...base, fhirServer: 'https://ehr.example/fhir', fhirAuthorization: { access_token: 'abc.def-123', ...auth } });
    for (const auth of [{ token_type: 'Bearer' }, { token_type: 'bearer' }, {}]) expect(valid('request', withAuth(auth))).toEqual([]);
    for (const auth of [{ token_type: 'MAC' }, { token_type: 'DPoP' }, { token_type: '' }]) expect(valid('request', withAuth(auth))).not.toEqual([]);
  });
  test('fhirAuthorization requires fhirServer', () => {
    expect(valid('request', { ...base, fhirAuthorization: { access_token: 't', token_type: 'Bearer' } })).not.toEqual([]);
  });
});

describe('feedback schema', () => {
  const item = { card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc', outcome: 'overridden', outcomeTimestamp: '2026-11-25T17:39:50.395Z' };
  test('the sandbox shapes are valid', () => {
    expect(valid('feedback', { feedback: [item] })).toEqual([]);
    expect(valid('feedback', { feedback: [{ ...item, overrideReason: { reason: { code: 'pt-pref', system: 'http://example.org/override' } } }] })).toEqual([]);
    expect(valid('feedback', { feedback: [{ ...item, outcome: 'accepted', acceptedSuggestions: [{ id: 's' }] }] })).toEqual([]);
  });
  test('accepted without acceptedSuggestions, a bad outcome, or a non-RFC3339 timestamp are invalid', () => {
    expect(valid('feedback', { feedback: [{ ...item, outcome: 'accepted' }] })).not.toEqual([]);
    expect(valid('feedback', { feedback: [{ ...item, outcome: 'ignored' }] })).not.toEqual([]);
    expect(valid('feedback', { feedback: [{ ...item, outcomeTimestamp: 'yesterday' }] })).not.toEqual([]);
    expect(valid('feedback', { feedback: [] })).not.toEqual([]);
  });
  test('card is a UUID, in either letter case', () => {
    expect(valid('feedback', { feedback: [{ ...item, card: item.card.toUpperCase() }] })).toEqual([]);
    for (const card of ['c', 'Mette', '', `${item.card}0`, `urn:uuid:${item.card}`]) expect(valid('feedback', { feedback: [{ ...item, card }] })).not.toEqual([]);
  });
});

describe('typed parsing at the edge', () => {
  const ctx = { userId: 'Practitioner/u1', patientId: 'p1' };

  test('parseRequest returns the typed request of the service hook', () => {
    const body = { hook: 'order-select', hookInstance: 'h', context: { ...ctx, selections: ['MedicationRequest/1'], draftOrders: { resourceType: 'Bundle', entry: [{ resource: { resourceType: 'MedicationRequest', id: '1' } }] } } };
    const parsed = validator.parseRequest('order-select', 'svc', body);
    expect(parsed.context.selections).toEqual(['MedicationRequest/1']); // typed: string[] | undefined, no cast
    expect(parsed).toBe(body);
  });

  test('a request for another hook → 400 naming both hooks and the field', () => {
    let err: unknown;
    try {
      validator.parseRequest('order-sign', 'svc', { hook: 'patient-view', hookInstance: 'h', context: ctx });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).message).toBe('Service svc answers hook "order-sign", not "patient-view"');
    expect((err as HttpError).issues[0]?.expression).toEqual(['hook']);
  });

  test('a body the request schema refuses → 400 naming the first offending field, before the hook is compared', () => {
    expect(() => validator.parseRequest('patient-view', 'svc', { hook: 'patient-view', hookInstance: 'h', context: { userId: 'Practitioner/u1' } })).toThrow(
      /context\.patientId/,
    );
  });

  test('several offending fields: one issue each, the first as the message, at most ten', () => {
    const issuesOf = (body: unknown): HttpError => {
      try {
        validator.parseFeedback(body);
      } catch (e) {
        if (e instanceof HttpError) return e;
      }
      throw new Error('not refused');
    };
    const item = (i: number) => ({ card: `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, outcome: 'maybe', outcomeTimestamp: '2026-11-25T12:00:00Z' });
    const two = issuesOf({ feedback: [item(0), item(1)] });
    expect(two.issues.map((x) => x.expression)).toEqual([['feedback[0].outcome'], ['feedback[1].outcome']]);
    const many = issuesOf({ feedback: Array.from({ length: 12 }, (_, i) => item(i)) });
    expect(many.issues).toHaveLength(10);
    expect(many.issues[9]?.expression).toEqual(['feedback[9].outcome']);
  });

  test('parseFeedback returns the typed body, and refuses an invalid one with 400', () => {
    const fb = { feedback: [{ card: '52bbb69b-841f-44e5-8ee4-8a18ccbfabdc', outcome: 'overridden', outcomeTimestamp: '2026-11-25T12:00:00Z', overrideReason: { reason: { code: 'not-relevant' } } }] };
    expect(validator.parseFeedback(fb).feedback[0]?.overrideReason?.reason?.code).toBe('not-relevant');
    expect(() => validator.parseFeedback({ feedback: [{ card: 'c', outcome: 'maybe' }] })).toThrow(HttpError);
  });
});

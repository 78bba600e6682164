import { jest } from '@jest/globals';
import { isIncomplete, listedOnce, readFhirPayload, saysWithheld } from '../../src/data/bundleEntries.js';

describe('readFhirPayload', () => {
  const c1 = { resourceType: 'Condition', id: 'c1' };
  const oo = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
  const warning = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing', diagnostics: 'No results' }] };
  const information = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] };

  it('a resource is a list of one', () => {
    expect(readFhirPayload(c1)).toEqual({ ok: true, resources: [c1], matches: 1 });
  });

  it('a Bundle gives its entries without outcomes, and its next link', () => {
    const b = {
      resourceType: 'Bundle',
      link: [{ relation: 'self', url: 'http://x/fhir/Condition' }, { relation: 'next', url: 'http://x/fhir/Condition?page=2' }],
      entry: [{ resource: c1, search: { mode: 'match' } }, { resource: { resourceType: 'Patient', id: 'p' }, search: { mode: 'outcome' } }, { resource: warning }],
    };
    expect(readFhirPayload(b)).toEqual({ ok: true, resources: [c1], matches: 1, nextUrl: 'http://x/fhir/Condition?page=2' });
  });

  it('an empty Bundle, with or without an entry list, is no data', () => {
    expect(readFhirPayload({ resourceType: 'Bundle', type: 'searchset', total: 0 })).toEqual({ ok: true, resources: [], matches: 0, total: 0 });
    expect(readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [] })).toEqual({ ok: true, resources: [], matches: 0 });
  });

  it("Epic's no results: total 0 and OperationOutcome entries with only warnings or information are an empty result", () => {
    for (const entry of [{ resource: warning, search: { mode: 'outcome' } }, { resource: warning }, { resource: information }]) {
      const r = readFhirPayload({ resourceType: 'Bundle', type: 'searchset', total: 0, entry: [entry] });
      expect(r).toEqual({ ok: true, resources: [], matches: 0, total: 0 });
    }
  });

  it('a warning that the results are cut off, not all returned or throttled is no "none": a prefetch error; one of withheld results (suppressed) is not: it is kept, no match, to mark the key', () => {
    for (const code of ['too-costly', 'incomplete', 'throttled']) {
      const cut = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code, diagnostics: 'Search results were truncated' }] };
      for (const entry of [{ resource: cut, search: { mode: 'outcome' } }, { resource: cut }]) {
        expect([code, readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: c1 }, entry] }).ok]).toEqual([code, false]);
      }
    }
    const suppressed = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'suppressed' }] };
    expect(readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: c1 }, { resource: suppressed }] })).toEqual({ ok: true, resources: [c1, suppressed], matches: 1 });
    expect(saysWithheld(suppressed)).toBe(true);
    // Epic's "no results" warning is dropped, as before.
    const none = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing' }] };
    expect(readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: c1 }, { resource: none, search: { mode: 'outcome' } }] })).toEqual({ ok: true, resources: [c1], matches: 1 });
    expect(saysWithheld(none)).toBe(false);
  });

  it('included resources are data but not matches (total counts matches only)', () => {
    const med = { resourceType: 'Medication', id: 'm1' };
    const r = readFhirPayload({ resourceType: 'Bundle', total: 1, entry: [{ resource: c1, search: { mode: 'match' } }, { resource: med, search: { mode: 'include' } }] });
    expect(r).toEqual({ ok: true, resources: [c1, med], matches: 1, total: 1 });
    expect(r.ok && isIncomplete(r)).toBe(false);
  });

  it('a next link, or a total above the matches, is incomplete', () => {
    const paged = readFhirPayload({ resourceType: 'Bundle', link: [{ relation: 'next', url: 'http://x/p2' }], entry: [{ resource: c1 }] });
    const short = readFhirPayload({ resourceType: 'Bundle', total: 16, entry: [] });
    const whole = readFhirPayload({ resourceType: 'Bundle', total: 1, entry: [{ resource: c1 }] });
    expect(paged.ok && isIncomplete(paged)).toBe(true);
    expect(short.ok && isIncomplete(short)).toBe(true);
    expect(whole.ok && isIncomplete(whole)).toBe(false);
  });

  it('a next link in any case ("NEXT", RFC 8288) is a next page', () => {
    const r = readFhirPayload({ resourceType: 'Bundle', link: [{ relation: 'NEXT', url: 'http://x/p2' }], entry: [{ resource: c1 }] });
    expect(r).toMatchObject({ ok: true, nextUrl: 'http://x/p2' });
  });

  it('a batch entry whose status is a number or unreadable is read like one written as text: not 2xx is a failure', () => {
    const batch = (status: unknown) => readFhirPayload({ resourceType: 'Bundle', type: 'batch-response', entry: [{ response: { status }, resource: warning }] });
    expect(batch(404)).toEqual({ ok: false, problem: 'a Bundle with an entry that failed (HTTP 404)' });
    expect(batch('oops')).toMatchObject({ ok: false });
    expect(batch(200)).toEqual({ ok: true, resources: [], matches: 0 });
    expect(batch('200 OK')).toEqual({ ok: true, resources: [], matches: 0 });
  });

  it('a batch entry answered with a 3xx (a redirect, 304 Not Modified) is a failure too, even with a resource: only 2xx is data', () => {
    const batch = (status: unknown) => readFhirPayload({ resourceType: 'Bundle', type: 'batch-response', entry: [{ response: { status }, resource: c1 }] });
    expect(batch('304 Not Modified')).toEqual({ ok: false, problem: 'a Bundle with an entry that failed (HTTP 304)' });
    expect(batch(302)).toEqual({ ok: false, problem: 'a Bundle with an entry that failed (HTTP 302)' });
    expect(batch('201 Created')).toMatchObject({ ok: true, resources: [c1], matches: 1 });
  });

  it('Observations contained in a DiagnosticReport are listed with unique ids and the report\'s subject and date', () => {
    const report = {
      resourceType: 'DiagnosticReport',
      id: 'dr1',
      status: 'final',
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-10-01T08:00:00Z',
      contained: [
        { resourceType: 'Observation', id: 'a', code: { text: 'x' } },
        { resourceType: 'Observation', id: 'b', effectiveDateTime: '2026-09-30', status: 'amended' },
        { resourceType: 'Specimen', id: 's' },
      ],
    };
    const r = readFhirPayload({ resourceType: 'Bundle', entry: [{ resource: report }, { resource: { resourceType: 'Observation', id: 'dr1-a' } }] });
    if (!r.ok) throw new Error(r.problem);
    const observations = r.resources.filter((x) => x.resourceType === 'Observation') as fhir4.Observation[];
    expect(observations.map((o) => o.id)).toEqual(['dr1-a', 'dr1-a-2', 'dr1-b']);
    expect(observations[1]).toMatchObject({ subject: { reference: 'Patient/p1' }, effectiveDateTime: '2026-10-01T08:00:00Z', status: 'final' });
    expect(observations[2]).toMatchObject({ effectiveDateTime: '2026-09-30', status: 'amended' });
    // A contained result with its own sampling period keeps it: the report's effectiveDateTime is not added beside it.
    const withPeriod = readFhirPayload({ resourceType: 'DiagnosticReport', id: 'dr2', status: 'final', effectiveDateTime: '2026-10-01', contained: [{ resourceType: 'Observation', id: 'p', effectivePeriod: { start: '2026-09-28' } }] });
    const own = withPeriod.ok ? withPeriod.resources.find((x) => x.resourceType === 'Observation') : undefined;
    expect(own).toMatchObject({ effectivePeriod: { start: '2026-09-28' } });
    expect(own).not.toHaveProperty('effectiveDateTime');
    expect(r.matches).toBe(2);
  });

  it('many contained results of one id are numbered in one pass: the ids taken are looked up about once each, not counted up from 2 each time', () => {
    // A caller may send thousands of contained results without ids (or with one): each new one counted up from
    // `-2` through every number given before, 2,000 of them took ~2 million lookups (10,000: seconds). Counted, not timed.
    const n = 2000;
    const report = { resourceType: 'DiagnosticReport', id: 'dr', contained: Array.from({ length: n }, () => ({ resourceType: 'Observation', id: 'o' })) };
    const has = jest.spyOn(Set.prototype, 'has');
    let r: ReturnType<typeof readFhirPayload>;
    let lookups: number;
    try {
      r = readFhirPayload({ resourceType: 'Bundle', entry: [{ resource: report }, { resource: { resourceType: 'Observation', id: 'dr-o-3' } }] });
    } finally {
      lookups = has.mock.calls.length;
      has.mockRestore();
    }
    if (!r.ok) throw new Error(r.problem);
    const ids = r.resources.filter((x) => x.resourceType === 'Observation').map((o) => o.id);
    // The same ids as before: the first free number from 2 on, past an id the Bundle already holds.
    expect(ids.slice(0, 5)).toEqual(['dr-o-3', 'dr-o', 'dr-o-2', 'dr-o-4', 'dr-o-5']);
    expect(new Set(ids).size).toBe(n + 1);
    expect(lookups).toBeLessThan(5 * n);
  });

  it('a report entered in error or cancelled withdraws its contained results, whatever status each has; another report\'s status does not override', () => {
    const report = (status: string) => ({
      resourceType: 'DiagnosticReport',
      id: 'dr1',
      status,
      contained: [{ resourceType: 'Observation', id: 'k', status: 'final' }, { resourceType: 'Observation', id: 'n' }],
    });
    const statuses = (status: string): unknown[] => {
      const r = readFhirPayload(report(status));
      if (!r.ok) throw new Error(r.problem);
      return r.resources.filter((x) => x.resourceType === 'Observation').map((o) => (o as fhir4.Observation).status);
    };
    expect(statuses('entered-in-error')).toEqual(['entered-in-error', 'entered-in-error']);
    expect(statuses('Cancelled')).toEqual(['Cancelled', 'Cancelled']);
    expect(statuses('final')).toEqual(['final', 'final']);
    expect(statuses('preliminary')).toEqual(['final', 'preliminary']);
  });

  it('a withdrawn report withdraws the Observations it lists as results in the same answer too; another report\'s and unlisted ones keep their status', () => {
    const obs = (id: string) => ({ resourceType: 'Observation', id, status: 'final' });
    const report = (status: string, ...ids: string[]) => ({ resourceType: 'DiagnosticReport', id: `dr-${status}`, status, result: ids.map((id) => ({ reference: `Observation/${id}` })) });
    const r = readFhirPayload({
      resourceType: 'Bundle',
      entry: [obs('k1'), obs('k2'), obs('na'), obs('other'), report('entered-in-error', 'k1'), report('cancelled', 'k2'), report('final', 'other')].map((resource) => ({ resource })),
    });
    if (!r.ok) throw new Error(r.problem);
    const status = Object.fromEntries(r.resources.filter((x) => x.resourceType === 'Observation').map((o) => [o.id, (o as fhir4.Observation).status]));
    expect(status).toEqual({ k1: 'entered-in-error', k2: 'cancelled', na: 'final', other: 'final' });
  });

  it('a result listed with its version (relative or absolute `/_history/{v}`) is withdrawn too', () => {
    const obs = (id: string) => ({ resourceType: 'Observation', id, status: 'final' });
    const report = { resourceType: 'DiagnosticReport', id: 'dr', status: 'entered-in-error', result: [{ reference: 'Observation/v1/_history/3' }, { reference: 'https://ehr.example/fhir/Observation/v2/_history/1' }] };
    const r = readFhirPayload({ resourceType: 'Bundle', entry: [obs('v1'), obs('v2'), obs('v3'), report].map((resource) => ({ resource })) });
    if (!r.ok) throw new Error(r.problem);
    const status = Object.fromEntries(r.resources.filter((x) => x.resourceType === 'Observation').map((o) => [o.id, (o as fhir4.Observation).status]));
    expect(status).toEqual({ v1: 'entered-in-error', v2: 'entered-in-error', v3: 'final' });
  });

  describe('a Bundle whose entries are Bundles (a batch-response of searchsets) is read one level deep', () => {
    const searchset = { resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: c1, search: { mode: 'match' } }] };
    const batch = (...entry: unknown[]) => ({ resourceType: 'Bundle', type: 'batch-response', entry });

    it('one search wrapped alone reads as that search, its total and next link included', () => {
      expect(readFhirPayload(batch({ resource: searchset, response: { status: '200 OK' } }))).toEqual(readFhirPayload(searchset));
      const paged = { ...searchset, total: 2, link: [{ relation: 'next', url: 'http://x/fhir/Condition?page=2' }] };
      const r = readFhirPayload(batch({ resource: paged, response: { status: '200' } }));
      expect(r).toEqual({ ok: true, resources: [c1], matches: 1, total: 2, nextUrl: 'http://x/fhir/Condition?page=2' });
      expect(r.ok && isIncomplete(r)).toBe(true);
    });

    it('one search wrapped alone beside a "withheld" outcome is still that search (its next link kept), marked by the outcome', () => {
      const withheld = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'suppressed' }] };
      const paged = { ...searchset, total: 2, link: [{ relation: 'next', url: 'http://x/fhir/Condition?page=2' }] };
      const r = readFhirPayload(batch({ resource: withheld }, { resource: paged, response: { status: '200' } }));
      expect(r).toEqual({ ok: true, resources: [withheld, c1], matches: 1, total: 2, nextUrl: 'http://x/fhir/Condition?page=2' });
    });

    it('a batch-response entry whose own outcome (response.outcome) says results were withheld marks the search too', () => {
      const withheld = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'suppressed' }] };
      expect(readFhirPayload(batch({ resource: searchset, response: { status: '200 OK', outcome: withheld } }))).toEqual({ ok: true, resources: [withheld, c1], matches: 1, total: 1 });
      expect(readFhirPayload(batch({ resource: searchset, response: { status: '200 OK', outcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] } } }))).toEqual(readFhirPayload(searchset));
    });

    it('several complete searches (batch, transaction-response, searchset) are read as all their entries', () => {
      const c2 = { resourceType: 'Condition', id: 'c2' };
      const other = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: c2 }] };
      for (const type of ['batch-response', 'batch', 'transaction-response', 'searchset']) {
        expect(readFhirPayload({ resourceType: 'Bundle', type, entry: [{ resource: searchset }, { resource: other }] })).toEqual({ ok: true, resources: [c1, c2], matches: 2 });
      }
    });

    it('a total that counts the inner Bundles as the outer one\'s matches is complete', () => {
      const c2 = { resourceType: 'Condition', id: 'c2' };
      const other = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: c2 }] };
      expect(readFhirPayload({ ...batch({ resource: searchset }, { resource: other }), total: 2 })).toEqual({ ok: true, resources: [c1, c2], matches: 2 });
      expect(readFhirPayload({ ...batch({ resource: searchset }, { resource: other }), total: 3 }).ok).toBe(false);
    });

    it('Observations contained in a DiagnosticReport of a wrapped search are listed too', () => {
      const report = { resourceType: 'DiagnosticReport', id: 'dr1', contained: [{ resourceType: 'Observation', id: 'a' }] };
      const r = readFhirPayload(batch({ resource: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: report }] } }));
      expect(r.ok && r.resources.map((x) => `${x.resourceType}/${x.id}`)).toEqual(['DiagnosticReport/dr1', 'Observation/dr1-a']);
    });

    it.each([
      ['an entry that failed, its OperationOutcome only information', batch({ resource: information, response: { status: '404 Not Found' } })],
      ['a failed entry beside a good one, even with a warning outcome', batch({ resource: searchset }, { resource: warning, response: { status: '403 Forbidden' } })],
      ['an inner search holding an error OperationOutcome', batch({ resource: { resourceType: 'Bundle', entry: [{ resource: c1 }, { resource: oo }] } })],
      ['an inner search with an entry without a resource', batch({ resource: { resourceType: 'Bundle', entry: [{ fullUrl: 'x' }] } })],
      ['Bundles nested two levels', batch({ resource: batch({ resource: searchset }) })],
      ['several searches, one of them incomplete', batch({ resource: searchset }, { resource: { ...searchset, total: 5 } })],
      ['an outer Bundle of Bundles with a next link', { ...batch({ resource: searchset }), link: [{ relation: 'next', url: 'http://x/p2' }] }],
    ])('%s is not usable (a failed read, never "no results")', (_name, value) => {
      expect(readFhirPayload(value).ok).toBe(false);
    });
  });

  it.each([
    ['an OperationOutcome', oo],
    ['an OperationOutcome of warnings as the whole value', warning],
    ['a Bundle of only error outcomes', { resourceType: 'Bundle', entry: [{ resource: oo, search: { mode: 'outcome' } }] }],
    ['a Bundle with matches and an error OperationOutcome', { resourceType: 'Bundle', entry: [{ resource: c1 }, { resource: oo }] }],
    ['a Bundle with matches and a fatal OperationOutcome', { resourceType: 'Bundle', entry: [{ resource: c1 }, { resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception' }] } }] }],
    ['a Bundle with an OperationOutcome whose issue cannot be read', { resourceType: 'Bundle', entry: [{ resource: c1 }, { resource: { resourceType: 'OperationOutcome', issue: 'it failed' } }] }],
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

describe('listedOnce: pages that overlap list a resource twice', () => {
  const obs = (id: string, extra: Record<string, unknown> = {}): fhir4.Resource => ({ resourceType: 'Observation', id, ...extra }) as fhir4.Resource;

  it('a resource listed twice is read once, in its first place; a Bundle listing one twice gives it once', () => {
    const [a, b] = [obs('a'), obs('b')];
    expect(listedOnce([a, b, obs('a')])).toEqual([a, b]);
    const reading = readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [a, b, a].map((resource) => ({ resource })) });
    expect(reading.ok && reading.resources.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('a report listed twice gives its contained results once', () => {
    const report = { resourceType: 'DiagnosticReport', id: 'r', status: 'final', contained: [{ resourceType: 'Observation', id: 'o', status: 'final' }] };
    const reading = readFhirPayload({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: report }, { resource: report }] });
    expect(reading.ok && reading.resources.map((r) => `${r.resourceType}/${r.id}`)).toEqual(['DiagnosticReport/r', 'Observation/r-o']);
  });

  it('of two versions, the one updated last is kept; without meta.lastUpdated, the one listed last', () => {
    const older = obs('a', { status: 'preliminary', meta: { lastUpdated: '2026-11-01T10:00:00Z' } });
    const newer = obs('a', { status: 'final', meta: { lastUpdated: '2026-11-02T10:00:00Z' } });
    expect(listedOnce([newer, obs('b'), older])).toEqual([newer, obs('b')]);
    expect(listedOnce([older, obs('b'), newer])).toEqual([newer, obs('b')]);
    expect(listedOnce([obs('a', { status: 'preliminary' }), obs('a', { status: 'final' })])).toEqual([obs('a', { status: 'final' })]);
  });

  it('of two versions updated at the same time, the one listed last is kept (read later), in the place of the first', () => {
    const at = { meta: { lastUpdated: '2026-11-01T10:00:00Z' } };
    const first = obs('a', { status: 'preliminary', ...at });
    const last = obs('a', { status: 'final', ...at });
    expect(listedOnce([first, obs('b'), last])).toEqual([last, obs('b')]);
    expect(listedOnce([last, obs('b'), first])).toEqual([first, obs('b')]);
  });

  it('different resources are all kept: another type with the same id, resources without an id', () => {
    const condition = { resourceType: 'Condition', id: 'a' } as fhir4.Resource;
    const noId = { resourceType: 'Observation' } as fhir4.Resource;
    expect(listedOnce([obs('a'), condition, noId, noId, obs('a'), condition])).toEqual([obs('a'), condition, noId, noId]);
  });
});

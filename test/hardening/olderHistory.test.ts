/**
 * Only what is current speaks (docs/clinical-rules.md §3.1–§3.3, §4): every sample body
 * (test/support/sampleBodies.ts) gets the same cards when the record is given an older history that the rules
 * must not read —
 * - beside every counting result, the same test a day earlier, flagged critically high (`HH`): only the latest
 *   result of an analyte is judged, and an older one is never listed, flagged or counted for the screening;
 * - beside every drug order and every entry of the shared medication record, the same drug as a course that
 *   ended three years ago (`completed`): only what is taken now, or ended within OPIOID_RECENTLY_ENDED_DAYS,
 *   is read.
 * Results that cannot stand for their test in an older copy are not copied: a result without a number, with
 * components or with several codings (the copy would be a test of its own), one a withdrawn report lists (its
 * copy, listed by none, would count in its place), one that does not count (preliminary, no date).
 */
import { isObject as isJson } from '../../src/model/json.js';
import { answerOf, SAMPLE_BODIES } from '../support/sampleBodies.js';
import { buildTestApp, FIXED_NOW } from '../support/testApp.js';

type Json = Record<string, unknown>;
const DAY = 24 * 60 * 60 * 1000;
const COUNTING = new Set(['final', 'amended', 'corrected']);
const HH = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'HH' }] }];
const yearsAgo = (years: number): string => new Date(FIXED_NOW - years * 365 * DAY).toISOString().slice(0, 10);

/** `Observation/id` of every result a withdrawn (entered-in-error, cancelled) report lists. */
function withdrawnResults(resources: Json[]): Set<string> {
  return new Set(
    resources
      .filter((r) => r.resourceType === 'DiagnosticReport' && (r.status === 'entered-in-error' || r.status === 'cancelled'))
      .flatMap((r) => (Array.isArray(r.result) ? r.result : []).flatMap((ref) => (isJson(ref) && typeof ref.reference === 'string' ? [ref.reference] : []))),
  );
}

/** The same test a day earlier, flagged critically high; null for a result that cannot stand for its test. */
function olderFlagged(r: Json, withdrawn: Set<string>): Json | null {
  const coding = isJson(r.code) && Array.isArray(r.code.coding) ? r.code.coding : [];
  const at = typeof r.effectiveDateTime === 'string' ? Date.parse(r.effectiveDateTime) : NaN;
  const value = isJson(r.valueQuantity) ? r.valueQuantity.value : undefined;
  if (!COUNTING.has(String(r.status)) || coding.length !== 1 || r.component !== undefined || Number.isNaN(at) || typeof value !== 'number' || withdrawn.has(`Observation/${String(r.id)}`)) return null;
  const { effectivePeriod: _period, effectiveInstant: _instant, issued: _issued, ...rest } = r;
  return { ...rest, id: `older-${String(r.id)}`, effectiveDateTime: new Date(at - DAY).toISOString(), interpretation: HH };
}

/** The same drug as a course that ended three years ago. */
function endedLongAgo(r: Json): Json | null {
  const { dosageInstruction: _dosage, dosage: _statementDosage, effectiveDateTime: _at, effectivePeriod: _period, ...rest } = r;
  const copy = { ...rest, id: `ended-${String(r.id)}`, status: 'completed' };
  if (r.resourceType === 'MedicationRequest') {
    return { ...copy, authoredOn: yearsAgo(4), dosageInstruction: [{ timing: { repeat: { boundsPeriod: { start: yearsAgo(4), end: yearsAgo(3) }, frequency: 1, period: 1, periodUnit: 'd' } } }] };
  }
  if (r.resourceType === 'MedicationStatement') return { ...copy, effectivePeriod: { start: yearsAgo(4), end: yearsAgo(3) } };
  return null;
}

/** The body with an older history beside its record. */
function withOlderHistory(body: Json): Json {
  const prefetch = isJson(body.prefetch) ? body.prefetch : {};
  const out = Object.fromEntries(
    Object.entries(prefetch).map(([key, value]) => {
      if (!isJson(value) || value.resourceType !== 'Bundle' || !Array.isArray(value.entry)) return [key, value];
      const resources = value.entry.flatMap((e) => (isJson(e) && isJson(e.resource) ? [e.resource] : []));
      const withdrawn = withdrawnResults(resources);
      const extra = resources.flatMap((r) => {
        const copy = r.resourceType === 'Observation' ? olderFlagged(r, withdrawn) : endedLongAgo(r);
        return copy ? [{ resource: copy }] : [];
      });
      return [key, { ...value, entry: [...value.entry, ...extra], ...(typeof value.total === 'number' ? { total: value.total + extra.length } : {}) }];
    }),
  );
  return { ...body, prefetch: out };
}

/** One app for every call: no answer is sent, so nothing it stores changes a card. */
const { app } = buildTestApp();

const answer = (body: Json): Promise<string[]> => answerOf(app, body);

/** How many results and drugs the history adds, over all bodies: the test must have something to hold. */
const added = SAMPLE_BODIES.map(([, body]) => {
  const entries = (b: Json): unknown[] => Object.values(isJson(b.prefetch) ? b.prefetch : {}).flatMap((v) => (isJson(v) && Array.isArray(v.entry) ? v.entry : []));
  return entries(withOlderHistory(body)).length - entries(body).length;
});

describe('an older history beside the record changes no card', () => {
  test('the history adds results and drugs to most bodies', () => {
    expect(added.filter((n) => n > 0).length).toBeGreaterThan(SAMPLE_BODIES.length / 2);
  });

  test.each(SAMPLE_BODIES)('%s', async (_name, body) => {
    expect(await answer(withOlderHistory(body))).toEqual(await answer(body));
  });
});

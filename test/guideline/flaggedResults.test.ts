import { assessFlaggedResults } from '../../src/guideline/flaggedResults.js';
import type { GroupAssessment } from '../../src/guideline/screeningPanel.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';

const panel = loadScreeningPanelCodes();
const tsh = panel.groups.find((g) => g.id === 'tsh')!;

function done(o: Partial<fhir4.Observation>): GroupAssessment[] {
  return [{ group: tsh, status: 'done', result: { resourceType: 'Observation', status: 'final', code: { text: 'TSH' }, ...o } }];
}
const interp = (code: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code }] }];
const range = (low?: number, high?: number): fhir4.ObservationReferenceRange[] => [
  { ...(low !== undefined ? { low: { value: low, unit: 'mIU/L' } } : {}), ...(high !== undefined ? { high: { value: high, unit: 'mIU/L' } } : {}) },
];
const q = (value: number, comparator?: fhir4.Quantity['comparator']): fhir4.Quantity => ({ value, unit: 'mIU/L', ...(comparator ? { comparator } : {}) });

describe('flagged results', () => {
  test.each([
    ['H', 'high'],
    ['HH', 'high'],
    ['HU', 'high'],
    ['L', 'low'],
    ['LL', 'low'],
    ['LU', 'low'],
    ['A', 'abnormal'],
    ['AA', 'abnormal'],
  ])('interpretation %s → flagged %s', (code, direction) => {
    expect(assessFlaggedResults(done({ valueQuantity: q(1), interpretation: interp(code) })).flagged[0]).toMatchObject({ direction, basis: 'interpretation' });
  });
  test('interpretation N wins over an out-of-range value: the lab\'s own word counts', () => {
    const r = assessFlaggedResults(done({ valueQuantity: q(9), interpretation: interp('N'), referenceRange: range(0.3, 4) }));
    expect(r.flagged).toHaveLength(0);
    expect(r.notAssessable).toHaveLength(0);
  });
  test('no interpretation: the lab\'s range decides', () => {
    expect(assessFlaggedResults(done({ valueQuantity: q(9), referenceRange: range(0.3, 4) })).flagged[0]).toMatchObject({ direction: 'high', basis: 'reference-range' });
    expect(assessFlaggedResults(done({ valueQuantity: q(0.1), referenceRange: range(0.3, 4) })).flagged[0]).toMatchObject({ direction: 'low' });
    expect(assessFlaggedResults(done({ valueQuantity: q(2), referenceRange: range(0.3, 4) })).flagged).toHaveLength(0);
    expect(assessFlaggedResults(done({ valueQuantity: q(4), referenceRange: range(0.3, 4) })).flagged).toHaveLength(0);
  });
  test('comparators: "<0.1" is below a low limit of 0.3; "<5" says nothing about a high limit of 4', () => {
    expect(assessFlaggedResults(done({ valueQuantity: q(0.1, '<'), referenceRange: range(0.3, 4) })).flagged[0]).toMatchObject({ direction: 'low' });
    const r = assessFlaggedResults(done({ valueQuantity: q(5, '<'), referenceRange: range(0.3, 4) }));
    expect(r.flagged).toHaveLength(0);
    expect(r.notAssessable).toHaveLength(1);
    expect(assessFlaggedResults(done({ valueQuantity: q(4, '>'), referenceRange: range(0.3, 4) })).flagged[0]).toMatchObject({ direction: 'high' });
  });
  test('neither flag nor range → not assessable (never a range of our own)', () => {
    const r = assessFlaggedResults(done({ valueQuantity: q(99) }));
    expect(r.flagged).toHaveLength(0);
    expect(r.notAssessable).toHaveLength(1);
  });
  test('a range in another unit is not used', () => {
    const r = assessFlaggedResults(done({ valueQuantity: { value: 9, unit: 'mU/L' }, referenceRange: range(0.3, 4) }));
    expect(r.notAssessable).toHaveLength(1);
  });
  test('groups not done are not assessed', () => {
    expect(assessFlaggedResults([{ group: tsh, status: 'missing' }])).toEqual({ flagged: [], notAssessable: [] });
  });
});

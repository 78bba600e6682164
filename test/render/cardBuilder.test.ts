import { buildCard, CardInvariantError, fitSummary, type CardInput } from '../../src/render/cardBuilder.js';
import { expectValidResponse } from '../support/testApp.js';

const base: CardInput = {
  kind: 'screening-incomplete',
  kindDisplay: 'Biochemical screening incomplete',
  summary: 'A summary',
  indicator: 'info',
  sourceLabel: 'Danish Health Authority',
  sourceUrl: 'https://www.sst.dk/',
};
const create = { type: 'create' as const, description: 'Order TSH', resource: { resourceType: 'ServiceRequest' } as fhir4.Resource };

describe('card builder invariants', () => {
  test('uuid on card and suggestions, source with label, url and topic, valid against the schema', () => {
    const card = buildCard({ ...base, suggestions: [{ label: 'Order', actions: [create] }] });
    expect(card.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.suggestions?.[0]?.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.uuid).not.toBe(buildCard(base).uuid);
    expect(card.source).toEqual({
      label: 'Danish Health Authority',
      url: 'https://www.sst.dk/',
      topic: { system: 'urn:nkr-pain-cds:card-kind', code: 'screening-incomplete', display: 'Biochemical screening incomplete' },
    });
    expect(card.selectionBehavior).toBe('at-most-one');
    expectValidResponse({ cards: [card] });
  });
  test('summary: 139 code points kept, longer shortened with an ellipsis; æøå count as one', () => {
    const danish = 'æøå'.repeat(46) + 'x'; // 139 code points
    expect(buildCard({ ...base, summary: danish }).summary).toBe(danish);
    const long = 'word '.repeat(40);
    const s = fitSummary(long);
    expect(Array.from(s).length).toBeLessThanOrEqual(139);
    expect(s.endsWith('…')).toBe(true);
  });
  test('no empty optional fields', () => {
    const card = buildCard({ ...base, detail: '  ', suggestions: [], overrideReasons: [], links: [] });
    expect(Object.keys(card).sort()).toEqual(['indicator', 'source', 'summary', 'uuid']);
  });
  test('a delete or update suggestion is never marked recommended; a create may be', () => {
    const del = { type: 'delete' as const, description: 'Remove', resourceId: 'MedicationRequest/request-123' };
    expect(buildCard({ ...base, suggestions: [{ label: 'Remove', isRecommended: true, actions: [del] }] }).suggestions?.[0]?.isRecommended).toBeUndefined();
    expect(buildCard({ ...base, suggestions: [{ label: 'Order', isRecommended: true, actions: [create] }] }).suggestions?.[0]?.isRecommended).toBe(true);
  });
  test.each([
    ['relative source url', { ...base, sourceUrl: '/guideline' }],
    ['empty summary', { ...base, summary: ' ' }],
    ['override reason without display', { ...base, overrideReasons: [{ system: 's', code: 'c' }] }],
    ['delete without a relative resourceId', { ...base, suggestions: [{ label: 'x', actions: [{ type: 'delete' as const, description: 'd', resourceId: 'http://x/y' }] }] }],
    ['action without description', { ...base, suggestions: [{ label: 'x', actions: [{ ...create, description: '' }] }] }],
    ['suggestion without actions', { ...base, suggestions: [{ label: 'x', actions: [] }] }],
  ])('refuses %s', (_name, input) => {
    expect(() => buildCard(input as CardInput)).toThrow(CardInvariantError);
  });
});

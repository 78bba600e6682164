import { buildCard, CardInvariantError, fitSummary, type CardFrame, type CardInput } from '../../src/render/cardBuilder.js';
import request from 'supertest';
import { buildTestApp, expectValidResponse, patientViewRequest, searchset } from '../support/testApp.js';
import { loadCardTexts } from '../../src/render/cardTexts.js';
import { everyCardKind, kindsOf } from '../support/everyCardKind.js';

const frame: CardFrame = {
  kind: 'screening-incomplete',
  kindDisplay: 'Biochemical screening incomplete',
  sourceLabel: 'Danish Health Authority',
  sourceUrl: 'https://www.sst.dk/',
  guidelineStatus: 'Status: NKR 2018 – no longer current.',
};
const base: CardInput = { frame, summary: 'A summary', indicator: 'info' };
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
    const card = buildCard({ ...base, frame: { ...frame, links: [] }, detail: '  ', suggestions: [], overrideReasons: [] });
    expect(Object.keys(card).sort()).toEqual(['detail', 'indicator', 'source', 'summary', 'uuid']);
    expect(card.detail).toBe('Status: NKR 2018 – no longer current.');
  });
  test('a delete or update suggestion is never marked recommended; a create may be', () => {
    const del = { type: 'delete' as const, description: 'Remove', resourceId: 'MedicationRequest/request-123' };
    expect(buildCard({ ...base, suggestions: [{ label: 'Remove', isRecommended: true, actions: [del] }] }).suggestions?.[0]?.isRecommended).toBeUndefined();
    expect(buildCard({ ...base, suggestions: [{ label: 'Order', isRecommended: true, actions: [create] }] }).suggestions?.[0]?.isRecommended).toBe(true);
  });
  test.each([
    ['relative source url', { ...base, frame: { ...frame, sourceUrl: '/guideline' } }],
    ['relative link', { ...base, frame: { ...frame, links: [{ label: 'l', url: '/guideline', type: 'absolute' as const }] } }],
    ['empty summary', { ...base, summary: ' ' }],
    ['override reason without display', { ...base, overrideReasons: [{ system: 's', code: 'c' }] }],
    ['delete without a relative resourceId', { ...base, suggestions: [{ label: 'x', actions: [{ type: 'delete' as const, description: 'd', resourceId: 'http://x/y' }] }] }],
    ['action without description', { ...base, suggestions: [{ label: 'x', actions: [{ ...create, description: '' }] }] }],
    ['suggestion without actions', { ...base, suggestions: [{ label: 'x', actions: [] }] }],
  ])('refuses %s', (_name, input) => {
    expect(() => buildCard(input as CardInput)).toThrow(CardInvariantError);
  });
});

describe('every card ends with the guideline status line (docs/clinical-rules.md §5)', () => {
  const STATUS_DA =
    'Status: NKR 2018 – af Sundhedsstyrelsen kategoriseret som ikke gældende (litteratursøgningen vurderet som forældet i 2023); anbefalingerne kan fortsat være relevante og er faglig rådgivning, ikke juridisk bindende.';
  const STATUS_EN =
    'Status: NKR 2018 – classified by the Danish Health Authority as no longer current (literature search assessed as outdated in 2023); its recommendations may still be relevant and are professional advice, not legally binding.';
  const GUIDELINE_PAGE = 'https://sundhedsstyrelsen.dk/da/udgivelser/2018/NKR-Udredning-og-behandling-af-patienter-med-generaliserede-smerter-i-bevaegeapparatet';

  test('the builder appends it after the detail', () => {
    expect(buildCard({ ...base, detail: 'Body.' }).detail).toBe('Body.\n\nStatus: NKR 2018 – no longer current.');
    expect(() => buildCard({ ...base, frame: { ...frame, guidelineStatus: ' ' } })).toThrow(CardInvariantError);
  });

  /** Every card kind the service makes, from three requests. */
  async function allCards(lang: string, env: Record<string, string> = {}) {
    const { app } = buildTestApp({ env: { ALL_PATIENTS_IN_SCOPE: 'true', ...env } });
    const cards: Array<Record<string, any>> = [];
    for (const fixture of ['gsb-workup-missing', 'gsb-complete-flagged']) {
      const res = await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', lang).send(patientViewRequest(fixture));
      cards.push(...expectValidResponse(res.body).cards);
    }
    const established = patientViewRequest('gsb-established-complete') as { prefetch: Record<string, any> };
    established.prefetch.medications = searchset([
      { resourceType: 'MedicationRequest', id: 'm1', status: 'active', intent: 'order', subject: { reference: 'Patient/gsb-established-complete' }, medicationCodeableConcept: { text: 'Lyrica', coding: [{ system: 'http://www.whocc.no/atc', code: 'N02BF02' }] } } as fhir4.MedicationRequest,
    ]);
    cards.push(...expectValidResponse((await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', lang).send(established)).body).cards);
    const entry = [['N02AA05', 'Oxynorm'], ['N02AX02', 'Nobligan'], ['N06AX21', 'Cymbalta']].map(([code, text], i) => ({
      resource: { resourceType: 'MedicationRequest', id: `o${i}`, status: 'draft', intent: 'order', subject: { reference: 'Patient/p1' }, medicationCodeableConcept: { text, coding: [{ system: 'http://www.whocc.no/atc', code }] } },
    }));
    const sign = await request(app)
      .post('/cds-services/nkr-pain-order-sign')
      .set('Accept-Language', lang)
      .send({ hook: 'order-sign', hookInstance: 'h', context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry } }, prefetch: { conditions: null, medications: null } });
    cards.push(...expectValidResponse(sign.body).cards);
    return cards;
  }

  test.each([
    ['da', STATUS_DA, 'Sundhedsstyrelsen – NKR 2018'],
    ['en', STATUS_EN, 'Danish Health Authority – NKR 2018'],
  ])('every card kind (%s): detail ends with the status line, source says NKR 2018 and links to the guideline page', async (lang, status, label) => {
    const cards = await allCards(lang);
    expect(new Set(cards.map((c) => c.source.topic.code))).toEqual(
      new Set(['screening-incomplete', 'screening-abnormal', 'non-pharmacological-treatment', 'current-medication', 'opioid-without-dual-action', 'tramadol', 'duloxetine']),
    );
    for (const card of cards) {
      expect(card.detail.endsWith(`\n\n${status}`)).toBe(true);
      expect(card.source.label.startsWith(label)).toBe(true);
      expect(card.source.url).toBe(GUIDELINE_PAGE);
    }
  });
  test('GUIDELINE_STATUS_DA / _EN replace the line', async () => {
    const da = await allCards('da', { GUIDELINE_STATUS_DA: 'Status: revideret 2027.', GUIDELINE_STATUS_EN: 'Status: revised 2027.' });
    expect(da.every((c) => c.detail.endsWith('\n\nStatus: revideret 2027.'))).toBe(true);
    const en = await allCards('en', { GUIDELINE_STATUS_EN: 'Status: revised 2027.' });
    expect(en.every((c) => c.detail.endsWith('\n\nStatus: revised 2027.'))).toBe(true);
  });
});

describe('all thirteen card kinds through HTTP, at the hard end of each summary (docs/clinical-rules.md §4, §5)', () => {
  const STATUS = {
    da: 'Status: NKR 2018 – af Sundhedsstyrelsen kategoriseret som ikke gældende (litteratursøgningen vurderet som forældet i 2023); anbefalingerne kan fortsat være relevante og er faglig rådgivning, ikke juridisk bindende.',
    en: 'Status: NKR 2018 – classified by the Danish Health Authority as no longer current (literature search assessed as outdated in 2023); its recommendations may still be relevant and are professional advice, not legally binding.',
  };
  const GUIDELINE_PAGE = 'https://sundhedsstyrelsen.dk/da/udgivelser/2018/NKR-Udredning-og-behandling-af-patienter-med-generaliserede-smerter-i-bevaegeapparatet';
  test.each(['da', 'en'] as const)('%s: summary < 140 code points and plain text; detail ends with the status line; source "NKR 2018" and the guideline page', async (lang) => {
    const cards = await everyCardKind(lang);
    expect(kindsOf(cards)).toEqual(loadCardTexts().cardKinds().sort());
    expect(kindsOf(cards)).toHaveLength(13);
    for (const card of cards) {
      const summary = card.summary as string;
      expect([card.source.topic.code, Array.from(summary).length < 140]).toEqual([card.source.topic.code, true]);
      // Plain text: no Markdown escapes or emphasis; a long drug name is what gets cut, so the message stays whole.
      expect(summary).not.toMatch(/\\|\*\*/);
      expect(card.detail.endsWith(`\n\n${STATUS[lang]}`)).toBe(true);
      expect(card.source.label).toContain('NKR 2018');
      expect(card.source.url).toBe(GUIDELINE_PAGE);
      expect(card.links[0].url).toBe(GUIDELINE_PAGE);
    }
    const drugSummaries = cards.filter((c) => !['screening-incomplete', 'screening-abnormal', 'non-pharmacological-treatment'].includes(c.source.topic.code));
    // Each drug summary keeps its message whole; a product name too long for it gives way to the drug's
    // ingredients, whole (never a name cut off mid-word); the detail names the product as typed.
    for (const c of drugSummaries) expect([c.source.topic.code, c.summary.endsWith('…'), /: \p{Ll}/u.test(c.summary)]).toEqual([c.source.topic.code, false, true]);
    // Medication cards say what they do not check (docs/clinical-rules.md §4), on every drug kind and current medication.
    const notChecked = lang === 'da' ? 'Ikke et tjek af interaktioner, kontraindikationer, graviditet/amning, nyrefunktion eller dosis' : 'Not a check of interactions, contraindications, pregnancy/breastfeeding, kidney function or dose';
    expect(drugSummaries).toHaveLength(10);
    for (const c of drugSummaries) expect([c.source.topic.code, c.detail.includes(notChecked)]).toEqual([c.source.topic.code, true]);
    const opioid = cards.find((c) => c.source.topic.code === 'opioid-without-dual-action')!;
    expect(opioid.summary.endsWith(lang === 'da' ? ': oxycodon' : ': oxycodone')).toBe(true);
    expect(opioid.detail).toContain('OxyContin');
  }, 60_000);
  // docs/clinical-rules.md §1: every card names the recommendation it rests on and its strength label.
  test.each(['da', 'en'] as const)('%s: every card kind names the recommendation\'s strength (cards/common.yaml), or says it has none, above the status line', async (lang) => {
    const texts = loadCardTexts();
    const labels = [
      // A recommendation line leads with the label, capitalised ("**Svag anbefaling MOD:** …", "**Good practice:** …");
      // the non-drug and current-medication cards give it in brackets after each item ("(Stærk anbefaling)").
      ...['strong-for', 'weak-for', 'weak-against', 'good-practice'].map((s) => texts.get('common', lang, `strength.${s}`)).flatMap((l) => [`**${l.charAt(0).toUpperCase()}${l.slice(1)}`, `(${l}`]),
      texts.get('medication', lang, 'noRecommendationLine').replace('{text}', '').trim(),
    ];
    const cards = await everyCardKind(lang);
    const withoutLabel = cards.filter((c) => !labels.some((l) => c.detail.slice(0, -STATUS[lang].length).includes(l))).map((c) => c.source.topic.code);
    expect(withoutLabel).toEqual([]);
  }, 60_000);
});

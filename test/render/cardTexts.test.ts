import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { schemaValidator } from '../../src/jsonSchemas.js';
import { projectPath } from '../../src/projectRoot.js';
import { CardTextError, CardTexts, escapeMarkdown, loadCardTexts } from '../../src/render/cardTexts.js';
import { loadDrugKinds } from '../../src/terminology/drugKinds.js';
import { useTempDirs } from '../support/tempDirs.js';
import { buildTestApp, expectValidResponse, patientViewRequest, readJson } from '../support/testApp.js';

const tempDir = useTempDirs();

const md = new MarkdownIt({ html: false });
const texts = loadCardTexts();

/** Words of the English texts that never occur in the Danish ones: none may appear on a Danish card. */
function englishOnlyWords(): Set<string> {
  const words = (lang: 'da' | 'en') => {
    const out = new Set<string>();
    for (const kind of texts.kinds()) {
      const file = texts.meta(kind);
      const values = Object.values(file[lang]).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v)));
      for (const v of values) for (const w of v.replace(/\{[a-zA-Z]+\}/g, '').toLowerCase().match(/\p{L}{3,}/gu) ?? []) out.add(w);
    }
    return out;
  };
  const da = words('da');
  return new Set([...words('en')].filter((w) => !da.has(w)));
}

const FIXTURES = ['gsb-workup-missing', 'gsb-workup-partial-npu', 'gsb-complete-flagged', 'gsb-established-complete'];

async function cardsFor(fixture: string, lang: string) {
  const { app } = buildTestApp();
  const res = await request(app).post('/cds-services/nkr-pain-patient-view').set('Accept-Language', lang).send(patientViewRequest(fixture));
  return expectValidResponse(res.body).cards;
}

describe('card texts (cards/*.yaml)', () => {
  test('every file loads, matches its schema, and has the same keys and placeholders in Danish and English', () => {
    const files = readdirSync(projectPath('cards')).filter((n) => n.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(10);
    const validate = schemaValidator('card-texts'); // the production validator
    const flat = (t: Record<string, unknown>): Map<string, string> =>
      new Map(Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : Object.entries(v as Record<string, string>).map(([k2, v2]) => [`${k}.${k2}`, v2]))));
    const placeholders = (v: string): string => [...v.matchAll(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g)].map((m) => m[1]).sort().join();
    for (const name of files) {
      const data = parseYaml(readFileSync(projectPath('cards', name), 'utf8')) as { kind: string; da: Record<string, unknown>; en: Record<string, unknown> };
      expect({ name, valid: validate(data) }).toEqual({ name, valid: true });
      expect(`${data.kind}.yaml`).toBe(name);
      expect(texts.kinds()).toContain(data.kind); // the production loader took it
      const da = flat(data.da);
      const en = flat(data.en);
      expect({ name, keys: [...da.keys()].sort() }).toEqual({ name, keys: [...en.keys()].sort() });
      for (const [key, text] of da) expect({ name, key, placeholders: placeholders(text) }).toEqual({ name, key, placeholders: placeholders(en.get(key) ?? '') });
    }
  });
  test('a Danish key without English, or different placeholders, is refused at start', () => {
    expect(() => new CardTexts([{ kind: 'x', da: { a: 'tekst' }, en: {} }])).toThrow(CardTextError);
    expect(() => new CardTexts([{ kind: 'x', da: { a: 'mangler {missing}' }, en: { a: 'lacks {absent}' } }])).toThrow(/placeholders/);
    const dir = tempDir('cards-');
    writeFileSync(join(dir, 'bad.yaml'), 'kind: bad\nda: {}\n');
    expect(() => loadCardTexts(dir)).toThrow(/schema/);
  });
  test('a missing placeholder value is an error, never a visible {name}', () => {
    expect(() => texts.fill('screening-incomplete', 'en', 'summary', {})).toThrow(/no value for \{missing\}/);
  });
  test('values from data are Markdown-escaped', () => {
    expect(escapeMarkdown('*bold* [link](x) <b>')).toBe('\\*bold\\* \\[link\\](x) \\<b\\>');
  });
  test('values from data stay on one line: every line break (a lone CR too) becomes a space', () => {
    for (const br of ['\n', '\r\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029']) expect(escapeMarkdown(`a${br}# b`)).toBe('a # b');
    expect(escapeMarkdown('a\r\r1. b')).toBe('a  1. b');
  });
  test('values from data never become links: scheme://, //host, www. and e-mail addresses are broken by an escape', () => {
    expect(escapeMarkdown('see http://evil.example/x')).toBe('see http\\:\\//evil.example/x');
    expect(escapeMarkdown('//evil.example')).toBe('\\//evil.example');
    expect(escapeMarkdown('WWW.evil.com')).toBe('WWW\\.evil.com');
    expect(escapeMarkdown('a@evil.com')).toBe('a\\@evil.com');
    expect(escapeMarkdown('&lt;b&gt;')).toBe('\\&lt;b\\&gt;');
    // What needs none of it is returned as it is.
    for (const plain of ['oxycodone 5 mg/ml', '5.2', '12:00', 'i.v.', '-0,5 mmol/L']) expect(escapeMarkdown(plain)).toBe(plain);
  });

  test.each(FIXTURES)('Danish cards for %s contain no English-only words', async (fixture) => {
    const english = englishOnlyWords();
    expect(english.has('guideline')).toBe(true); // the check itself can fail
    const cards = await cardsFor(fixture, 'da');
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) {
      const shown = [card.summary, card.detail, card.source.label, card.source.topic.display, ...(card.suggestions ?? []).flatMap((s: any) => [s.label, ...s.actions.map((a: any) => a.description)])]
        .join(' ')
        .toLowerCase();
      const found = (shown.match(/\p{L}{3,}/gu) ?? []).filter((w) => english.has(w));
      expect({ kind: card.source.topic.code, englishWords: found }).toEqual({ kind: card.source.topic.code, englishWords: [] });
    }
  });

  test.each(FIXTURES.flatMap((f) => [[f, 'da'], [f, 'en']]))('the detail Markdown of %s (%s) renders as intended', async (fixture, lang) => {
    for (const card of await cardsFor(fixture, lang)) {
      const html = md.render(card.detail);
      // Paragraphs stay paragraphs, lists stay lists, nothing leaks as raw syntax.
      expect(html).toMatch(/<p>/);
      if (card.detail.includes('\n- ')) {
        expect(html).toMatch(/<ul>\n<li>/);
        expect(html).not.toMatch(/<p>[^<]*\n- /);
      }
      expect(html).not.toMatch(/\{[a-zA-Z]+\}/);
      expect(html).not.toMatch(/\\[()]/);
      expect(card.detail).not.toMatch(/<[a-z]/i);
      expect(md.renderInline(card.summary)).not.toMatch(/<(em|strong|a|code)/);
    }
  });
});

describe('the drug cards\' recommendation (docs/clinical-rules.md §5: quotes from the guideline are marked)', () => {
  const kinds = loadDrugKinds();
  const recommendation = (kind: string) => texts.get(kind, 'da', 'recommendation');
  test.each(kinds.entries.map((e) => [e.kind, e.strength] as const))('%s (%s)', (kind, strength) => {
    // A kind the guideline recommends on carries its sentence word for word, in »…«; one without a
    // recommendation says so in the service's own words, which must not look like a quote.
    if (strength === 'none') expect(recommendation(kind)).not.toMatch(/[»«]/);
    else expect(recommendation(kind)).toMatch(/^»[^»«]+«$/);
  });
});

describe('medication cards in Danish', () => {
  const ATC = 'http://www.whocc.no/atc';
  const orders: Array<[string, string, fhir4.Dosage[]?]> = [
    ['N02AA05', 'Oxynorm'],
    ['N02AX02', 'Nobligan'],
    ['N02AX06', 'Palexia'],
    ['N06AB06', 'Zoloft'],
    ['N06AA09', 'Saroten', [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd', when: ['MORN', 'NOON'] } } }]],
    ['N06AA10', 'Noritren'],
    ['N06AX21', 'Cymbalta'],
    ['N06AX16', 'Efexor'],
    ['N02BF02', 'Lyrica'],
    ['N02AA55', 'Targin'],
  ];
  test('every medication card kind: no English-only words, Markdown renders as intended', async () => {
    const english = englishOnlyWords();
    const { app } = buildTestApp({ env: { ALL_PATIENTS_IN_SCOPE: 'true' } });
    const entry = orders.map(([code, name, dosage], i) => ({
      resource: {
        resourceType: 'MedicationRequest',
        id: `o${i}`,
        status: 'draft',
        intent: 'order',
        subject: { reference: 'Patient/p1' },
        medicationCodeableConcept: { text: name, coding: [{ system: ATC, code }] },
        ...(dosage ? { dosageInstruction: dosage } : {}),
      },
    }));
    const res = await request(app)
      .post('/cds-services/nkr-pain-order-sign')
      .set('Accept-Language', 'da')
      .send({ hook: 'order-sign', hookInstance: 'h', context: { patientId: 'p1', userId: 'Practitioner/x', draftOrders: { resourceType: 'Bundle', entry } }, prefetch: { conditions: null, medications: null } });
    const cards = expectValidResponse(res.body).cards;
    expect(new Set(cards.map((c) => c.source.topic.code))).toEqual(
      new Set(['opioid-without-dual-action', 'tramadol', 'tapentadol', 'ssri', 'amitriptyline', 'other-tca', 'duloxetine', 'venlafaxine', 'gabapentinoid']),
    );
    for (const card of cards) {
      const shown = [card.summary, card.detail, ...(card.overrideReasons ?? []).map((r: any) => r.display), ...(card.suggestions ?? []).flatMap((s: any) => [s.label, ...s.actions.map((a: any) => a.description)])]
        .join(' ')
        .toLowerCase();
      const found = (shown.match(/\p{L}{3,}/gu) ?? []).filter((w) => english.has(w));
      expect({ kind: card.source.topic.code, englishWords: found }).toEqual({ kind: card.source.topic.code, englishWords: [] });
      const html = md.render(card.detail);
      if (card.detail.includes('\n- ')) expect(html).toMatch(/<ul>\n<li>/);
      expect(html).not.toMatch(/\{[a-zA-Z]+\}/);
    }
  });
});

describe('a drug name from the EHR shows as typed, on one line, in the card detail (through the HTTP API)', () => {
  // GFM linkifies www. and e-mail addresses; markdown-it's fuzzy links stand in for that here.
  const gfm = new MarkdownIt({ html: false, linkify: true });
  gfm.linkify.set({ fuzzyLink: true, fuzzyEmail: true });
  const typed = 'oxycodone\r\r## Strong recommendation FOR opioids\r\r1. Double the dose\r\r---\rwww.evil.com\u2028> quoted\u2029- listed http://evil.example/x //evil.example mail@evil.com &lt;b&gt;';

  test('order-select with Markdown and a lone CR in medicationCodeableConcept.text: no heading, list, rule, quote or link', async () => {
    const body = readJson<Record<string, any>>(projectPath('fixtures', 'requests', 'order-select-oxycodone.json'));
    body.context.draftOrders.entry[0].resource.medicationCodeableConcept.text = typed;
    const { app } = buildTestApp();
    const res = await request(app).post('/cds-services/nkr-pain-order-select').send(body);
    expect(res.status).toBe(200);
    const card = expectValidResponse(res.body).cards.find((c) => c.source.topic.code === 'opioid-without-dual-action');
    expect(card).toBeDefined();
    const detail: string = card?.detail;
    expect(detail).not.toMatch(/[\r\v\f\u0085\u2028\u2029]/);
    const html = gfm.render(detail);
    expect(html).not.toMatch(/<(h[1-6]|ol|ul|li|hr|blockquote|a)\b/);
    // The order line is one paragraph holding the name as typed, each line break a space.
    const shown = typed.replace(/\r|\u2028|\u2029/g, ' ');
    const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(html).toContain(`<p><strong>Order (draft):</strong> ${escapeHtml(shown)}</p>`);
  });
});

describe('fillCounted', () => {
  test('one thing: the <key>One variant; more, or a key without one: <key> with {count}', () => {
    expect(texts.fillCounted('common', 'en', 'undatedResults', 1)).toBe('1 result without a date was not counted.');
    expect(texts.fillCounted('common', 'en', 'undatedResults', 3)).toBe('3 results without a date were not counted.');
    expect(texts.fillCounted('common', 'da', 'undatedResults', 0)).toBe('0 prøvesvar uden dato er ikke talt med.');
    // No One variant: the key itself, for one too.
    expect(texts.fillCounted('non-pharmacological-treatment', 'en', 'periodDays', 1)).toBe('1 days');
  });
});

describe('plainFillCounted: "og 1 mere", not "og 1 flere"', () => {
  test('one left over takes the One variant in Danish; more take the plural; English reads "and N more" both ways', () => {
    expect(texts.plainFillCounted('screening-incomplete', 'da', 'summaryMore', 1, { first: 'TSH, CK' })).toBe('Screeningsprøver ikke taget: TSH, CK og 1 mere');
    expect(texts.plainFillCounted('screening-incomplete', 'da', 'summaryMore', 2, { first: 'TSH, CK' })).toBe('Screeningsprøver ikke taget: TSH, CK og 2 flere');
    expect(texts.plainFillCounted('screening-incomplete', 'en', 'summaryMore', 1, { first: 'TSH' })).toBe('Screening tests not taken: TSH and 1 more');
    expect(texts.plainFillCounted('medication', 'da', 'moreNames', 1, { names: 'a, b' })).toBe('a, b og 1 mere');
  });
});

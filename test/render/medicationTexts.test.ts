import { loadCardTexts } from '../../src/render/cardTexts.js';
import { summaryStrength, summaryWithDrug } from '../../src/render/medicationTexts.js';
import { loadDrugKinds, type DrugKindEntry } from '../../src/terminology/drugKinds.js';
import type { RenderContext } from '../../src/render/renderContext.js';

const ctx: RenderContext = { lang: 'en', texts: loadCardTexts(), guidelineUrl: 'https://example.org/guideline', patientId: 'p1' };
const message = 'M'.repeat(100);
const points = (s: string): number => Array.from(s).length;

describe('summaryWithDrug: the message whole, the drug name under the summary limit (docs/clinical-rules.md §4)', () => {
  test('a name that fits is kept; one that does not gives way to the short name (the ingredients) when that fits', () => {
    expect(summaryWithDrug(ctx, message, 'OxyContin 10 mg', 'oxycodone')).toBe(`${message}: OxyContin 10 mg`);
    expect(summaryWithDrug(ctx, message, 'P'.repeat(60), 'oxycodone')).toBe(`${message}: oxycodone`);
  });
  test('neither fits: the shorter of the two is cut, with "…", under 140 code points', () => {
    const product = 'P'.repeat(50);
    const ingredients = 'i'.repeat(70);
    const cut = summaryWithDrug(ctx, message, product, ingredients);
    expect(points(cut)).toBeLessThan(140);
    expect(cut.startsWith(`${message}: PPP`)).toBe(true);
    expect(cut.endsWith('…')).toBe(true);
    expect(summaryWithDrug(ctx, message, ingredients, product).startsWith(`${message}: PPP`)).toBe(true);
  });
});

describe('summaryStrength: the strength a drug summary names, from terminology/drug-kinds.csv', () => {
  const tramadol = loadDrugKinds().get('tramadol')!;
  test('the kind\'s label with a lower-case first letter, in the card\'s language', () => {
    expect(summaryStrength({ ...ctx, lang: 'da' }, tramadol)).toBe('svag anbefaling MOD');
    expect(summaryStrength(ctx, tramadol)).toBe('weak recommendation against');
  });
  test('another strength in the table → the summary says that one (the card text holds no strength of its own)', () => {
    const strong: DrugKindEntry = { ...tramadol, strength: 'strong', direction: 'for' };
    expect(summaryStrength({ ...ctx, lang: 'da' }, strong)).toBe('stærk anbefaling');
    expect(summaryStrength({ ...ctx, lang: 'da' }, { ...tramadol, strength: 'good-practice', direction: 'against' })).toBe('god praksis – imod');
  });
});

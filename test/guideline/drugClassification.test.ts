import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyIngredientConcepts as classifyIngredientsWith,
  classifyMedication as classifyWith,
  classifyOrder as classifyOrderWith,
  ingredientKeysInText as keysWith,
} from '../../src/guideline/drugClassification.js';
import type { MedicationOrderView } from '../../src/model/medicationOrder.js';
import { projectPath } from '../../src/projectRoot.js';
import { loadCodeSystems } from '../../src/terminology/codeSystems.js';
import { loadDrugCodes } from '../../src/terminology/drugCodes.js';
import { loadDrugKinds } from '../../src/terminology/drugKinds.js';
import { parseCsvRows } from '../../src/terminology/dataFile.js';
import { ATC as ATC_SYSTEM, RXNORM as RXNORM_SYSTEM, medicationTerminology } from '../support/medicationTerminology.js';
import { medicationOrderView } from '../support/medicationOrderView.js';

const codes = medicationTerminology().drugs;
const classifyMedication = (c: fhir4.CodeableConcept | undefined) => classifyWith(c, codes);
const classifyIngredientConcepts = (c: fhir4.CodeableConcept[]) => classifyIngredientsWith(c, codes);
const ingredientKeysInText = (t: string) => keysWith(t, codes);

const rx = (code: string, display?: string): fhir4.CodeableConcept => ({
  coding: [{ system: RXNORM_SYSTEM, code, ...(display ? { display } : {}) }],
});
const atc = (code: string): fhir4.CodeableConcept => ({ coding: [{ system: ATC_SYSTEM, code }] });
const text = (t: string): fhir4.CodeableConcept => ({ text: t });

describe('drug data files', () => {

  test('load into Maps with the RxNorm codes the CDS Hooks sandbox offers', () => {
    for (const code of ['835603', '836408', '835605', '836397', '825411', '1049621', '892672', '997169', '312941', '200371', '349332', '310385', '314199', '596930', '856783', '856834', '483440']) {
      expect(codes.productByRxnorm.has(code)).toBe(true);
    }
    expect(codes.ingredientByRxnorm.get('10689')?.key).toBe('tramadol');
    expect(codes.atcExact.get('N02AX02')?.rule).toBe('tramadol');
    expect(codes.atcPrefix.get('N02A')?.rule).toBe('opioid-without-dual-action');
  });

  test('every exact ATC row names ingredients whose kind is the row rule (data consistency)', () => {
    for (const entry of codes.atcExact.values()) {
      if (entry.rule === 'opioid-substitution' || entry.rule === 'antitussive-combination') continue;
      const kinds = new Set(entry.ingredients.map((k) => codes.ingredientByKey.get(k)?.kind).filter((k) => k));
      expect([entry.code, [...kinds]]).toEqual([entry.code, [entry.rule]]);
    }
  });

  test('gabapentinoid RxCUIs are marked partial, the others verified', () => {
    expect(codes.ingredientByKey.get('gabapentin')?.rxnormStatus).toBe('partial');
    expect(codes.ingredientByKey.get('pregabalin')?.rxnormStatus).toBe('partial');
    expect(codes.ingredientByKey.get('tramadol')?.rxnormStatus).toBe('verified');
  });

  function withFile(name: string, content: string, run: (dir: string) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'drugs-'));
    try {
      for (const f of ['ingredients.csv', 'rxnorm-products.csv', 'atc.csv', 'brands.csv', 'name-suffixes.csv']) {
        writeFileSync(join(dir, f), readFileSync(projectPath('terminology', 'drugs', f), 'utf8'));
      }
      writeFileSync(join(dir, name), content);
      run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('a dangling ingredient key in a data file is rejected', () => {
    withFile('atc.csv', 'atc,match,rule,ingredients,display,status,source\nN02AA01,exact,opioid-without-dual-action,morphin,x,verified,x\n', (dir) => {
      expect(() => loadDrugCodes(loadDrugKinds(), loadCodeSystems(), dir)).toThrow(/unknown ingredient 'morphin'/);
    });
  });

  test('a row that does not match its schema stops the start, naming the file', () => {
    withFile('brands.csv', 'brand,ingredients,use,note,source\nMandolgin,tramadol,maybe,,x\n', (dir) => {
      expect(() => loadDrugCodes(loadDrugKinds(), loadCodeSystems(), dir)).toThrow(/brands\.csv does not match schemas\/drug-brands\.schema\.json/);
    });
  });

  test('pain products are marked only for an ingredient that is also substitution treatment, and only by a card kind\'s exact ATC row of it', () => {
    withFile('brands.csv', 'brand,ingredients,use,note,source\nContalgin,morphine,pain,,x\n', (dir) => {
      expect(() => loadDrugCodes(loadDrugKinds(), loadCodeSystems(), dir)).toThrow(/Contalgin is marked use = pain/);
    });
    const ingredients = readFileSync(projectPath('terminology', 'drugs', 'ingredients.csv'), 'utf8');
    withFile('ingredients.csv', ingredients.replace(/^(morphine,(?:[^,]*,){7})(,)/m, '$1N02AA01$2'), (dir) => {
      expect(() => loadDrugCodes(loadDrugKinds(), loadCodeSystems(), dir)).toThrow(/morphine has pain_product_atc but is no substitution treatment/);
    });
    withFile('ingredients.csv', ingredients.replace(/^(buprenorphine,(?:[^,]*,){7})N02AE01,/m, '$1N07BC01,'), (dir) => {
      expect(() => loadDrugCodes(loadDrugKinds(), loadCodeSystems(), dir)).toThrow(/buprenorphine's pain_product_atc N07BC01 is no exact atc\.csv row of it with a card kind/);
    });
  });

  // A made-up row with short names: the shipped names are all longer, so these rules are shown on a table of one's own.
  const withShortNames = (run: (withCodes: typeof codes) => void) =>
    withFile('ingredients.csv', `${readFileSync(projectPath('terminology', 'drugs', 'ingredients.csv'), 'utf8').trimEnd()}\nshort-names,,,none,,abc,abcd,no,,test row\n`, (dir) =>
      run(loadDrugCodes(loadDrugKinds(), loadCodeSystems(), dir)));

  test('a name of three letters in ingredients.csv is found in text, as a whole word', () => {
    withShortNames((withCodes) => {
      expect(keysWith('ABC 5 mg', withCodes)).toEqual(['short-names']);
      expect(keysWith('abcx 5 mg', withCodes)).toEqual([]);
    });
  });

  test('a salt or form word glued to a name is split off when the word is more than 3 letters longer than it: a name of four letters, not of three (name-suffixes.csv)', () => {
    withShortNames((withCodes) => {
      expect(keysWith('abcdtabletter 5 mg', withCodes)).toEqual(['short-names']);
      expect(keysWith('abcdhcl 5 mg', withCodes)).toEqual(['short-names']);
      expect(keysWith('abctabletter 5 mg', withCodes)).toEqual([]);
    });
  });

  test('CSV is read by csv-parse: comments, quotes and embedded commas', () => {
    expect(parseCsvRows('# note\na,b\n"x, y","say ""hi"""\n')).toEqual([{ a: 'x, y', b: 'say "hi"' }]);
  });
});

describe('classifyMedication: one positive and one negative per §4 row', () => {
  // [kind, RxNorm code, ATC code, English text, Danish text, a negative code of a neighbouring class]
  const rows: [string, string, string, string, string, string][] = [
    ['opioid-without-dual-action', '1049621', 'N02AA05', 'Oxycodone 5 mg tablet', 'Contalgin 10 mg depottablet', '835603'],
    ['tramadol', '835603', 'N02AX02', 'tramadol hydrochloride 50 MG', 'Nobligan 50 mg', '1049621'],
    ['tapentadol', '825411', 'N02AX06', 'tapentadol 50 mg tablet', 'Palexia depot 50 mg', '835603'],
    ['ssri', '312941', 'N06AB06', 'Sertraline 50 MG Oral Tablet', 'Sertralin 50 mg', '596930'],
    ['amitriptyline', '856783', 'N06AA09', 'amitriptyline 10 mg', 'Amitriptylin 10 mg', '317136'],
    ['other-tca', '317136', 'N06AA10', 'nortriptyline 25 mg', 'Noritren 25 mg', '856783'],
    ['duloxetine', '596930', 'N06AX21', 'duloxetine 30 mg capsule', 'Cymbalta 30 mg', '312941'],
    ['venlafaxine', '313583', 'N06AX16', 'venlafaxine 75 mg', 'Venlafaxin 75 mg', '596930'],
    ['gabapentinoid', '483440', 'N02BF02', 'pregabalin 150 mg', 'Lyrica 75 mg', '856834'],
  ];

  test.each(rows)('%s by RxNorm %s, ATC %s, text "%s" and "%s"', (kind, rxCode, atcCode, en, da, negative) => {
    // Negative codes must be real table entries, or the negative proves nothing.
    expect(codes.productByRxnorm.has(rxCode) || codes.ingredientByRxnorm.has(rxCode)).toBe(true);
    expect(codes.productByRxnorm.has(negative)).toBe(true);
    expect(classifyMedication(rx(rxCode)).kinds).toEqual([kind]);
    expect(classifyMedication(atc(atcCode)).kinds).toEqual([kind]);
    expect(classifyMedication(text(en)).kinds).toEqual([kind]);
    expect(classifyMedication(text(da)).kinds).toEqual([kind]);
    expect(classifyMedication(rx(negative)).kinds).not.toContain(kind);
  });

  // Danish product names spell these with ph (Lægemiddelstyrelsen: morphin, buprenorphin, hydromorphon).
  test.each([
    ['Morphin "DAK" 10 mg tablet', 'morphine'],
    ['Buprenorphin Alternova 5 mikrog/time depotplaster', 'buprenorphine'],
    ['Hydromorphon "Orion" 2 mg', 'hydromorphone'],
    ['hydromorphonhydrochlorid 4 mg', 'hydromorphone'],
    ['Methadon "DAK" 5 mg', 'methadone'],
    ['Codein 25 mg', 'codeine'],
  ])('the Danish ph-spelling "%s" is %s', (name, ingredient) => {
    const c = classifyMedication(text(name));
    expect(c.via).toBe('text');
    expect(c.ingredients.map((i) => i.key)).toEqual([ingredient]);
  });

  test('the sources are reported', () => {
    expect(classifyMedication(rx('10689')).via).toBe('rxnorm-ingredient');
    expect(classifyMedication(rx('835603')).via).toBe('rxnorm-product');
    expect(classifyMedication(atc('N02AX02')).via).toBe('atc');
    expect(classifyMedication(text('Nobligan')).via).toBe('text');
    expect(classifyMedication(text('Paracetamol 500 mg')).kinds).toEqual([]);
    expect(classifyMedication(undefined).via).toBeNull();
    expect(classifyMedication(rx('999999999')).via).toBeNull();
  });
});

describe('ATC rules', () => {
  test.each([
    ['N02AB01', 'opioid-without-dual-action', 'ketobemidone'],
    ['N02AG02', 'opioid-without-dual-action', 'ketobemidone'],
    ['N02AX51', 'opioid-without-dual-action', 'tilidine'],
    ['N07BC02', 'opioid-without-dual-action', 'methadone'],
    ['R05DA04', 'opioid-without-dual-action', 'codeine'],
    ['R05DA03', 'opioid-without-dual-action', 'hydrocodone'],
    ['N02AX52', 'tramadol', 'tramadol'],
    ['N02AJ14', 'tramadol', 'tramadol'],
    ['N02AJ16', 'tramadol', 'tramadol'],
    ['N03AX12', 'gabapentinoid', 'gabapentin'],
    ['N02BF01', 'gabapentinoid', 'gabapentin'],
    ['N03AX16', 'gabapentinoid', 'pregabalin'],
    ['N06CA01', 'amitriptyline', 'amitriptyline'],
    ['N06AA16', 'other-tca', 'dosulepin'],
  ])('%s → %s (%s)', (code, kind, ingredient) => {
    const c = classifyMedication(atc(code));
    expect(c.kinds).toEqual([kind]);
    expect(c.ingredients.map((i) => i.key)).toContain(ingredient);
  });

  test('oxycodone+naloxone N02AA55 is an opioid without dual action, by each ingredient', () => {
    const c = classifyMedication(atc('N02AA55'));
    expect(c.kinds).toEqual(['opioid-without-dual-action']);
    expect(c.ingredients.map((i) => i.key)).toEqual(['oxycodone', 'naloxone']);
  });

  test('tramadol+paracetamol N02AJ13 is tramadol, not an opioid without dual action', () => {
    const c = classifyMedication(atc('N02AJ13'));
    expect(c.kinds).toEqual(['tramadol']);
    expect(c.ingredients.map((i) => i.key)).toEqual(['tramadol', 'paracetamol']);
  });

  test('an N02A code without its own row falls to the class prefix with the code as stand-in ingredient', () => {
    const c = classifyMedication({ coding: [{ system: ATC_SYSTEM, code: 'N02AC04', display: 'dextropropoxyphene' }] });
    expect(c.kinds).toEqual(['opioid-without-dual-action']);
    expect(c.ingredients[0]?.key).toBe('atc:N02AC04');
    expect(classifyMedication(atc('N06AB99')).kinds).toEqual(['ssri']);
  });

  test('substitution products and antitussive combinations are out of scope', () => {
    for (const code of ['N07BC01', 'N07BC51', 'N07BC05', 'N07BC06']) {
      expect(classifyMedication(atc(code))).toMatchObject({ outOfScope: 'opioid-substitution', kinds: [] });
    }
    expect(classifyMedication(atc('R05FA02'))).toMatchObject({ outOfScope: 'antitussive-combination', kinds: [] });
    expect(classifyMedication(atc('N02AE01')).kinds).toEqual(['opioid-without-dual-action']);
  });

  test('codes are matched case- and space-insensitively; other systems are ignored', () => {
    expect(classifyMedication(atc(' n02ax02 ')).kinds).toEqual(['tramadol']);
    expect(classifyMedication({ coding: [{ system: 'http://example.org/x', code: 'N02AX02' }] }).via).toBeNull();
  });
});

describe('classifyOrder: a code and a Medication\'s ingredient list', () => {
  const orderOf = (medication: fhir4.CodeableConcept | null, medicationIngredients: fhir4.CodeableConcept[]): MedicationOrderView =>
    medicationOrderView({ status: 'draft', medication, medicationIngredients, drugText: 'x', intent: 'order' });

  const codeineAndParacetamol = [text('kodein'), text('paracetamol')];

  test('an out-of-scope code (antitussive combination R05FA) stands whatever its ingredient list names: no card kind (docs/clinical-rules.md §4.10)', () => {
    expect(classifyOrderWith(orderOf(atc('R05FA02'), codeineAndParacetamol), codes)).toMatchObject({ outOfScope: 'antitussive-combination', kinds: [], via: 'atc' });
    // The same ingredients under a code naming only the partner make the combination the tables know: an opioid.
    expect(classifyOrderWith(orderOf(rx('161'), codeineAndParacetamol), codes)).toMatchObject({ outOfScope: null, kinds: ['opioid-without-dual-action'] });
  });
});

describe('RxNorm products', () => {
  test('Ultracet 836397 is tramadol + paracetamol', () => {
    const c = classifyMedication(rx('836397'));
    expect(c.kinds).toEqual(['tramadol']);
    expect(c.ingredients.map((i) => i.key)).toEqual(['tramadol', 'paracetamol']);
  });

  test('oxycodone+naloxone SCD 1545903 is an opioid without dual action', () => {
    expect(classifyMedication(rx('1545903')).kinds).toEqual(['opioid-without-dual-action']);
  });

  test('codeine 997169 and morphine 892672 are opioids without dual action', () => {
    expect(classifyMedication(rx('997169')).kinds).toEqual(['opioid-without-dual-action']);
    expect(classifyMedication(rx('892672')).kinds).toEqual(['opioid-without-dual-action']);
  });

  test('Suboxone and Subutex are substitution products; a buprenorphine 0.2 mg SL tablet is not', () => {
    expect(classifyMedication(rx('1010608')).outOfScope).toBe('opioid-substitution');
    expect(classifyMedication(rx('404413')).outOfScope).toBe('opioid-substitution');
    expect(classifyMedication(rx('246474'))).toMatchObject({ outOfScope: null, kinds: ['opioid-without-dual-action'] });
  });

  test('dosage-form and salt words glued to a Danish name are stripped: "Fentanylplaster", "Morfintabletter", "Tramadolkapsler", "Imipraminembonat"', () => {
    expect(classifyMedication(text('Fentanylplaster 25 mikrog/time')).kinds).toEqual(['opioid-without-dual-action']);
    expect(classifyMedication(text('Morfintabletter 10 mg')).kinds).toEqual(['opioid-without-dual-action']);
    expect(classifyMedication(text('Morfindepottabletter 10 mg')).kinds).toEqual(['opioid-without-dual-action']);
    expect(classifyMedication(text('Tramadolkapsler 50 mg')).kinds).toEqual(['tramadol']);
    expect(classifyMedication(text('Gabapentinkapsler 300 mg')).kinds).toEqual(['gabapentinoid']);
    expect(classifyMedication(text('Imipraminembonat')).kinds).toEqual(['other-tca']);
    // A word that only ends like one is no drug ("Plaster" alone, "Kapsler").
    expect(classifyMedication(text('Plaster')).via).toBeNull();
  });
  test('a substitution brand in the text wins over a code that names only the ingredient: Subutex coded as buprenorphine is substitution', () => {
    const coded = (concept: fhir4.CodeableConcept, t: string): fhir4.CodeableConcept => ({ ...concept, text: t });
    expect(classifyMedication(coded(rx('1819'), 'Subutex 8 mg resoribletter'))).toMatchObject({ outOfScope: 'opioid-substitution', kinds: [], via: 'rxnorm-ingredient' });
    expect(classifyMedication(coded(atc('N02AE01'), 'Espranor 8 mg frysetørret tablet'))).toMatchObject({ outOfScope: 'opioid-substitution', kinds: [], via: 'atc' });
    expect(classifyMedication({ coding: [{ system: ATC_SYSTEM, code: 'N02AE01', display: 'Zubsolv 5,7 mg/1,4 mg' }] }).outOfScope).toBe('opioid-substitution');
    // The same codes with a pain product's text stay opioids without dual action.
    expect(classifyMedication(coded(rx('1819'), 'Norspan 10 mikrogram/time depotplaster'))).toMatchObject({ outOfScope: null, kinds: ['opioid-without-dual-action'] });
    expect(classifyMedication(coded(atc('N02AE01'), 'Buprenorphin 5 mikrogram/time')).outOfScope).toBeNull();
  });

  test('a buprenorphine pain product is known as one: by its ATC N02AE01, an RxNorm product of that ATC, or a brand marked use = pain in the text; not by the ingredient alone or a substitution code', () => {
    const coded = (concept: fhir4.CodeableConcept, t: string): fhir4.CodeableConcept => ({ ...concept, text: t });
    expect(classifyMedication(atc('N02AE01')).painProduct).toBe(true);
    expect(classifyMedication(rx('904870')).painProduct).toBe(true);
    expect(classifyMedication(text('Norspan 5 mikrog/time')).painProduct).toBe(true);
    expect(classifyMedication(coded(rx('1819'), 'Transtec 35 mikrog/time')).painProduct).toBe(true);
    expect(classifyMedication(rx('1819')).painProduct).toBe(false);
    expect(classifyMedication(text('Buprenorphin 8 mg resoribletter')).painProduct).toBe(false);
    expect(classifyMedication(atc('N07BC02')).painProduct).toBe(false);
    expect(classifyMedication(coded(atc('N02AE01'), 'Subutex 8 mg'))).toMatchObject({ painProduct: false, outOfScope: 'opioid-substitution' });
    expect(classifyMedication(coded(atc('N07BC01'), 'Norspan'))).toMatchObject({ painProduct: false, outOfScope: 'opioid-substitution' });
  });

  test('buprenorphine + naloxone by their generic names is a substitution product (N07BC51), by code or by text; oxycodone + naloxone is not', () => {
    expect(classifyMedication(text('Buprenorphin/naloxon 8 mg/2 mg resoribletter'))).toMatchObject({ outOfScope: 'opioid-substitution', kinds: [] });
    expect(classifyMedication({ ...rx('1819'), text: 'Buprenorphin/naloxon 8 mg/2 mg' }).outOfScope).toBe('opioid-substitution');
    expect(classifyMedication(text('Buprenorphin 8 mg resoribletter')).outOfScope).toBeNull();
    expect(classifyMedication(text('Oxycodon/naloxon 10 mg/5 mg depottablet'))).toMatchObject({ outOfScope: null, kinds: ['opioid-without-dual-action'] });
    expect(classifyMedication(text('Zubsolv 5,7 mg/1,4 mg'))).toMatchObject({ outOfScope: 'opioid-substitution' });
  });

  test('a codeine cough-and-cold combination is an antitussive combination, codeine+paracetamol is not', () => {
    const cough = [...codes.productByRxnorm.values()].find((p) => /guaifenesin/i.test(p.display) && p.ingredients.includes('codeine'));
    expect(cough).toBeDefined();
    expect(classifyMedication(rx(cough!.code)).outOfScope).toBe('antitussive-combination');
    const analgesic = [...codes.productByRxnorm.values()].find((p) => p.atc === 'N02AJ06');
    expect(classifyMedication(rx(analgesic!.code)).kinds).toEqual(['opioid-without-dual-action']);
  });

  test('amitriptyline+perphenazine is classified by its amitriptyline', () => {
    expect(classifyMedication(rx('856706')).kinds).toEqual(['amitriptyline']);
  });

  test('pregabalin products carry the partial ingredient RxCUI flag', () => {
    const c = classifyMedication(rx('483440'));
    expect(c.ingredients[0]).toMatchObject({ key: 'pregabalin', rxnormIngredient: '187832', rxnormVerified: false });
  });

  test('RxNorm wins over ATC and text, ATC over text', () => {
    expect(classifyMedication({ text: 'Nobligan', coding: [{ system: RXNORM_SYSTEM, code: '312941' }] }).kinds).toEqual(['ssri']);
    expect(classifyMedication({ text: 'Nobligan', coding: [{ system: ATC_SYSTEM, code: 'N06AX21' }] }).kinds).toEqual(['duloxetine']);
  });

  test('an unknown RxNorm code falls back to its display text', () => {
    const c = classifyMedication(rx('123', 'Morphine Sulfate 5 MG Oral Tablet'));
    expect(c).toMatchObject({ via: 'text', kinds: ['opioid-without-dual-action'] });
  });
});

describe('free text', () => {
  test.each([
    ['Nobligan 50 mg', ['tramadol']],
    ['Contalgin 10 mg', ['morphine']],
    ['OxyNorm 5 mg', ['oxycodone']],
    ['OxyContin 10 mg', ['oxycodone']],
    ['Targin 10/5 mg', ['oxycodone', 'naloxone']],
    ['Ketogan 5 mg', ['ketobemidone']],
    ['Norspan 5 mikrog/time', ['buprenorphine']],
    ['Neurontin 300 mg', ['gabapentin']],
    ['tramadolhydrochlorid 50 mg', ['tramadol']],
    ['Oxycodon/naloxon', ['oxycodone', 'naloxone']],
  ])('"%s" → %j', (t, keys) => {
    expect(ingredientKeysInText(t)).toEqual(keys);
  });

  test('names match whole words only', () => {
    expect(ingredientKeysInText('metadonprogram-ish xtramadolx')).toEqual([]);
    expect(classifyMedication(text('Panodil 500 mg')).kinds).toEqual([]);
  });

  test('text and displays are read together; a display that repeats the text changes nothing', () => {
    const yentreve = classifyMedication({ text: 'Yentreve 40 mg', coding: [{ system: 'urn:local', code: 'x', display: 'Yentreve 40 mg' }] });
    expect(yentreve).toEqual(classifyMedication(text('Yentreve 40 mg')));
    expect(yentreve.brandNotes).toHaveLength(1);
    // A name only in a display that differs from the text is still found.
    expect(classifyMedication({ text: 'Tablet 50 mg', coding: [{ system: 'urn:local', code: 'x', display: 'tramadol' }] }).kinds).toEqual(['tramadol']);
  });

  test('a Medication given by ingredients is classified by each', () => {
    const c = classifyIngredientConcepts([rx('7804'), rx('7242')]);
    expect(c.kinds).toEqual(['opioid-without-dual-action']);
    expect(c.ingredients.map((i) => i.key)).toEqual(['oxycodone', 'naloxone']);
  });
});

describe('remembered text matches', () => {
  test('the same text classifies the same every time; a changed result never leaks into the next call', () => {
    const first = classifyMedication(text('Yentreve duloxetin 40 mg'));
    const expected = JSON.parse(JSON.stringify(first)) as unknown;
    // The remembered parts are shared and frozen: changing them fails instead of leaking.
    expect(() => {
      (first.ingredients as unknown[]).length = 0;
    }).toThrow(TypeError);
    expect(() => (first.brandNotes as string[]).push('rapid-onset-fentanyl')).toThrow(TypeError);
    expect(() => Object.assign(classifyMedication(text('Yentreve duloxetin 40 mg')).ingredients[0]!, { kind: null })).toThrow(TypeError);
    expect(classifyMedication(text('Yentreve duloxetin 40 mg'))).toEqual(expected);
  });

  test('more texts than the memo holds: old and new texts still classify correctly', () => {
    const before = classifyMedication(text('tramadolhydrochlorid 50 mg'));
    for (let i = 0; i < 2500; i++) classifyMedication(text(`ukendt præparat ${i}`));
    expect(classifyMedication(text('tramadolhydrochlorid 50 mg'))).toEqual(before);
    expect(before.kinds).toEqual(['tramadol']);
    expect(classifyMedication(text('ukendt præparat 3')).via).toBeNull();
  });
});

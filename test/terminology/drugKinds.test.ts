import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { projectPath } from '../../src/projectRoot.js';
import { loadCardTexts } from '../../src/render/cardTexts.js';
import { loadDrugKinds } from '../../src/terminology/drugKinds.js';

describe('terminology/drug-kinds.csv: the one table of drug kinds', () => {
  const kinds = loadDrugKinds();

  test('nine kinds in the order cards list them, each with its recommendation, strength and direction', () => {
    expect(kinds.entries.map((e) => [e.kind, e.strength, e.direction, e.indicator])).toEqual([
      ['opioid-without-dual-action', 'good-practice', 'against', 'warning'],
      ['tramadol', 'weak', 'against', 'warning'],
      ['tapentadol', 'none', 'none', 'warning'],
      ['ssri', 'weak', 'against', 'warning'],
      ['amitriptyline', 'weak', 'for', 'info'],
      ['other-tca', 'none', 'none', 'info'],
      ['duloxetine', 'weak', 'for', 'info'],
      ['venlafaxine', 'none', 'none', 'info'],
      ['gabapentinoid', 'weak', 'for', 'info'],
    ]);
  });

  test('every kind has its words in cards/, and card YAML holds no strength or recommendation id', () => {
    const texts = loadCardTexts();
    for (const e of kinds.entries) {
      for (const lang of ['da', 'en'] as const) {
        for (const key of ['topic', 'summary', 'recommendation', 'body']) expect(texts.has(e.kind, lang, key)).toBe(true);
        expect(texts.has('current-medication', lang, `recommendations.${e.kind}`)).toBe(true);
      }
      // A graded recommendation's summary names its strength through {strength}, filled from this table, never
      // in bracketed words of its own (good practice and "no recommendation" are said by the message itself).
      for (const lang of ['da', 'en'] as const) {
        const summary = texts.get(e.kind, lang, 'summary');
        const labels = ['strong-for', 'weak-for', 'weak-against', 'good-practice', 'none'].map((k) => `(${texts.get('common', lang, `strength.${k}`).toLowerCase()}`);
        const graded = e.strength === 'weak' || e.strength === 'strong';
        expect([e.kind, lang, summary.includes('({strength})'), labels.filter((l) => summary.toLowerCase().includes(l))]).toEqual([e.kind, lang, graded, []]);
      }
      const yaml: unknown = parseYaml(readFileSync(projectPath('cards', `${e.kind}.yaml`), 'utf8'));
      expect(yaml).not.toHaveProperty('strength');
      expect(yaml).not.toHaveProperty('recommendation');
    }
  });

  test('a row that breaks the schema stops the start (no strength but a direction)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinds-'));
    try {
      writeFileSync(
        join(dir, 'drug-kinds.csv'),
        'kind,recommendation,strength,direction,indicator,opioid,rule,depression_exempt,off_label,pain_not_depression,other_treatment_first,dependence_guidance,source\n' +
          'tapentadol,tramadol,none,against,warning,yes,plain,no,no,no,no,no,x\n',
      );
      expect(() => loadDrugKinds(dir)).toThrow(/drug-kinds\.csv does not match schemas\/drug-kinds\.schema\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { projectPath } from '../../src/projectRoot.js';
import { loadCardTexts } from '../../src/render/cardTexts.js';
import { loadDosingTimes } from '../../src/terminology/dosingTimes.js';

describe('terminology/dosing-times.csv: the times of day of FHIR EventTiming codes', () => {
  const times = loadDosingTimes();

  test('morning, noon and the daytime meals are daytime; evening, night and bedtime are evening; none is both', () => {
    for (const code of ['MORN', 'NOON', 'AFT', 'CM', 'CD', 'WAKE']) expect([code, times.daytime.has(code)]).toEqual([code, true]);
    for (const code of ['EVE', 'NIGHT', 'HS', 'CV', 'PCV']) expect([code, times.evening.has(code)]).toEqual([code, true]);
    expect([...times.daytime].filter((c) => times.evening.has(c))).toEqual([]);
    expect(times.byLowerCase.get('morn.early')).toBe('MORN.early');
  });

  test('the amitriptyline card names every daytime code in both languages, and names no other code (cards/amitriptyline.yaml whenCodes)', () => {
    const texts = loadCardTexts();
    for (const code of times.daytime) {
      for (const lang of ['da', 'en'] as const) expect([code, lang, texts.has('amitriptyline', lang, `whenCodes.${code}`)]).toEqual([code, lang, true]);
    }
    const file = parseYaml(readFileSync(projectPath('cards', 'amitriptyline.yaml'), 'utf8')) as { da: { whenCodes: Record<string, string> } };
    expect(Object.keys(file.da.whenCodes).sort()).toEqual([...times.daytime].sort());
  });
});

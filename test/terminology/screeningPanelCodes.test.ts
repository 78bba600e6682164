import { projectPath } from '../../src/projectRoot.js';
import { readJson } from '../support/testApp.js';
import { loadScreeningPanelCodes } from '../../src/terminology/screeningPanelCodes.js';

interface PanelFile {
  groups: Array<{ id: string; npu: string[]; loinc: string[]; primary: { npu?: string; loinc?: string }; partial?: string[] }>;
}

const file = readJson<PanelFile>(projectPath('terminology', 'screening-panel.json'));

describe('terminology/screening-panel.json', () => {
  // Partial codes are read, not ordered; the one exception is written in the file's _about and terminology/README.md.
  test('the only order code with partial evidence is urine albumin/creatinine\'s NPU19661', () => {
    const orderedPartial = file.groups.flatMap((g) => [g.primary.npu, g.primary.loinc].filter((c): c is string => c !== undefined && (g.partial ?? []).includes(c)).map((c) => `${g.id}: ${c}`));
    expect(orderedPartial).toEqual(['urine-albumin-creatinine-ratio: NPU19661']);
  });
});

describe('ScreeningPanelCodes: codes in any case', () => {
  const panel = loadScreeningPanelCodes();
  const NPU = 'urn:oid:1.2.208.176.2.1';
  test('an NPU result or order code in lower case or with spaces is the same code (TSH); another code is none', () => {
    for (const code of ['NPU03577', 'npu03577', ' Npu03577 ']) expect([code, panel.groupOf({ system: NPU, code })?.group.id]).toEqual([code, 'tsh']);
    expect(panel.groupOf({ system: NPU, code: 'npu99999' })).toBeUndefined();
  });
});

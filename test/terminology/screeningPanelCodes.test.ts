import { projectPath } from '../../src/projectRoot.js';
import { readJson } from '../support/testApp.js';

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

import { ReasonTextReader } from '../../src/terminology/reasonText.js';

const reader = new ReasonTextReader({ fillers: ['mod', 'behandling', 'af', 'moderat', 'og'], qualifierPhrases: ['uden psykotiske symptomer'] });
const group = reader.prepare({ words: ['depression', 'angst'], phrases: ['posttraumatisk belastningsreaktion'] });
// The group's own codes, as MedicationConditionCodes tells them (ICD-10 F32–F39 here, with or without SKS's D).
const names = (text: string): boolean => reader.names(group, text, (code) => /^d?f3\d/.test(code));

describe('ReasonTextReader (docs/clinical-rules.md §4.10): a text names the group only when it says nothing else', () => {
  test('the group\'s words and phrases, with fillers, codes and qualifiers, in any case and punctuation', () => {
    for (const t of ['depression', 'Mod depression.', 'behandling af moderat depression', 'Depression og angst', 'F32.1 Depression', 'DF321: depression', 'Posttraumatisk  belastningsreaktion', 'depression uden psykotiske symptomer', '(angst)']) {
      expect([t, names(t)]).toEqual([t, true]);
    }
  });

  test('any other word or sign, and the text names nothing', () => {
    for (const t of ['ikke depression', 'depression udelukket', '÷ depression', 'depression=0', 'depression?', 'mod smerter og depression', 'respirationsdepression', 'ST-depression', 'posttraumatisk', 'behandling af', '']) {
      expect([t, names(t)]).toEqual([t, false]);
    }
  });

  test('a code written in the text counts only when it is the group\'s own: another code says more (fibromyalgia beside depression)', () => {
    for (const t of ['F32.1', 'DF321', 'Depression (DF32.1)']) expect([t, names(t)]).toEqual([t, true]);
    for (const t of ['Depression og M79.7', 'Depression, M79.7', 'Depression / DM797', 'Angst DM797', 'Depression R52', 'Depression F45.4']) expect([t, names(t)]).toEqual([t, false]);
  });
});

describe('ReasonTextReader.mentions: a text that mentions the group among other things, for leaving out "not for depression"', () => {
  const mentions = (text: string): boolean => reader.mentions(group, text, (code) => /^d?f3\d/.test(code));
  test('the group\'s words, phrases or codes anywhere, whatever else the text says', () => {
    for (const t of ['depression og smerter', 'Angst, smerter', 'mod smerter og depression', 'smerter (DF32.1)', 'fibromyalgi; posttraumatisk belastningsreaktion', 'depression?']) {
      expect([t, mentions(t)]).toEqual([t, true]);
    }
  });
  test('no word of the group: no mention (another condition, a word containing it, another code)', () => {
    for (const t of ['smerter', 'respirationsdepression', 'M79.7', 'posttraumatisk', '']) expect([t, mentions(t)]).toEqual([t, false]);
  });
});

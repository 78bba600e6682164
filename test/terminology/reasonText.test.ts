import { ReasonTextReader } from '../../src/terminology/reasonText.js';

const reader = new ReasonTextReader({ negationsBefore: ['ikke', 'non'], negationsAfter: ['udelukket', 'free'], windowBefore: 2, windowAfter: 1, falseFriends: ['angst for'] });
const group = { words: ['depressi', 'angst'], endings: ['angst'], phrases: ['posttraumatisk belastningsreaktion'] };
const names = (text: string): boolean => reader.names(group, text);

describe('ReasonTextReader (docs/clinical-rules.md §4.10)', () => {
  test('mentions: a word at the start of a word, an ending at its end, a phrase as words in a row; never inside a word', () => {
    expect(['depressiv', 'panikangst', 'Posttraumatisk  belastningsreaktion', 'angst-lidelse'].map(names)).toEqual([true, true, true, true]);
    expect(['langstrakte', 'posttraumatisk', 'belastningsreaktion posttraumatisk'].map(names)).toEqual([false, false, false]);
  });

  test('a negation before counts within the window and the clause only', () => {
    expect(names('ikke depression')).toBe(false);
    expect(names('ikke for depression')).toBe(false);
    expect(names('ikke smerter eller depression')).toBe(true); // three words before: outside the window
    expect(names('ikke smerter, depression')).toBe(true); // another clause
    expect(names('ikke-farmakologisk, depression')).toBe(true);
    expect(names('ikke-farmakologisk depression')).toBe(true); // joined to another word
    expect(names('non-depressive')).toBe(false); // joined to the mention
  });

  test('a negation after counts right after the mention, or standing alone within the window', () => {
    expect(names('depression udelukket')).toBe(false);
    expect(names('anxiety angst-free')).toBe(false);
    expect(names('depression smerte udelukket')).toBe(true); // two words after: outside the window
  });

  test('a false friend is no mention; any mention that counts names the group', () => {
    expect(names('angst for bivirkninger')).toBe(false);
    expect(names('angst for bivirkninger og depression')).toBe(true);
    expect(names('ikke angst, men depression')).toBe(true);
  });
});

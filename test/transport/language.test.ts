import { pickLanguage } from '../../src/transport/language.js';

describe('card language', () => {
  test.each([
    ['da-DK,da;q=0.9,en;q=0.8', 'da'],
    ['en-US,en;q=0.9,da;q=0.8', 'en'],
    ['de-DE,de;q=0.9', 'en'],
    ['de,da;q=0.5', 'da'],
    ['en;q=0.2,da;q=0.7', 'da'],
    ['nb-NO', 'da'],
    ['nn', 'da'],
    ['no', 'da'],
    ['en,da', 'en'], // equal weights: the header's order decides
    ['da,en', 'da'],
    ['da;q=0', 'en'],
    ['', 'en'],
  ])('auto: Accept-Language "%s" → %s', (header, lang) => {
    expect(pickLanguage('auto', header)).toBe(lang);
  });
  test('no header → English', () => {
    expect(pickLanguage('auto', undefined)).toBe('en');
  });
  test('a fixed language wins over whatever the browser sends', () => {
    expect(pickLanguage('da', 'en-US')).toBe('da');
    expect(pickLanguage('en', 'da-DK')).toBe('en');
  });
});

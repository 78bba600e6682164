import type { LanguageSetting } from '../config.js';
import type { Language } from '../model/language.js';

/**
 * The card language (docs/clinical-rules.md §7): fixed by configuration, or (auto) the first of da/en in the request's
 * Accept-Language by q-value, else English.
 */
export function pickLanguage(setting: LanguageSetting, acceptLanguage: string | undefined): Language {
  if (setting !== 'auto') return setting;
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { primary: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), index };
    })
    .filter((l) => l.q > 0 && !Number.isNaN(l.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const l of ranked) {
    if (l.primary === 'da' || l.primary === 'en') return l.primary;
    // Norwegian readers understand Danish better than English (Swedish is not mapped: English).
    if (l.primary === 'nb' || l.primary === 'no' || l.primary === 'nn') return 'da';
  }
  return 'en';
}

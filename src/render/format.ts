import { danishCalendarDay } from '../model/danishTime.js';
import type { Language } from '../model/language.js';

/**
 * Numbers and dates as each language writes them (docs/clinical-rules.md §5): Danish with a decimal
 * comma and dd.mm.åååå, English with a decimal point and ISO dates.
 */

export function formatNumber(lang: Language, n: number): string {
  const s = String(Number.isInteger(n) ? n : Number(n.toPrecision(6)));
  return lang === 'da' ? s.replace('.', ',') : s;
}

/** A date (epoch ms) as its day in Danish time (src/model/danishTime.ts): dd.mm.åååå (da) or YYYY-MM-DD (en). */
export function formatDate(lang: Language, epochMs: number): string {
  const { year, month, day } = danishCalendarDay(epochMs);
  const y = String(year).padStart(4, '0');
  const m = String(month).padStart(2, '0');
  const d = String(day).padStart(2, '0');
  return lang === 'en' ? `${y}-${m}-${d}` : `${d}.${m}.${y}`;
}

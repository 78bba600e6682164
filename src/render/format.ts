import { danishCalendarDay } from '../model/danishTime.js';
import type { DatePrecision } from '../model/datePrecision.js';
import type { Language } from '../model/language.js';

/**
 * Numbers and dates as each language writes them (docs/clinical-rules.md §5): Danish with a decimal
 * comma and dd.mm.åååå, English with a decimal point and ISO dates; a date given only to the month or
 * the year written so (mm.åååå, åååå; YYYY-MM, YYYY).
 */

export function formatNumber(lang: Language, n: number): string {
  const s = String(Number.isInteger(n) ? n : Number(n.toPrecision(6)));
  return lang === 'da' ? s.replace('.', ',') : s;
}

/**
 * A date (epoch ms) as its day in Danish time (src/model/danishTime.ts): dd.mm.åååå (da) or YYYY-MM-DD
 * (en). A date written only to the month or the year ("2026-08", "2026": its first instant) is shown at
 * that precision, mm.åååå / YYYY-MM or the year alone, never as the first day it stands for.
 */
export function formatDate(lang: Language, epochMs: number, precision: DatePrecision): string {
  const { year, month, day } = danishCalendarDay(epochMs);
  const y = String(year).padStart(4, '0');
  if (precision === 'year') return y;
  const m = String(month).padStart(2, '0');
  if (precision === 'month') return lang === 'en' ? `${y}-${m}` : `${m}.${y}`;
  const d = String(day).padStart(2, '0');
  return lang === 'en' ? `${y}-${m}-${d}` : `${d}.${m}.${y}`;
}

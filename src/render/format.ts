import type { Language } from '../model/language.js';

/**
 * Numbers and dates as each language writes them (docs/clinical-rules.md §5): Danish with a decimal
 * comma and dd.mm.åååå, English with a decimal point and ISO dates.
 */

export function formatNumber(lang: Language, n: number): string {
  const s = String(Number.isInteger(n) ? n : Number(n.toPrecision(6)));
  return lang === 'da' ? s.replace('.', ',') : s;
}

/**
 * The calendar a card's dates are written in: Danish time, whatever the server's own zone (containers run
 * on UTC). A sample taken at 00:30 Danish summer time is 22:30 UTC the day before; in UTC its card would
 * show the wrong day. A date-only FHIR value is read as UTC midnight, which is the same day here (UTC+1/+2).
 */
const CARD_TIME_ZONE = 'Europe/Copenhagen';

const calendarDay = new Intl.DateTimeFormat('en-CA', { timeZone: CARD_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** A date (epoch ms) as its day in Danish time: dd.mm.åååå (da) or YYYY-MM-DD (en). */
export function formatDate(lang: Language, epochMs: number): string {
  let y = '';
  let m = '';
  let d = '';
  for (const part of calendarDay.formatToParts(epochMs)) {
    if (part.type === 'year') y = part.value;
    else if (part.type === 'month') m = part.value;
    else if (part.type === 'day') d = part.value;
  }
  y = y.padStart(4, '0');
  return lang === 'en' ? `${y}-${m}-${d}` : `${d}.${m}.${y}`;
}

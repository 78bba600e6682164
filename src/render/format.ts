import type { Language } from '../model/language.js';

/**
 * Numbers and dates as each language writes them (docs/clinical-rules.md §5): Danish with a decimal
 * comma and dd.mm.åååå, English with a decimal point and ISO dates.
 */

export function formatNumber(lang: Language, n: number): string {
  const s = String(Number.isInteger(n) ? n : Number(n.toPrecision(6)));
  return lang === 'da' ? s.replace('.', ',') : s;
}

/** A date (epoch ms, UTC) as dd.mm.åååå (da) or YYYY-MM-DD (en). */
export function formatDate(lang: Language, epochMs: number): string {
  const iso = new Date(epochMs).toISOString().slice(0, 10);
  if (lang === 'en') return iso;
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

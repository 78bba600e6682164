/**
 * Whether a text may hold a Danish CPR number: ten digits in a row once separators (`-`, `.`, `_`, space) are
 * dropped, of which the first six are a date (DDMMYY). What the log may not quote of a caller's ids, even when
 * they have a UUID's shape ("00000000-0000-4000-8000-000101801234", "01017012-3400-4000-8000-000000000000").
 * By chance about one random (v4) UUID in 150 matches, and one in 110 of the service's own time-ordered (v7) card
 * uuids, more on some days (up to ~3 %, as their leading time digits change slowly): the log line then withholds it.
 */
export function mayHoldCprNumber(text: string): boolean {
  const digits = text.replace(/[-._ ]/g, '');
  for (const run of digits.match(/\d{10,}/g) ?? []) {
    for (let at = 0; at + 10 <= run.length; at++) {
      const day = Number(run.slice(at, at + 2));
      const month = Number(run.slice(at + 2, at + 4));
      if (day >= 1 && day <= 31 && month >= 1 && month <= 12) return true;
    }
  }
  return false;
}

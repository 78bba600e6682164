/**
 * FHIR date and dateTime values → epoch milliseconds. Partial dates ("2024", "2024-03") count from
 * their first instant; a value that is not a FHIR date gives undefined (treated as "no date").
 */
const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseFhirDate(value: string | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = FHIR_DATE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h, mi, s = '00', tz] = m;
  if (h === undefined) return Date.UTC(Number(y), Number(mo) - 1, Number(d));
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${tz ?? 'Z'}`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

export const DAY_MS = 24 * 60 * 60 * 1000;


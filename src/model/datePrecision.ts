/**
 * How much of a date a FHIR value gives (docs/clinical-rules.md §5, §7.1): only the year ("2026"), the
 * month ("2026-08"), or the day (a full date or a dateTime). Rules compare a date by its first instant;
 * a card writes it at its precision, so "2026-08" is never shown as 1 August.
 */
export type DatePrecision = 'year' | 'month' | 'day';

/** A FHIR date as read: its first instant (epoch ms, for comparing and sorting) and the precision it was written at (for showing). */
export interface PreciseDate {
  readonly at: number;
  readonly precision: DatePrecision;
}

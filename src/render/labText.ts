import type { LabResult } from '../guideline/labResults.js';
import type { DatePrecision } from '../model/datePrecision.js';
import type { RenderContext } from './renderContext.js';
import { formatDate, formatNumber } from './format.js';

/** The group's name (cards/analytes.yaml). */
export function analyteName(ctx: RenderContext, groupId: string): string {
  return ctx.texts.get('analytes', ctx.lang, groupId);
}

/** The short name for summaries ("D-vitamin", "SR"). */
export function shortAnalyteName(ctx: RenderContext, groupId: string): string {
  const key = `short.${groupId}`;
  return ctx.texts.has('analytes', ctx.lang, key) ? ctx.texts.get('analytes', ctx.lang, key) : analyteName(ctx, groupId);
}

/**
 * A result's name: the group, with the analyte when the group has several, after the group's short name
 * ("differential count (neutrophils)", "calcium (ionised, free)", "vitamin D (25-OH-D3)").
 */
export function resultName(ctx: RenderContext, r: Pick<LabResult, 'analyteId'> & { group: { id: string } }): string {
  return r.analyteId === r.group.id ? analyteName(ctx, r.group.id) : `${shortAnalyteName(ctx, r.group.id)} (${analyteName(ctx, r.analyteId)})`;
}

/**
 * The result as the lab gave it: comparator, value (Danish decimal comma), unit; a non-numeric value as text.
 * A UCUM power of ten is shown as one reads it: "10*9/L" (a unit given only as its UCUM code) → "10^9/L".
 */
export function valueText(ctx: RenderContext, r: Pick<LabResult, 'numeric' | 'valueText'>): string {
  const n = r.numeric;
  if (n) return `${n.comparator ?? ''}${formatNumber(ctx.lang, n.value)}${n.unit ? ` ${n.unit.replace(/10\*(?=[-+]?\d)/g, '10^')}` : ''}`;
  return r.valueText ?? '?';
}

/** dd.mm.åååå (da) or ISO (en), at the precision the date was written (absent: the day); `unknown` when undated. */
export function dateText(ctx: RenderContext, t: number | undefined, precision: DatePrecision | undefined, unknown: string): string {
  return t === undefined ? unknown : formatDate(ctx.lang, t, precision ?? 'day');
}

/** "Some lab results may be withheld from you …" (cards/common.yaml): a test not seen may have been taken (§7). */
export function withheldLine(ctx: RenderContext, withheld: boolean): string | false {
  return withheld && ctx.texts.get('common', ctx.lang, 'resultsWithheld');
}

/** "1 result without a date was not counted." (cards/common.yaml): results with no date are not counted (§3.1). */
export function undatedLine(ctx: RenderContext, count: number): string | false {
  if (count <= 0) return false;
  return ctx.texts.fillCounted('common', ctx.lang, 'undatedResults', count);
}

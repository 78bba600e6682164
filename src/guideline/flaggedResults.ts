import type { GroupAssessment } from './screeningPanel.js';

export type FlagDirection = 'high' | 'low' | 'abnormal';

export interface FlaggedResult {
  groupId: string;
  observation: fhir4.Observation;
  direction: FlagDirection;
  /** How the flag was found: the lab's interpretation, or the lab's own reference range. */
  basis: 'interpretation' | 'reference-range';
}

export interface FlaggedResultsAssessment {
  flagged: FlaggedResult[];
  /** Done groups whose latest result has neither an interpretation nor a usable reference range. */
  notAssessable: Array<{ groupId: string; observation: fhir4.Observation }>;
}

// http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation codes the guideline treats as flags.
const INTERPRETATION: Record<string, FlagDirection> = {
  H: 'high',
  HH: 'high',
  HU: 'high',
  L: 'low',
  LL: 'low',
  LU: 'low',
  A: 'abnormal',
  AA: 'abnormal',
};

type RangeVerdict = FlagDirection | 'normal' | 'unknown';

function sameUnit(value: fhir4.Quantity, limit: fhir4.Quantity): boolean {
  const a = value.code ?? value.unit;
  const b = limit.code ?? limit.unit;
  return a === undefined || b === undefined || a === b;
}

/**
 * Compares a value with the lab's own range, respecting comparators: "<5" is below a low limit of 5
 * but says nothing about a high limit. Never uses reference ranges of our own.
 */
function checkRange(value: fhir4.Quantity, range: fhir4.ObservationReferenceRange): RangeVerdict {
  const v = value.value;
  if (typeof v !== 'number') return 'unknown';
  const cmp = value.comparator;
  const low = range.low?.value;
  const high = range.high?.value;
  if (low === undefined && high === undefined) return 'unknown';
  if ((range.low && !sameUnit(value, range.low)) || (range.high && !sameUnit(value, range.high))) return 'unknown';
  // The true value lies in (lo, hi) given the comparator.
  const trueMin = cmp === '>' || cmp === '>=' ? v : cmp === '<' || cmp === '<=' ? -Infinity : v;
  const trueMax = cmp === '<' || cmp === '<=' ? v : cmp === '>' || cmp === '>=' ? Infinity : v;
  if (low !== undefined && (trueMax < low || (cmp === '<' && trueMax <= low))) return 'low';
  if (high !== undefined && (trueMin > high || (cmp === '>' && trueMin >= high))) return 'high';
  const withinLow = low === undefined || trueMin >= low;
  const withinHigh = high === undefined || trueMax <= high;
  return withinLow && withinHigh ? 'normal' : 'unknown';
}

function interpretationOf(o: fhir4.Observation): FlagDirection | 'normal' | undefined {
  const codes = (o.interpretation ?? []).flatMap((i) => i.coding ?? []).map((c) => c.code);
  if (codes.length === 0) return undefined;
  for (const code of codes) {
    const d = code ? INTERPRETATION[code] : undefined;
    if (d) return d;
  }
  return 'normal';
}

/** Flagged results among the done groups (guideline-rules §3.2). */
export function assessFlaggedResults(groups: readonly GroupAssessment[]): FlaggedResultsAssessment {
  const flagged: FlaggedResult[] = [];
  const notAssessable: FlaggedResultsAssessment['notAssessable'] = [];
  for (const g of groups) {
    const o = g.result;
    if (g.status !== 'done' || !o) continue;
    const interp = interpretationOf(o);
    if (interp !== undefined) {
      if (interp !== 'normal') flagged.push({ groupId: g.group.id, observation: o, direction: interp, basis: 'interpretation' });
      continue;
    }
    const range = o.referenceRange?.[0];
    const verdict = range && o.valueQuantity ? checkRange(o.valueQuantity, range) : 'unknown';
    if (verdict === 'unknown') notAssessable.push({ groupId: g.group.id, observation: o });
    else if (verdict !== 'normal') flagged.push({ groupId: g.group.id, observation: o, direction: verdict, basis: 'reference-range' });
  }
  return { flagged, notAssessable };
}

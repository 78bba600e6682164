import { completedAge, type AgeUnit } from '../model/age.js';
import { codingsOf } from '../model/codeableConcept.js';
import { timeUnit } from '../model/duration.js';
import { finiteNumber, isObject, lowerCode, nonBlank, objectList, type JsonObject } from '../model/json.js';
import type { FlagDirection, InterpretationWords, ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { parseFhirDateEnd } from './fhirDates.js';
import { limitNumber, type LabResult, type NumericValue } from './labResults.js';
import type { GroupAssessment } from './screeningPanel.js';

/** How many words before a flag word a negation reaches (docs/clinical-rules.md §3.2). */
const NEGATION_REACH = 2;


export interface FlaggedResult {
  groupId: string;
  analyteId: string;
  result: LabResult;
  direction: FlagDirection;
  /** How the flag was found: the lab's interpretation (code or text), or the value against the lab's own range. */
  basis: 'interpretation' | 'reference-range' | 'off-scale';
  /** Answered when its card was overridden "already addressed"/"not relevant" (§3.2, §6); false until feedback is stored. */
  answered: boolean;
}

/**
 * A flagged result's identity for quiet by design (docs/clinical-rules.md §6): "observationId:value"
 * (with its comparator). A corrected value or a new result is another key, so it shows at once.
 */
export function flaggedResultKey(r: Pick<FlaggedResult, 'result'>): string {
  const v = r.result.numeric ? `${r.result.numeric.comparator ?? ''}${r.result.numeric.value}` : (r.result.valueText ?? '');
  return `${r.result.key}:${v}`;
}

/** Why a result cannot be assessed automatically; the card says only "see the lab's report". */
export type NotAssessableReason = 'no-flag-or-range' | 'range-text-only' | 'no-normal-range' | 'unit-mismatch' | 'comparator' | 'not-numeric' | 'codes-disagree';

export interface NotAssessableResult {
  groupId: string;
  analyteId: string;
  result: LabResult;
  reason: NotAssessableReason;
}

export interface FlaggedResultsAssessment {
  flagged: FlaggedResult[];
  notAssessable: NotAssessableResult[];
}

/** What the rules know about the patient for reference ranges with `appliesTo`/`age` (Patient resource, optional). */
export interface PatientFacts {
  sex?: 'male' | 'female';
  birthDate?: number;
}

export type Verdict =
  | { kind: 'flag'; direction: FlagDirection; basis: FlaggedResult['basis'] }
  | { kind: 'normal' }
  | { kind: 'not-assessable'; reason: NotAssessableReason };

type Interpretation = { kind: 'flag'; direction: FlagDirection } | { kind: 'normal' } | { kind: 'off-scale'; comparator: '<' | '>' };

/** Sex and birth date from a Patient resource (any shape; nothing found → unknown). */
export function patientFacts(patient: unknown): PatientFacts {
  if (!isObject(patient)) return {};
  const out: PatientFacts = {};
  const gender = lowerCode(patient.gender);
  if (gender === 'male' || gender === 'female') out.sex = gender;
  // The last instant a partial birth date allows ("1975": 31 December), as for the age limit (§2).
  const birth = typeof patient.birthDate === 'string' ? parseFhirDateEnd(patient.birthDate) : undefined;
  if (birth !== undefined) out.birthDate = birth;
  return out;
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}*]+/u)
    .filter((w) => w !== '');
}

function directionOf(found: ReadonlySet<FlagDirection>): FlagDirection | undefined {
  if (found.has('abnormal') || (found.has('high') && found.has('low'))) return 'abnormal';
  if (found.has('high')) return 'high';
  if (found.has('low')) return 'low';
  return undefined;
}

/**
 * The lab's interpretation (docs/clinical-rules.md §3.2): codes from v3-ObservationInterpretation,
 * v2-0078 or with no system; text only when there is no code — a text that is exactly a code ("H") as that
 * code, else read by whole words, a negation making it no flag. One object (STU3/DSTU2) reads like an
 * array of one.
 */
function readInterpretation(raw: unknown, panel: ScreeningPanelCodes): Interpretation | undefined {
  const w: InterpretationWords = panel.interpretation;
  const found = new Set<FlagDirection>();
  let normal = false;
  let offScale: '<' | '>' | undefined;
  let anyCode = false;
  const texts: string[] = [];
  for (const concept of objectList(raw)) {
    const codings = codingsOf(concept);
    for (const coding of codings) {
      const code = nonBlank(coding.code)?.trim();
      if (!code) {
        const display = nonBlank(coding.display);
        if (display) texts.push(display);
        continue;
      }
      anyCode = true;
      if (!panel.isInterpretationSystem(coding.system)) continue; // a proprietary code: the range decides
      const upper = code.toUpperCase();
      for (const d of ['high', 'low', 'abnormal'] as const) if (w.codes[d].includes(upper)) found.add(d);
      if (w.codes.normal.includes(upper)) normal = true;
      // A Danish lab's "*" sent as the code (no system): a flag without direction, as it is when sent as text.
      if (w.directionless.includes(code)) found.add('abnormal');
      if (w.codes.offScaleBelow.includes(code)) offScale = '<';
      if (w.codes.offScaleAbove.includes(code)) offScale = '>';
    }
    const text = nonBlank(concept.text);
    if (text) texts.push(text);
  }
  const direction = directionOf(found);
  if (direction) return { kind: 'flag', direction };
  if (normal) return { kind: 'normal' };
  if (offScale) return { kind: 'off-scale', comparator: offScale };
  if (anyCode) return undefined;
  // Text only.
  for (const text of texts) {
    if (w.directionless.includes(text.trim())) return { kind: 'flag', direction: 'abnormal' };
    // A text that is exactly an interpretation code ("H", "LL", "N"): the lab's code written as text.
    const asCode = text.trim();
    for (const d of ['high', 'low', 'abnormal'] as const) if (w.codes[d].includes(asCode)) return { kind: 'flag', direction: d };
    if (w.codes.normal.includes(asCode)) return { kind: 'normal' };
    // A flag word counts unless a negation is one of the two words before it ("ikke forhøjet", "ingen
    // afvigende fund"): "Forhøjet, ingen hæmolyse" is still high.
    const ws = words(text);
    const hits = new Set<FlagDirection>();
    ws.forEach((x, i) => {
      const negated = ws.slice(Math.max(0, i - NEGATION_REACH), i).some((p) => w.negations.includes(p));
      if (!negated) for (const d of ['high', 'low', 'abnormal'] as const) if (w.words[d].includes(x)) hits.add(d);
    });
    const d = directionOf(hits);
    if (d) return { kind: 'flag', direction: d };
  }
  return undefined;
}

const SUPERSCRIPT_DIGITS: Record<string, string> = { '⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9' };

/** Units compared after normalising case, spaces, ^, *, ×, superscript powers and 10^9/10*9/10⁹ (§3.2). */
export function normaliseUnit(unit: string): string {
  return unit
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/[µμ]/g, 'u')
    .replace(/×/g, 'x')
    .replace(/10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)/g, (_m, p: string) => `10^${[...p].map((c) => SUPERSCRIPT_DIGITS[c] ?? '').join('')}`)
    .replace(/10[\^*]/g, '10e')
    .replace(/[\^*]/g, '')
    .replace(/^x(?=10e)/, '');
}

/** An age bound: its value and unit (years when none is given). */
function ageBound(q: unknown): { value: number; unit: AgeUnit } | undefined {
  if (!isObject(q)) return undefined;
  const v = finiteNumber(q.value);
  if (v === undefined) return undefined;
  const code = nonBlank(q.code);
  const written = nonBlank(q.unit);
  const unit = code === undefined && written === undefined ? 'a' : (timeUnit(code) ?? timeUnit(written));
  // A fractional number of years ("0.5 a") is counted in months.
  if (unit === 'a') return Number.isInteger(v) ? { value: v, unit: 'years' } : { value: v * 12, unit: 'months' };
  if (unit === 'mo') return { value: v, unit: 'months' };
  if (unit === 'wk') return { value: v, unit: 'weeks' };
  if (unit === 'd') return { value: v, unit: 'days' };
  return undefined;
}

/** Does a range's `appliesTo`/`age` fit the patient? undefined: the range applies to everyone. */
function fits(range: JsonObject, patient: PatientFacts, now: number, panel: ScreeningPanelCodes): boolean | undefined {
  const appliesTo = objectList(range.appliesTo);
  const age = isObject(range.age) ? range.age : undefined;
  if (appliesTo.length === 0 && !age) return undefined;
  for (const concept of appliesTo) {
    const keys = [nonBlank(concept.text), ...codingsOf(concept).flatMap((c) => [nonBlank(c.code), nonBlank(c.display)])].filter((k): k is string => k !== undefined);
    const sex = keys.map((k) => panel.sexOfRangeWord(k)).find((s) => s !== undefined);
    if (!sex || sex !== patient.sex) return false; // an unknown criterion, or another sex
  }
  if (age) {
    if (patient.birthDate === undefined) return false;
    const low = ageBound(age.low);
    const high = ageBound(age.high);
    if (low === undefined && high === undefined) return false;
    // Completed units of the bound's own unit, as ages are counted: 50½ years is 50 (in "18–50 a").
    const birth = patient.birthDate;
    if ((low !== undefined && completedAge(birth, now, low.unit) < low.value) || (high !== undefined && completedAge(birth, now, high.unit) > high.value)) return false;
  }
  return true;
}

interface Limits {
  low?: number;
  high?: number;
  unit?: string;
}

type RangeChoice = { limits: Limits } | { textOnly: true } | { noNormalRange: true } | undefined;

function limitsOf(range: JsonObject): Limits | undefined {
  const low = isObject(range.low) ? range.low : undefined;
  const high = isObject(range.high) ? range.high : undefined;
  const out: Limits = {};
  const l = limitNumber(low?.value);
  const h = limitNumber(high?.value);
  if (l !== undefined) out.low = l;
  if (h !== undefined) out.high = h;
  if (l === undefined && h === undefined) return undefined;
  const unit = nonBlank(low?.unit) ?? nonBlank(low?.code) ?? nonBlank(high?.unit) ?? nonBlank(high?.code);
  if (unit) out.unit = unit;
  return out;
}

/**
 * A normal range: no `type`, or type `normal` (referencerange-meaning). A `recommended`, `treatment` or
 * `therapeutic` range is a decision limit, not the lab's normal range: flagging against it would say the
 * wrong thing (a vitamin D "deficiency below 25" range would pass a value of 30 the normal range flags).
 */
function isNormalRange(range: JsonObject): boolean {
  if (range.type === undefined || range.type === null) return true;
  if (!isObject(range.type)) return false;
  const words = [nonBlank(range.type.text), ...codingsOf(range.type).flatMap((c) => [nonBlank(c.code), nonBlank(c.display)])];
  return words.some((w) => w?.trim().toLowerCase() === 'normal');
}

/**
 * The normal range whose appliesTo fits the patient, else one without appliesTo; a range in text only says
 * so, and so do ranges that are all of another type (both not assessable, never silently normal).
 */
function chooseRange(raw: unknown, patient: PatientFacts, now: number, panel: ScreeningPanelCodes): RangeChoice {
  const all = objectList(raw);
  if (all.length === 0) return undefined;
  const ranges = all.filter(isNormalRange);
  if (ranges.length === 0) return { noNormalRange: true };
  let general: JsonObject | undefined;
  for (const r of ranges) {
    const f = fits(r, patient, now, panel);
    if (f === true) {
      const limits = limitsOf(r);
      return limits ? { limits } : { textOnly: true };
    }
    if (f === undefined && !general) general = r;
  }
  if (general) {
    const limits = limitsOf(general);
    if (limits) return { limits };
    return nonBlank(general.text) ? { textOnly: true } : undefined;
  }
  return undefined;
}

function compareWithRange(v: NumericValue, limits: Limits): Verdict {
  const { low, high } = limits;
  const c = v.comparator;
  const x = v.value;
  if (c === undefined) {
    if (low !== undefined && x < low) return { kind: 'flag', direction: 'low', basis: 'reference-range' };
    if (high !== undefined && x > high) return { kind: 'flag', direction: 'high', basis: 'reference-range' };
    return { kind: 'normal' };
  }
  if (c === '<' || c === '<=') {
    // The true value is at most x.
    if (low !== undefined && (x < low || (c === '<' && x <= low))) return { kind: 'flag', direction: 'low', basis: 'reference-range' };
    if ((high === undefined || x <= high) && (low === undefined || low <= 0)) return { kind: 'normal' };
    return { kind: 'not-assessable', reason: 'comparator' };
  }
  // The true value is at least x.
  if (high !== undefined && (x > high || (c === '>' && x >= high))) return { kind: 'flag', direction: 'high', basis: 'reference-range' };
  return { kind: 'not-assessable', reason: 'comparator' };
}

/** One result against the lab's own interpretation and range (docs/clinical-rules.md §3.2). Never a range of our own. */
export function assessResult(r: LabResult, panel: ScreeningPanelCodes, patient: PatientFacts, now: number): Verdict {
  // The flag written after the value ("45 H") when the interpretation says nothing: read as that code in text.
  const interp = readInterpretation(r.interpretation, panel) ?? (r.valueFlag === undefined ? undefined : readInterpretation({ text: r.valueFlag }, panel));
  if (interp?.kind === 'flag') {
    // A flag without direction (A, AA, `*`) with a value outside the lab's own range: the range says which way,
    // so the card's hint is the one for that direction (a high vitamin D is no deficiency).
    if (interp.direction === 'abnormal') {
      const byValue = assessValue(r, undefined, panel, patient, now);
      if (byValue.kind === 'flag' && byValue.basis === 'reference-range') return byValue;
    }
    return { kind: 'flag', direction: interp.direction, basis: 'interpretation' };
  }
  if (interp?.kind === 'normal') return { kind: 'normal' };
  return assessValue(r, interp, panel, patient, now);
}

/** Steps 3 and 4 of §3.2: the value (with an off-scale code's comparator) against the lab's range. */
function assessValue(r: LabResult, interp: Interpretation | undefined, panel: ScreeningPanelCodes, patient: PatientFacts, now: number): Verdict {
  const value: NumericValue | undefined =
    r.numeric && interp?.kind === 'off-scale' && r.numeric.comparator === undefined ? { ...r.numeric, comparator: interp.comparator } : r.numeric;
  const offScale = value?.comparator ?? (interp?.kind === 'off-scale' ? interp.comparator : undefined);
  const range = chooseRange(r.referenceRange, patient, now, panel);
  if (range && 'textOnly' in range) return { kind: 'not-assessable', reason: 'range-text-only' };
  if (range && 'noNormalRange' in range) return { kind: 'not-assessable', reason: 'no-normal-range' };
  if (!range) {
    // No range: ">" counts as high; "<" as low only for the groups where a low value means something.
    if (offScale === '>' || offScale === '>=') return { kind: 'flag', direction: 'high', basis: 'off-scale' };
    if (offScale === '<' || offScale === '<=') {
      const lowIsLow = r.group.analytes?.find((a) => a.id === r.analyteId)?.offScaleLowIsLow ?? r.group.offScaleLowIsLow;
      return lowIsLow ? { kind: 'flag', direction: 'low', basis: 'off-scale' } : { kind: 'normal' };
    }
    return { kind: 'not-assessable', reason: 'no-flag-or-range' };
  }
  if (!value) return { kind: 'not-assessable', reason: 'not-numeric' };
  // A range without unit takes the value's, and a value without unit the range's (§3.2 step 4, as the
  // specification reads "5,9" against a range in mmol/L; README Limits): only two units given can differ.
  const unit = range.limits.unit ?? value.unit;
  const valueUnit = value.unit ?? unit;
  if (unit !== undefined && valueUnit !== undefined && normaliseUnit(unit) !== normaliseUnit(valueUnit)) {
    return { kind: 'not-assessable', reason: 'unit-mismatch' };
  }
  return compareWithRange(value, range.limits);
}

/**
 * Flagged and not-assessable results among the done groups' most recent results (§3.2); results whose codings
 * name different groups (`codesDisagree`) are never assessed against either group's range: not assessable.
 */
export function assessFlaggedResults(
  groups: readonly GroupAssessment[],
  panel: ScreeningPanelCodes,
  patient: PatientFacts,
  now: number,
  codesDisagree: readonly LabResult[] = [],
): FlaggedResultsAssessment {
  const flagged: FlaggedResult[] = [];
  const notAssessable: NotAssessableResult[] = [];
  for (const g of groups) {
    if (g.status !== 'done') continue;
    for (const result of g.results) {
      const v = assessResult(result, panel, patient, now);
      // Literals, not a shared base spread into each: on Node 20 a property added to a spread object costs ~0.5 µs.
      if (v.kind === 'flag') flagged.push({ groupId: g.group.id, analyteId: result.analyteId, result, direction: v.direction, basis: v.basis, answered: false });
      else if (v.kind === 'not-assessable') notAssessable.push({ groupId: g.group.id, analyteId: result.analyteId, result, reason: v.reason });
    }
  }
  for (const result of codesDisagree) notAssessable.push({ groupId: result.group.id, analyteId: result.analyteId, result, reason: 'codes-disagree' });
  return { flagged, notAssessable };
}

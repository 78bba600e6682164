import { codingsOf, isReadableConcept } from '../model/codeableConcept.js';
import type { DatePrecision, PreciseDate } from '../model/datePrecision.js';
import { finiteNumber, isObject, lowerCode, nonBlank, objectList, ownEntry, type JsonObject } from '../model/json.js';
import { SkippedResources } from '../model/skipped.js';
import type { CodeHit, LabCodeSystem, PanelGroup, ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { parseFhirDate, readFhirDate } from './fhirDates.js';

/**
 * Screening results as the rules read them (docs/clinical-rules.md §3.1, §3.2, §7): one LabResult per
 * panel analyte found in an Observation or in one of its `component`s. Everything is read leniently —
 * R4, STU3 and DSTU2 shapes, strings where numbers belong, single objects where arrays belong — and a
 * resource that cannot be read is skipped and named, never a 5xx.
 */

export type Comparator = '<' | '<=' | '>' | '>=';

export interface NumericValue {
  value: number;
  comparator?: Comparator;
  unit?: string;
}

export interface LabResult {
  /** Stable id for facts: the Observation's id, with `#<code>` for a component. */
  key: string;
  group: PanelGroup;
  /** The analyte within the group (differential: the cell type); else the group id. */
  analyteId: string;
  system: LabCodeSystem;
  /** The system URI as the lab sent it (the order code system follows the patient's own results). */
  systemUri: string;
  status: string | undefined;
  /** effective[x], else issued (epoch ms; a partial date's first instant). */
  time?: number;
  /** The precision `time` was written at ("2026-08": month), for showing it; absent: the day. */
  timePrecision?: DatePrecision;
  issued?: number;
  /** A number (valueQuantity, valueInteger, or a numeric valueString such as "<10" or "5,9"). */
  numeric?: NumericValue;
  /**
   * The lab's flag written after a numeric valueString ("45 H": 45, flag "H"), read as the interpretation when
   * `interpretation` says nothing (docs/clinical-rules.md §3.2 step 3).
   */
  valueFlag?: string;
  /** A value that is not a number (a coded or textual result), as text. */
  valueText?: string;
  hasValue: boolean;
  /** Raw `interpretation` and `referenceRange` (an array, or one object from STU3/DSTU2). */
  interpretation: unknown;
  referenceRange: unknown;
  /**
   * The other panel groups its codings name, when they name more than one (TSH in LOINC beside CK in NPU): `group`
   * is then only the first coding's, and the result counts for none of them (docs/clinical-rules.md §3.2).
   * Absent when the codings agree.
   */
  codedAlsoAs?: readonly PanelGroup[];
}

const COMPARATORS: Record<string, Comparator> = { '<': '<', '<=': '<=', '>': '>', '>=': '>=', '≤': '<=', '≥': '>=' };
// The spaces after a comparator only with the comparator: `\s*(…)?\s*` split a run of spaces between two
// `\s*` every way before failing, quadratic in its length (a 100 KB valueString of spaces took 41 s).
const NUMBER_TEXT = /^\s*(?:(<=|>=|≤|≥|<|>)\s*)?([+-]?\d+(?:[.,]\d+)?)\s*([^\d\s<>=≤≥].*)?$/u;
/** Text that begins as a number does (a lab's value, not a comment such as "Hæmolyseret prøve"). */
const NUMBER_START = /^\s*(?:(<=|>=|≤|≥|<|>)\s*)?[+-]?\d/u;
/**
 * "1.234" is 1234 in Danish (a thousands point) and 1.234 in English; "1,234" is 1.234 in Danish and 1234 in
 * English: neither is read as either. A number that goes on as one ("1.234,5", "5,", "5.2e0", "1 234") is not
 * cut short either. A leading zero ("0,125") or other than three decimals ("12,5") is no thousands separator.
 */
const AMBIGUOUS_THOUSANDS = /^[+-]?[1-9]\d{0,2}[.,]\d{3}$/;
const NUMBER_GOES_ON = /^(?:[.,]|[eE][+-]?\d)/;

/**
 * "5,9", "<10", ">100", "≥ 3", "7.9 mmol/L" → a number with comparator and unit; anything else, and a
 * number that cannot be read for certain ("1.234", "1.234,5"), → undefined.
 */
function parseNumberText(text: string): NumericValue | undefined {
  const m = NUMBER_TEXT.exec(numberForm(text));
  if (!m) return undefined;
  if (AMBIGUOUS_THOUSANDS.test(m[2] as string) || (m[3] !== undefined && NUMBER_GOES_ON.test(m[3]))) return undefined;
  const unit = m[3] === undefined ? undefined : unitAfterNumber(m[3]);
  if (unit === null) return undefined;
  const value = Number((m[2] as string).replace(',', '.'));
  if (!Number.isFinite(value)) return undefined;
  const out: NumericValue = { value };
  const comparator = m[1] ? ownEntry(COMPARATORS, m[1]) : undefined;
  if (comparator) out.comparator = comparator;
  if (unit) out.unit = unit;
  return out;
}

/**
 * The text after a number as a unit ("mmol/L"; "x 10^9/L" and "10^9 / L" closed up); null when it is no unit
 * but a range ("2-3", "2 - 3") or a comment ("2,0 se kommentar"): the number then cannot be read for certain
 * (§3.2 step 3). Taken as a unit, such text would be the unit a range without one adopts, and the value judged.
 */
function unitAfterNumber(rest: string): string | undefined | null {
  // Split and joined, not a regular expression with \s* on both sides of "/": linear on any text.
  const t = rest
    .trim()
    .replace(/^([x×*])\s+(?=\d)/i, '$1')
    .split('/')
    .map((part) => part.trim())
    .join('/');
  if (t === '') return undefined;
  return /\s/.test(t) || /^[-+–−]/.test(t) ? null : t;
}

/**
 * Text as a number is read: full-width forms as their ASCII ("＞１００" is ">100") and the minus sign U+2212 as
 * "-". Not NFKC as a whole: it would make the unit "10⁹/L" "109/L".
 */
function numberForm(text: string): string {
  return /[\uff01-\uff5e\u2212]/.test(text) ? text.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u2212/g, '-') : text;
}

/** A reference range's limit: a number, or a number in text ("7,3"), with no comparator. */
export function limitNumber(raw: unknown): number | undefined {
  const n = finiteNumber(raw);
  if (n !== undefined || typeof raw !== 'string') return n;
  const parsed = parseNumberText(raw);
  return parsed && parsed.comparator === undefined ? parsed.value : undefined;
}

function quantity(q: unknown): NumericValue | undefined {
  if (!isObject(q)) return undefined;
  const raw = q.value;
  const parsed = typeof raw === 'string' ? parseNumberText(raw) : undefined;
  const value = finiteNumber(raw) ?? parsed?.value;
  if (value === undefined) return undefined;
  const out: NumericValue = { value };
  const comparator = typeof q.comparator === 'string' ? ownEntry(COMPARATORS, q.comparator.trim()) : parsed?.comparator;
  if (comparator) out.comparator = comparator;
  const unit = nonBlank(q.unit) ?? nonBlank(q.code);
  if (unit) out.unit = unit.trim();
  return out;
}

/** Text written as a number (that was not read as one), as written with its unit. */
function numberAsWritten(text: unknown, unit?: string): string | undefined {
  if (typeof text !== 'string' || !NUMBER_START.test(numberForm(text))) return undefined;
  const written = text.trim().slice(0, 40);
  return unit ? `${written} ${unit.trim().slice(0, 20)}` : written;
}

function conceptText(c: unknown): string | undefined {
  if (!isObject(c)) return nonBlank(c);
  const coding = codingsOf(c)[0];
  return nonBlank(c.text) ?? nonBlank(coding?.display) ?? nonBlank(coding?.code);
}

/** "Over 100" as ">100", read as a number; undefined when the text is no comparator word and number. */
function parseWithComparatorWord(text: string, panel: ScreeningPanelCodes): NumericValue | undefined {
  const symbolic = panel.withComparatorSymbol(text);
  return symbolic === undefined ? undefined : parseNumberText(symbolic);
}

/** The value of an Observation or a component. */
function readValue(o: JsonObject, panel: ScreeningPanelCodes): Pick<LabResult, 'numeric' | 'valueText' | 'hasValue' | 'valueFlag'> {
  const integer = finiteNumber(o.valueInteger);
  const valueString = typeof o.valueString === 'string' ? o.valueString : undefined;
  // "45 H", "5,2 mmol/L L": the lab's flag after the number (read whole, "H" would be the unit).
  const flagged = valueString === undefined || o.valueQuantity !== undefined || integer !== undefined ? undefined : panel.withoutTrailingFlag(valueString);
  if (flagged) {
    const numeric = parseNumberText(flagged.value) ?? parseWithComparatorWord(flagged.value, panel);
    if (numeric) return { numeric, hasValue: true, valueFlag: flagged.flag };
  }
  // "Over 100", "mindre end 0,5": a comparator in words before a number (interpretation-words.json `comparatorWords`),
  // written with its symbol (">100"); looked for once, only in a valueString that is no number as written.
  let symbolic: string | undefined;
  const numeric =
    quantity(o.valueQuantity) ??
    (integer !== undefined ? { value: integer } : undefined) ??
    (valueString === undefined
      ? undefined
      : (parseNumberText(valueString) ?? ((symbolic = panel.withComparatorSymbol(valueString)) === undefined ? undefined : parseNumberText(symbolic))));
  if (numeric) return { numeric, hasValue: true };
  // A valueString that is no number (a lab comment such as "Hæmolyseret prøve") is no value; one written as a
  // number that cannot be read for certain ("1.234", "1 234"), in valueString or as valueQuantity's value, or a
  // result in words ("neg", "ikke påvist"; terminology/interpretation-words.json) is a value, shown as written,
  // not assessed.
  const text =
    numberAsWritten(o.valueString) ??
    // "Over 1.000", "Over 100-200": a number after a comparator word, not read for certain, as ">1.000" is.
    (symbolic !== undefined && valueString !== undefined ? valueString.trim().slice(0, 40) : undefined) ??
    panel.resultInWords(o.valueString) ??
    (isObject(o.valueQuantity) ? numberAsWritten(o.valueQuantity.value, nonBlank(o.valueQuantity.unit) ?? nonBlank(o.valueQuantity.code)) : undefined) ??
    conceptText(o.valueCodeableConcept) ??
    (typeof o.valueBoolean === 'boolean' ? String(o.valueBoolean) : undefined) ??
    (isObject(o.valueRange) || isObject(o.valueRatio) || isObject(o.valueSampledData) || isObject(o.valuePeriod) ? '…' : undefined) ??
    nonBlank(o.valueTime) ??
    nonBlank(o.valueDateTime);
  return text === undefined ? { hasValue: false } : { valueText: text, hasValue: true };
}

function timeOf(o: JsonObject): PreciseDate | undefined {
  const period = isObject(o.effectivePeriod) ? o.effectivePeriod : {};
  return (
    readFhirDate(o.effectiveDateTime) ?? readFhirDate(o.effectiveInstant) ?? readFhirDate(period.start) ?? readFhirDate(period.end) ?? readFhirDate(o.issued)
  );
}

/**
 * The panel results one Observation holds: its own code, and each component's. A DiagnosticReport gives
 * none itself: the data stage has already put its contained Observations in the list as Observations of
 * their own, with the report's date, subject and status where they lack them, and withdrawn with a report
 * entered in error or cancelled (src/data/bundleEntries.ts). Reading them here as well had counted a
 * result of a withdrawn report under a second key, with its own `final` status.
 */
export function readLabResult(resource: unknown, panel: ScreeningPanelCodes): LabResult[] {
  const out: LabResult[] = [];
  readLabResultInto(resource, panel, out);
  return out;
}

/**
 * readLabResult appending to `out`: the list of every result is filled directly, without an array per
 * Observation (an array's first push reserves room for 17 items; 200 Observations a patient-view).
 */
function readLabResultInto(resource: unknown, panel: ScreeningPanelCodes, out: LabResult[]): void {
  if (!isObject(resource) || resource.resourceType !== 'Observation') return;
  const rawId = nonBlank(resource.id)?.trim();
  const time = timeOf(resource);
  // An Observation sent without an id is named by when it was taken (and, per result, by its code): quiet by
  // design keys a flagged result by this (§6), and one shared name would make every id-less result of a value
  // "already answered" once one was.
  const ownId = rawId === undefined ? `no-id@${time?.at ?? 'undated'}` : rawId.startsWith('#') ? rawId.slice(1) : rawId;
  const observation: ObservationBase = {
    id: ownId,
    idless: rawId === undefined,
    status: lowerCode(resource.status),
    time: time?.at,
    timePrecision: time?.precision,
    issued: parseFhirDate(resource.issued),
  };
  // Read for every Observation of every patient-view: no intermediate arrays (components as one object count).
  readPart(resource, false, observation, panel, out);
  const components = resource.component;
  if (Array.isArray(components)) {
    for (const c of components) if (isObject(c)) readPart(c, true, observation, panel, out);
  } else if (isObject(components)) readPart(components, true, observation, panel, out);
}

interface ObservationBase {
  id: string;
  /** Sent without an id: `id` is made from its time, and each result's key adds its code. */
  idless: boolean;
  status: string | undefined;
  time: number | undefined;
  timePrecision: DatePrecision | undefined;
  issued: number | undefined;
}

/**
 * The panel result of the Observation itself or one component, by the first coding that names a panel group.
 * One measurement coded twice within a group (NPU10267 beside a LOINC 1989-3 sent for the same total vitamin
 * D, a common mislabel) is one result, not two of two analytes. Codings that name different groups (TSH in
 * LOINC beside CK in NPU) disagree on what was measured: one result, carrying the other groups in
 * `codedAlsoAs`, which counts for none of them (docs/clinical-rules.md §3.2).
 */
function readPart(part: JsonObject, component: boolean, observation: ObservationBase, panel: ScreeningPanelCodes, out: LabResult[]): void {
  const codings = isObject(part.code) ? part.code.coding : undefined;
  if (Array.isArray(codings)) {
    // The groups this part already named are the results pushed since `first` (no `seen` array).
    const first = out.length;
    for (const coding of codings) {
      if (!isObject(coding)) continue;
      const hit = panel.groupOf(coding);
      if (!hit || givenSince(out, first, hit.group.id)) continue;
      out.push(labResult(part, component, observation, coding, hit, panel));
    }
    const result = out[first];
    if (result !== undefined && out.length - first > 1) {
      result.codedAlsoAs = out.slice(first + 1).map((r) => r.group);
      out.length = first + 1;
    }
  } else if (isObject(codings)) {
    const hit = panel.groupOf(codings);
    if (hit) out.push(labResult(part, component, observation, codings, hit, panel));
  }
}

function givenSince(out: readonly LabResult[], first: number, groupId: string): boolean {
  for (let i = first; i < out.length; i++) if ((out[i] as LabResult).group.id === groupId) return true;
  return false;
}

function labResult(part: JsonObject, component: boolean, observation: ObservationBase, coding: JsonObject, hit: CodeHit, panel: ScreeningPanelCodes): LabResult {
  const key = component || observation.idless ? `${observation.id}#${String(coding.code).trim()}` : observation.id;
  const { group, analyteId, system } = hit;
  const systemUri = String(coding.system).trim();
  const { status } = observation;
  const { interpretation, referenceRange } = part;
  const value = readValue(part, panel);
  const { hasValue } = value;
  // Listed, not spread: a spread inside a literal is V8's slow path (~0.3 µs; 200 results a call). `time`,
  // `timePrecision` and `issued` are in the literal even when undefined: added afterwards they needed a second property store.
  const { time, timePrecision, issued } = observation;
  if (value.valueFlag !== undefined) {
    return { key, group, analyteId, system, systemUri, status, time, timePrecision, issued, numeric: value.numeric, hasValue, interpretation, referenceRange, valueFlag: value.valueFlag };
  }
  return value.numeric !== undefined
    ? { key, group, analyteId, system, systemUri, status, time, timePrecision, issued, numeric: value.numeric, hasValue, interpretation, referenceRange }
    : value.valueText !== undefined
      ? { key, group, analyteId, system, systemUri, status, time, timePrecision, issued, valueText: value.valueText, hasValue, interpretation, referenceRange }
      : { key, group, analyteId, system, systemUri, status, time, timePrecision, issued, hasValue, interpretation, referenceRange };
}

/**
 * Why an Observation that was read cannot be used, if it cannot (docs/clinical-rules.md §7): one that
 * gave no panel result and has no readable code, on itself or a component, is unreadable (a code that is
 * readable but not in the panel is irrelevant); a panel result without a status neither counts nor is
 * pending. Checked only after reading, so the usual Observation costs nothing more.
 */
function unreadableObservation(o: unknown, results: readonly LabResult[], first: number): string | undefined {
  if (!isObject(o) || o.resourceType !== 'Observation') return undefined;
  if (results.length > first) return (results[first] as LabResult).status === undefined ? 'no status' : undefined;
  if (isReadableConcept(o.code) || objectList(o.component).some((c) => isReadableConcept(c.code))) return undefined;
  return 'no readable code';
}

/** Every panel result of the Observations; an Observation that cannot be read is skipped and named. */
export function readLabResults(observations: readonly unknown[], panel: ScreeningPanelCodes, skipped: SkippedResources = new SkippedResources()): LabResult[] {
  const out: LabResult[] = [];
  // Into one list, not an array per Observation then flattened. An Observation that throws half-way, or
  // turns out unreadable, is skipped whole, as SkippedResources.readEach does: its results are taken back.
  for (const o of observations) {
    const before = out.length;
    let reason: string | undefined;
    try {
      readLabResultInto(o, panel, out);
      reason = unreadableObservation(o, out, before);
      if (reason === undefined) continue;
    } catch {
      // A reading that throws names no reason: its error's text may hold data.
    }
    out.length = before;
    skipped.add(o, 'observation', reason);
  }
  return out;
}

const STATUS_RANK: Record<string, number> = { corrected: 1, amended: 1, final: 0 };

/**
 * Which of two results of the same analyte is the most recent (docs/clinical-rules.md §3.2): later
 * effective time; on a tie corrected/amended beats final, then the later `issued`, then the id — never
 * the Bundle order. Positive when `a` wins.
 */
export function compareRecency(a: LabResult, b: LabResult): number {
  return (
    (a.time ?? -Infinity) - (b.time ?? -Infinity) ||
    (ownEntry(STATUS_RANK, a.status ?? '') ?? 0) - (ownEntry(STATUS_RANK, b.status ?? '') ?? 0) ||
    (a.issued ?? -Infinity) - (b.issued ?? -Infinity) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

import type { LabCodeSystem, PanelGroup, ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { DAY_MS, observationTime, parseFhirDate } from './fhirDates.js';
import type { Scope } from './scope.js';

export interface ScreeningSettings {
  lookbackDays: number;
  pendingDays: number;
}

export type GroupStatus = 'done' | 'pending' | 'missing';

export interface GroupAssessment {
  group: PanelGroup;
  status: GroupStatus;
  /** The most recent counting result (done groups). */
  result?: fhir4.Observation;
}

export interface ScreeningAssessment {
  groups: GroupAssessment[];
  missing: PanelGroup[];
  pending: PanelGroup[];
  /** The code system to order in: the one the patient's own results use (NPU when their labs are NPU). */
  orderSystem: { kind: LabCodeSystem; uri: string };
  /** Final panel results that were not counted because they carry no date. */
  undatedResults: number;
}

const COUNTING_STATUS = new Set(['final', 'amended', 'corrected']);
const PENDING_STATUS = new Set(['registered', 'preliminary']);

function hasValue(o: fhir4.Observation): boolean {
  return (
    o.valueQuantity !== undefined ||
    o.valueCodeableConcept !== undefined ||
    (typeof o.valueString === 'string' && o.valueString.trim() !== '') ||
    typeof o.valueBoolean === 'boolean' ||
    typeof o.valueInteger === 'number' ||
    o.valueRange !== undefined ||
    o.valueRatio !== undefined ||
    o.valueSampledData !== undefined ||
    typeof o.valueTime === 'string' ||
    typeof o.valueDateTime === 'string' ||
    o.valuePeriod !== undefined
  );
}

function groupsOf(concept: fhir4.CodeableConcept | undefined, panel: ScreeningPanelCodes): Map<string, LabCodeSystem> {
  const found = new Map<string, LabCodeSystem>();
  for (const coding of concept?.coding ?? []) {
    const hit = panel.groupOf(coding);
    if (hit) found.set(hit.group.id, hit.system);
  }
  return found;
}

/**
 * The biochemical screening (guideline-rules §3.1): for each of the 16 groups, done / pending / missing.
 * A result counts when final, valued and dated on or after the anchor minus the look-back, so a work-up
 * done around the diagnosis stays valid later and nothing is re-ordered every year.
 */
export function assessScreening(
  observations: readonly fhir4.Observation[],
  serviceRequests: readonly fhir4.ServiceRequest[],
  panel: ScreeningPanelCodes,
  scope: Scope,
  settings: ScreeningSettings,
  now: number,
): ScreeningAssessment {
  const cutoff = scope.anchor - settings.lookbackDays * DAY_MS;
  const pendingSince = now - settings.pendingDays * DAY_MS;
  const latest = new Map<string, { o: fhir4.Observation; t: number }>();
  const pending = new Set<string>();
  const npuUris = new Map<string, number>();
  let loincResults = 0;
  let undatedResults = 0;

  for (const o of observations) {
    if (o.resourceType !== 'Observation') continue;
    const groups = groupsOf(o.code, panel);
    if (groups.size === 0) continue;
    for (const coding of o.code?.coding ?? []) {
      const kind = panel.systemKindOf(coding.system);
      if (kind === 'npu' && coding.system) npuUris.set(coding.system, (npuUris.get(coding.system) ?? 0) + 1);
      if (kind === 'loinc') loincResults++;
    }
    const t = observationTime(o);
    const status = o.status as string;
    if (COUNTING_STATUS.has(status) && hasValue(o)) {
      if (t === undefined) {
        undatedResults++;
        continue;
      }
      if (t < cutoff) continue;
      for (const id of groups.keys()) {
        const prev = latest.get(id);
        if (!prev || t > prev.t) latest.set(id, { o, t });
      }
    } else if (PENDING_STATUS.has(status) && t !== undefined && t >= pendingSince) {
      for (const id of groups.keys()) pending.add(id);
    }
  }

  for (const sr of serviceRequests) {
    if (sr.resourceType !== 'ServiceRequest' || sr.status !== 'active') continue;
    const authored = parseFhirDate(sr.authoredOn);
    if (authored === undefined || authored < pendingSince) continue;
    for (const id of groupsOf(sr.code, panel).keys()) pending.add(id);
  }

  const groups: GroupAssessment[] = panel.groups.map((group) => {
    const hit = latest.get(group.id);
    if (hit) return { group, status: 'done', result: hit.o };
    return { group, status: pending.has(group.id) ? 'pending' : 'missing' };
  });

  // Order in NPU when the patient's own results are mostly NPU, under the NPU URI they use most.
  const npuTotal = [...npuUris.values()].reduce((a, b) => a + b, 0);
  const topNpu = [...npuUris.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const orderSystem =
    npuTotal > 0 && npuTotal >= loincResults && topNpu
      ? { kind: 'npu' as const, uri: topNpu.replace(/\/$/, '') }
      : { kind: 'loinc' as const, uri: panel.systems.loinc[0] ?? 'http://loinc.org' };

  return {
    groups,
    missing: groups.filter((g) => g.status === 'missing').map((g) => g.group),
    pending: groups.filter((g) => g.status === 'pending').map((g) => g.group),
    orderSystem,
    undatedResults,
  };
}

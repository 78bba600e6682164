import { startOfDanishDay } from '../model/danishTime.js';
import { DAY_MS } from '../model/duration.js';
import { codingsOf, isReadableConcept } from '../model/codeableConcept.js';
import type { DatePrecision, PreciseDate } from '../model/datePrecision.js';
import { isObject, lowerCode, objectList } from '../model/json.js';
import { SkippedResources, UnreadableResource } from '../model/skipped.js';
import type { LabCodeSystem, PanelGroup, ScreeningPanelCodes } from '../terminology/screeningPanelCodes.js';
import { readFhirDate } from './fhirDates.js';
import { compareRecency, readLabResults, type LabResult } from './labResults.js';
import type { Scope } from './scope.js';

/** `auto`: the code system of the patient's own results (LOINC when none); else always NPU or LOINC. */
export type LabOrderCodeSystem = 'auto' | LabCodeSystem;

export interface ScreeningSettings {
  lookbackDays: number;
  pendingDays: number;
  /** docs/clinical-rules.md §7, `LAB_ORDER_CODE_SYSTEM`; default auto. */
  orderCodeSystem?: LabOrderCodeSystem;
}

type GroupStatus = 'done' | 'pending' | 'stale' | 'missing';

export interface GroupAssessment {
  group: PanelGroup;
  status: GroupStatus;
  /** Done groups: the most recent counting result of each analyte (one for most groups, up to five for the differential). */
  results: LabResult[];
}

/** An open order older than the pending window, or undated: "renew or cancel" (§3.1). */
export interface StaleOrder {
  group: PanelGroup;
  /** When it was ordered (the later of authoredOn/meta.lastUpdated and occurrence[x]); undefined: no date. */
  orderedAt?: number;
  /** The precision `orderedAt` was written at ("2026-06": month), for showing it; absent: the day. */
  orderedAtPrecision?: DatePrecision;
  /** Ordered for a date more than SCREENING_PENDING_DAYS ahead: no result within the work-up ("ordered for <date>"). */
  later?: true;
}

export interface ScreeningAssessment {
  groups: GroupAssessment[];
  missing: PanelGroup[];
  pending: PanelGroup[];
  stale: StaleOrder[];
  /** The code system to order in (LAB_ORDER_CODE_SYSTEM; auto: NPU when the patient's labs are NPU). */
  orderSystem: { kind: LabCodeSystem; uri: string };
  /** Final panel results that were not counted because they carry no date. */
  undatedResults: number;
  /** The ServiceRequests could not be read: open orders are unknown, so nothing may be ordered. */
  openOrdersUnknown: boolean;
  /**
   * Results that would count but whose codings name different groups (LabResult.codedAlsoAs): counted for
   * none, listed as not assessable (§3.2); the most recent of each set of groups, in the order read.
   */
  codesDisagree: LabResult[];
}

// `appended` and `partial` are DiagnosticReport statuses, which Observations contained in a report take (§7).
const COUNTING_STATUS = new Set(['final', 'amended', 'corrected', 'appended']);
const PENDING_STATUS = new Set(['registered', 'preliminary', 'partial']);

/**
 * An order's statuses, by the resource type that holds it (§3.1): R4 ServiceRequest, STU3 ProcedureRequest
 * (http://hl7.org/fhir/STU3/codesystem-request-status.html) and DSTU2 DiagnosticOrder
 * (http://hl7.org/fhir/DSTU2/valueset-diagnostic-order-status.html). `open`: the test may still be taken on
 * it; `tentative` (of the open ones): a draft or a request that orders nothing yet (DSTU2's proposed and planned
 * are R4's intents proposal and plan); `closed`: it orders nothing. A status in none of them (`unknown`, or
 * another version's word) is not one this reads: the order is unreadable, never taken for closed.
 */
interface OrderStatuses {
  open: ReadonlySet<string>;
  tentative: ReadonlySet<string>;
  closed: ReadonlySet<string>;
}
// A Map, not an object: a resourceType such as "toString" must find nothing.
const ORDER_STATUSES: ReadonlyMap<string, OrderStatuses> = new Map([
  ['ServiceRequest', { open: new Set(['draft', 'active', 'on-hold']), tentative: new Set(['draft']), closed: new Set(['revoked', 'completed', 'entered-in-error']) }],
  ['ProcedureRequest', { open: new Set(['draft', 'active', 'suspended']), tentative: new Set(['draft']), closed: new Set(['cancelled', 'completed', 'entered-in-error']) }],
  [
    'DiagnosticOrder',
    {
      open: new Set(['proposed', 'draft', 'planned', 'requested', 'received', 'accepted', 'in-progress', 'review', 'suspended']),
      tentative: new Set(['proposed', 'draft', 'planned']),
      closed: new Set(['completed', 'cancelled', 'rejected', 'failed', 'entered-in-error']),
    },
  ],
]);

/** The statuses in which an order of this type (ServiceRequest, ProcedureRequest, DiagnosticOrder) is open, for the search that reads them. */
export function openOrderStatuses(type: 'ServiceRequest' | 'ProcedureRequest' | 'DiagnosticOrder'): string[] {
  return [...(ORDER_STATUSES.get(type)?.open ?? [])];
}

/** RequestIntent values that authorise no one to act (FHIR R4): such a request is no order, as a draft is none. */
const NOT_AN_ORDER_INTENT = new Set(['proposal', 'plan', 'directive', 'option']);

interface OpenOrder {
  status: string;
  /** A draft, or a request whose intent orders nothing (a proposal, a plan): pending while recent, never stale. */
  tentative: boolean;
  date: PreciseDate | undefined;
  /**
   * The earliest day the sample may be taken, when the order says (occurrenceDateTime, occurrencePeriod.start,
   * the first occurrenceTiming.event): an order whose window opens today is awaited however late it closes.
   */
  firstSampling: number | undefined;
  groups: Set<string>;
}

const PRECISION_RANK: Record<DatePrecision, number> = { year: 0, month: 1, day: 2 };

/** The later of two dates; of two with the same first instant ("2026-06", "2026-06-01") the more precise. */
function laterDate(a: PreciseDate, b: PreciseDate): PreciseDate {
  return a.at !== b.at ? (a.at > b.at ? a : b) : PRECISION_RANK[a.precision] >= PRECISION_RANK[b.precision] ? a : b;
}

/** occurrence[x]'s dates: occurrenceDateTime, occurrencePeriod's start and end, occurrenceTiming's events. */
function occurrenceDates(sr: Record<string, unknown>): { starts: PreciseDate[]; end: PreciseDate | undefined } {
  const period = isObject(sr.occurrencePeriod) ? sr.occurrencePeriod : {};
  const timing = isObject(sr.occurrenceTiming) ? sr.occurrenceTiming : {};
  const starts = [readFhirDate(sr.occurrenceDateTime), readFhirDate(period.start), ...(Array.isArray(timing.event) ? timing.event.map(readFhirDate) : [])].filter(
    (d): d is PreciseDate => d !== undefined,
  );
  return { starts, end: readFhirDate(period.end) };
}

/**
 * When a DSTU2 DiagnosticOrder was placed, which it writes as an event: the `requested` event's dateTime, else its
 * first event's (R4's authoredOn).
 */
function placedAt(order: Record<string, unknown>): PreciseDate | undefined {
  const events = objectList(order.event).flatMap((e) => {
    const at = readFhirDate(e.dateTime);
    return at === undefined ? [] : [{ at, requested: lowerCode(e.status) === 'requested' }];
  });
  const first = (list: typeof events): PreciseDate | undefined => list.map((e) => e.at).reduce<PreciseDate | undefined>((a, b) => (a === undefined || b.at < a.at ? b : a), undefined);
  return first(events.filter((e) => e.requested)) ?? first(events);
}

/**
 * An open order's date, the later of authoredOn (DSTU2: when it was placed, placedAt; else meta.lastUpdated)
 * and occurrence[x]; and the earliest day it names for sampling (see OpenOrder.firstSampling).
 */
function orderDates(sr: Record<string, unknown>): Pick<OpenOrder, 'date' | 'firstSampling'> {
  const meta = isObject(sr.meta) ? sr.meta : {};
  const { starts, end } = occurrenceDates(sr);
  const authored = readFhirDate(sr.authoredOn) ?? (sr.resourceType === 'DiagnosticOrder' ? placedAt(sr) : undefined) ?? readFhirDate(meta.lastUpdated);
  const dates = [authored, ...starts, end].filter((d): d is PreciseDate => d !== undefined);
  return {
    date: dates.length > 0 ? dates.reduce(laterDate) : undefined,
    firstSampling: starts.length > 0 ? Math.min(...starts.map((d) => d.at)) : undefined,
  };
}

/**
 * A result whose codings disagree (LabResult.codedAlsoAs) is no longer worth listing when every group it names
 * has a counting result taken after it: the newer results answer for each of those tests.
 */
function supersededInEveryGroup(r: LabResult, latest: ReadonlyMap<string, ReadonlyMap<string, LabResult>>): boolean {
  const taken = r.time ?? -Infinity;
  return [r.group, ...(r.codedAlsoAs ?? [])].every((g) => [...(latest.get(g.id)?.values() ?? [])].some((later) => (later.time ?? -Infinity) > taken));
}

/**
 * The panel groups a concept names: each coding that names any (an analyte code its group, a panel code those
 * it covers), each distinct set once. Codings naming the same groups cannot disagree, and comparing every pair
 * of thousands of codings was quadratic; the distinct sets are few (the panel's codes). Codings whose sets have
 * no group in common name different tests (TSH beside CK, a blood count panel beside TSH): unreadable (§7).
 */
function groupsNamed(code: unknown, panel: ScreeningPanelCodes): Set<string> {
  const groups = new Set<string>();
  let named: Map<string, string[]> | undefined;
  for (const coding of codingsOf(code)) {
    const hit = panel.groupOf(coding);
    const ofCoding = [...(hit ? [hit.group.id] : []), ...(panel.panelOf(coding)?.covers ?? [])];
    if (ofCoding.length === 0) continue;
    for (const id of ofCoding) groups.add(id);
    (named ??= new Map()).set(ofCoding.join('|'), ofCoding);
  }
  const sets = named === undefined ? [] : [...named.values()];
  if (sets.some((a, i) => sets.slice(i + 1).some((b) => !b.some((id) => a.includes(id))))) {
    throw new UnreadableResource('codes name different tests');
  }
  return groups;
}

/**
 * The tests an order that is not closed asks for, each with its status: an R4 ServiceRequest's or STU3
 * ProcedureRequest's `code` under the order's status; a DSTU2 DiagnosticOrder's `item`s (one order may ask for
 * several tests), each under its own status, else the order's. A DiagnosticOrder's `code` (R4's, sent by a
 * converter) is one more test.
 */
function orderedTests(resource: Record<string, unknown>, status: string | undefined): Array<{ code: unknown; status: string | undefined }> {
  if (resource.resourceType !== 'DiagnosticOrder') return [{ code: resource.code, status }];
  const items = objectList(resource.item).map((item) => ({ code: item.code, status: lowerCode(item.status) ?? status }));
  return resource.code === undefined ? items : [...items, { code: resource.code, status }];
}

/**
 * The open orders of panel groups in one resource: none when it is closed or orders none; a DSTU2
 * DiagnosticOrder may give several (one per item). An order of a type this does not read (another resource
 * misfiled) gives none. One without a status, with a status that is neither open nor closed ("unknown"),
 * without a readable code, or whose codings name different tests (no group in common: TSH beside CK, a blood
 * count panel beside TSH) is unreadable (§7): it might be an open order of the panel, so it is named and
 * nothing is ordered; so is a DiagnosticOrder that is not closed and has no item.
 */
function readOpenOrders(resource: unknown, panel: ScreeningPanelCodes): OpenOrder[] {
  if (!isObject(resource)) return [];
  const statuses = typeof resource.resourceType === 'string' ? ORDER_STATUSES.get(resource.resourceType) : undefined;
  if (statuses === undefined) return [];
  // "Do not perform" orders nothing: the test is not pending (nor stale).
  if (resource.doNotPerform === true) return [];
  // A closed order orders nothing, whatever it is for: one without a readable code (a referral) is no unknown.
  const orderStatus = lowerCode(resource.status);
  if (orderStatus !== undefined && statuses.closed.has(orderStatus)) return [];
  const tests = orderedTests(resource, orderStatus);
  if (tests.length === 0) throw new UnreadableResource(orderStatus ? 'no readable code' : 'no status');
  const intent = lowerCode(resource.intent);
  const nothingOrdered = intent !== undefined && NOT_AN_ORDER_INTENT.has(intent);
  let dates: Pick<OpenOrder, 'date' | 'firstSampling'> | undefined;
  const open: OpenOrder[] = [];
  for (const { code, status } of tests) {
    // A DiagnosticOrder's item closed on its own (completed) orders nothing either.
    if (status !== undefined && statuses.closed.has(status)) continue;
    const groups = groupsNamed(code, panel);
    if (groups.size === 0) {
      if (!isReadableConcept(code)) throw new UnreadableResource(status ? 'no readable code' : 'no status');
      continue; // another test: whatever its status
    }
    if (!status) throw new UnreadableResource('no status');
    if (!statuses.open.has(status)) throw new UnreadableResource('status not known to be open or closed');
    open.push({ status, tentative: statuses.tentative.has(status) || nothingOrdered, ...(dates ??= orderDates(resource)), groups });
  }
  return open;
}

function chooseOrderSystem(results: readonly LabResult[], panel: ScreeningPanelCodes, setting: LabOrderCodeSystem): ScreeningAssessment['orderSystem'] {
  if (setting !== 'auto') return { kind: setting, uri: panel.uriOf(setting) };
  // Order in NPU when at least half of the patient's own results are NPU (a tie goes to NPU), under the NPU URI they use most.
  const npuUris = new Map<string, number>();
  let loincResults = 0;
  for (const r of results) {
    // A bare name ("NPU", as an HL7 v2 converter writes it) counts for NPU but is no URI to order under.
    if (r.system === 'npu') {
      const uri = r.systemUri.includes(':') ? r.systemUri : panel.uriOf('npu');
      npuUris.set(uri, (npuUris.get(uri) ?? 0) + 1);
    } else loincResults++;
  }
  const npuTotal = [...npuUris.values()].reduce((a, b) => a + b, 0);
  const topNpu = [...npuUris.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  return npuTotal > 0 && npuTotal >= loincResults && topNpu
    ? { kind: 'npu', uri: topNpu.replace(/\/$/, '') }
    : { kind: 'loinc', uri: panel.uriOf('loinc') };
}

/**
 * The earliest time a result counts (§3.1): the start of the Danish day SCREENING_LOOKBACK_DAYS before
 * the anchor's Danish day. By the day, not the instant: a result dated only by its day ("2025-06-01", read
 * as its first instant) a year before a diagnosis registered at 14:30 is from that year. By the Danish day,
 * as the cards date things: a result taken at 00:30 Danish time on that day (22:30 UTC the day before)
 * counts too. The narrowed labs read (`date=ge<UTC day of this instant>`) asks from the day before, a
 * superset the rules then filter.
 */
export function firstCountedTime(scope: Pick<Scope, 'anchorEarliest'>, settings: Pick<ScreeningSettings, 'lookbackDays'>): number {
  return startOfDanishDay(scope.anchorEarliest, settings.lookbackDays);
}

/**
 * The biochemical screening (docs/clinical-rules.md §3.1): for each of the 16 groups, done / pending /
 * stale / missing. A result counts when final, valued and dated on or after the anchor minus the
 * look-back, so a work-up done around the diagnosis stays valid later and nothing is re-ordered every
 * year. `serviceRequests` undefined means they could not be read (open orders unknown).
 */
export function assessScreening(
  observations: readonly unknown[],
  serviceRequests: readonly unknown[] | undefined,
  panel: ScreeningPanelCodes,
  scope: Pick<Scope, 'anchorEarliest'>,
  settings: ScreeningSettings,
  now: number,
  skipped: SkippedResources = new SkippedResources(),
): ScreeningAssessment {
  const cutoff = firstCountedTime(scope, settings);
  // By the (Danish) day, as the look-back: an order dated only by its day, SCREENING_PENDING_DAYS ago, is still in the window.
  const pendingSince = startOfDanishDay(now, settings.pendingDays);
  const results = readLabResults(observations, panel, skipped);
  const latest = new Map<string, Map<string, LabResult>>(); // group → analyte → most recent counting result
  const pending = new Set<string>();
  let undatedResults = 0;

  // By the groups they name, sorted ("ck|tsh"): the most recent result of each such disagreement.
  const disagreeing = new Map<string, LabResult>();
  for (const r of results) {
    const status = r.status ?? '';
    if (COUNTING_STATUS.has(status) && r.hasValue) {
      if (r.time === undefined) {
        undatedResults++;
        continue;
      }
      if (r.time < cutoff) continue;
      if (r.codedAlsoAs !== undefined) {
        const key = [r.group, ...r.codedAlsoAs].map((g) => g.id).sort().join('|');
        const prev = disagreeing.get(key);
        if (!prev || compareRecency(r, prev) > 0) disagreeing.set(key, r);
        continue;
      }
      const byAnalyte = latest.get(r.group.id) ?? new Map<string, LabResult>();
      const prev = byAnalyte.get(r.analyteId);
      if (!prev || compareRecency(r, prev) > 0) byAnalyte.set(r.analyteId, r);
      latest.set(r.group.id, byAnalyte);
    } else if (PENDING_STATUS.has(status) && r.codedAlsoAs === undefined && r.time !== undefined && r.time >= pendingSince) {
      pending.add(r.group.id);
    }
  }

  const staleAt = new Map<string, PreciseDate | undefined>();
  // An order for a sampling date further ahead than the pending window gives no result within the work-up.
  const laterThan = now + settings.pendingDays * DAY_MS;
  const scheduledLater = new Set<string>();
  const unreadableOrdersBefore = skipped.countOf('service-request');
  const orders = serviceRequests === undefined ? [] : skipped.readEach(serviceRequests, 'service-request', (sr) => readOpenOrders(sr, panel)).flat();
  // An order that could not be read (no status, no readable code) may be an open order of a missing group.
  const someOrderUnreadable = skipped.countOf('service-request') > unreadableOrdersBefore;
  for (const order of orders) {
    // Not awaited only when even its earliest sampling date is beyond the window.
    const later = order.firstSampling !== undefined && order.firstSampling > laterThan;
    const recent = order.date !== undefined && order.date.at >= pendingSince && !later;
    for (const id of order.groups) {
      if (recent) pending.add(id);
      else if (!order.tentative) {
        if (later) scheduledLater.add(id);
        // Several stale orders: the latest dated one is named.
        const prev = staleAt.get(id);
        staleAt.set(id, prev === undefined ? order.date : order.date === undefined ? prev : laterDate(prev, order.date));
      }
    }
  }

  const groups: GroupAssessment[] = panel.groups.map((group) => {
    const done = latest.get(group.id);
    if (done) return { group, status: 'done', results: [...done.values()] };
    if (pending.has(group.id)) return { group, status: 'pending', results: [] };
    if (staleAt.has(group.id)) return { group, status: 'stale', results: [] };
    return { group, status: 'missing', results: [] };
  });

  const stale: StaleOrder[] = groups
    .filter((g) => g.status === 'stale')
    .map((g) => {
      const date = staleAt.get(g.group.id);
      if (date === undefined) return { group: g.group };
      const order: StaleOrder = { group: g.group, orderedAt: date.at, orderedAtPrecision: date.precision };
      // Named "ordered for <date>" only when the date it names is still to come (an older stale order may be named instead).
      if (scheduledLater.has(g.group.id) && date.at > now) order.later = true;
      return order;
    });

  return {
    groups,
    missing: groups.filter((g) => g.status === 'missing').map((g) => g.group),
    pending: groups.filter((g) => g.status === 'pending').map((g) => g.group),
    stale,
    orderSystem: chooseOrderSystem(results, panel, settings.orderCodeSystem ?? 'auto'),
    undatedResults,
    openOrdersUnknown: serviceRequests === undefined || someOrderUnreadable,
    codesDisagree: [...disagreeing.values()].filter((r) => !supersededInEveryGroup(r, latest)),
  };
}
